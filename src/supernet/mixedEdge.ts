/**
 * The DARTS relaxation of one edge: ō(x) = Σ_o w_o · o(x), with the per-op weights w given from
 * outside (softmax, Gumbel or Dirichlet samples, possibly times an edge weight), so any sampler plugs in.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** A candidate operation applied to the edge's input; `null` is the `none` op (always zero). */
export type Candidate = ((x: tf.Tensor4D) => tf.Tensor4D) | null;

/**
 * Σ_o w_o · o(x). `weights` holds one scalar tensor per candidate. The `none` op contributes zero to
 * the sum and to the gradient of its weight, as `x·0` does in the reference code, so it is skipped.
 */
export function mixedEdge(candidates: readonly Candidate[], x: tf.Tensor4D, weights: readonly tf.Scalar[]): tf.Tensor4D {
  if (candidates.length !== weights.length) {
    throw new Error(`mixed edge: ${candidates.length} candidates but ${weights.length} weights`);
  }
  return weightedSum(candidates.flatMap((op, i) => (op ? [[weights[i], op(x)] as const] : [])), x.shape);
}

/** Σ w_i · t_i over (weight, tensor) pairs; zeros of `shape` when there are none. */
export function weightedSum(terms: readonly (readonly [tf.Scalar, tf.Tensor4D])[], shape: tf.Tensor4D["shape"]): tf.Tensor4D {
  if (terms.length === 0) return tf.zeros(shape);
  const products = terms.map(([w, t]) => tf.mul(t, w) as tf.Tensor4D);
  return products.length === 1 ? products[0] : tf.addN(products);
}
