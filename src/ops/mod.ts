/**
 * Candidate operations and building blocks (NHWC), as pure functions of (params, x, mode) plus the
 * factories that create their named parameters.
 * @module
 */
export * from "./params.ts";
export * from "./activation.ts";
export * from "./gradientScope.ts";
export * from "./batchNorm.ts";
export * from "./conv.ts";
export * from "./pool.ts";
export * from "./linear.ts";
export * from "./resnetBlock.ts";
export * from "./darts.ts";
export * from "./channels.ts";
export * from "./recompute.ts";
