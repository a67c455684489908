/**
 * Tasks: the loss a search step minimizes and the score its records report, owned by a search space.
 * @module
 */
export * from "./task.ts";
export * from "./classification.ts";
export * from "./superResolution.ts";
