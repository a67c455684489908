/**
 * The bi-level search: optimizers with PyTorch's update rules, losses, the first-order step.
 * @module
 */
export * from "./optimizers.ts";
export * from "./loss.ts";
export * from "./step.ts";
