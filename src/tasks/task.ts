/**
 * The task of a search space: what its supernet's output is scored by. The step minimizes `loss`, and
 * the records report the mean of `scoreSum` per example (classification: accuracy in %), so nothing in
 * the loop knows about labels or cross-entropy; super-resolution brings its own (an L1 loss, PSNR).
 * @module
 */
import type * as tf from "../deps/tfjs_core.ts";

/** A task: the loss a step minimizes and the score its records report. */
export interface Task {
  /** What the score is, for messages and legends (e.g. "accuracy (%)"). */
  readonly scoreName: string;
  /** The mean loss of a batch's `output` against its `target` (a scalar both halves of a step minimize). */
  loss(output: tf.Tensor, target: tf.Tensor): tf.Scalar;
  /**
   * The sum over the batch of each example's score (a scalar): the records divide by the number of
   * examples, so the mean is the score of the whole set.
   */
  scoreSum(output: tf.Tensor, target: tf.Tensor): tf.Scalar;
}
