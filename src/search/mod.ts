/**
 * The bi-level search: configs and presets, the search loop with its run folders, optimizers with
 * PyTorch's update rules, losses, the first-order step.
 * @module
 */
export * from "./optimizers.ts";
export * from "../tasks/mod.ts";
export * from "./step.ts";
export * from "./config.ts";
export * from "./search.ts";
export * from "./cache.ts";
export * from "./duration.ts";
