/**
 * DARTS' relaxation: the weights of an edge are softmax(α) over its ops, with no noise.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import type { Sampler } from "./sampler.ts";

/** softmax(α) per row (edge), the same in training and evaluation. */
export function softmax(): Sampler {
  return { name: "softmax", weights: (alpha) => tf.softmax(alpha) };
}
