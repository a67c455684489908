/**
 * Classification loss and accuracy.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";

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
