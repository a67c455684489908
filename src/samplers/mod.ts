/**
 * Samplers: how α becomes the op weights of the supernet's mixed edges, per forward pass. Softmax
 * (DARTS), soft Gumbel-softmax (SNAS) and Dirichlet (DrNAS). The derived cell is argmax of α per
 * edge whatever the sampler.
 * @module
 */
export * from "./sampler.ts";
export * from "./softmax.ts";
export * from "./gumbel.ts";
export * from "./dirichlet.ts";
