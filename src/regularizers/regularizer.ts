/**
 * What a regularizer is: a loss on the architecture parameters α [edges, ops], added to the
 * validation loss of the α step, with a strength that may depend on the epoch.
 * @module
 */
import type * as tf from "../deps/tfjs_core.ts";

/** A pure, differentiable loss on α. */
export interface Regularizer {
  readonly name: string;
  /** The loss, strength included, at the 0-based `epoch`; call inside the caller's tidy. */
  loss(alpha: tf.Tensor2D, epoch: number): tf.Scalar;
}
