/**
 * Classification: softmax cross-entropy against integer labels, top-1 accuracy.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import type { Task } from "./task.ts";

/** Mean softmax cross-entropy of `logits` [batch, classes] against integer `labels` [batch]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const picked = tf.sum(
      tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.cast(labels, "int32"), logits.shape[1])),
      1,
    );
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/** Number of rows whose argmax equals the label (float32). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, "int32")), "float32")) as tf.Scalar
  );
}

/** Fraction of rows whose argmax equals the label. */
export function accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.div(correctCount(logits, labels), logits.shape[0]) as tf.Scalar);
}

/**
 * Image classification (NB201 and the DARTS spaces): cross-entropy of the logits [batch, classes]
 * against integer labels [batch]; the score is 100 per correct top-1 prediction, so its mean is the
 * accuracy in percent.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { CLASSIFICATION } from "./classification.ts";
 * await tf.setBackend("cpu");
 * const logits = tf.tensor2d([[2, 0], [0, 2], [2, 0]]);
 * const labels = tf.tensor1d([0, 1, 1], "int32");
 * console.assert(CLASSIFICATION.scoreSum(logits, labels).dataSync()[0] === 200); // 2 of 3 right
 * ```
 */
export const CLASSIFICATION: Task = {
  scoreName: "accuracy (%)",
  loss: (output, target) => crossEntropy(output as tf.Tensor2D, target as tf.Tensor1D),
  scoreSum: (output, target) =>
    tf.tidy(() => tf.mul(correctCount(output as tf.Tensor2D, target as tf.Tensor1D), 100) as tf.Scalar),
};
