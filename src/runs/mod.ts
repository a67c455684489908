/**
 * Run folders (config, history tables, summary, checkpoints) and multi-run frames.
 * @module
 */
export * from "./checkpoint.ts";
export * from "./runFolder.ts";
export * from "./lock.ts";
export * from "./frames.ts";
