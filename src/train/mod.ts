/**
 * Training a DARTS-space genotype's evaluation network from scratch: configs and presets, the genotype's
 * sources, the images, and the loop (`deno task train` is its command line).
 * @module
 */
export * from "./config.ts";
export * from "./trainData.ts";
export * from "./train.ts";
export * from "./cache.ts";
