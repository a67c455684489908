/**
 * Super-resolution as a task: the output is a batch of `scale`× images in [0, 1] (NHWC RGB), the target
 * the ground-truth patches. The loss is IMDN's L1, or DLSR's L1 + 0.2 · HFEN (SPECS §8b); the score is
 * the PSNR (dB, peak 1, on RGB) of each image, so the records' mean is the batch's mean PSNR. The
 * benchmark protocol's PSNR (Y channel, border shave) is `sr/quality.ts`'s.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import type { Task } from "./task.ts";

/** Mean absolute error. */
export function l1Loss(output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(output, target))) as tf.Scalar);
}

/** DLSR's Gaussian (5×5, σ 1.5, normalized to sum 1) as a depthwise filter over `channels`. */
function gaussianFilter(channels: number): tf.Tensor4D {
  const k = 5, sigma = 1.5, c = (k - 1) / 2;
  const g: number[] = [];
  for (let y = 0; y < k; y++) {
    for (let x = 0; x < k; x++) g.push(Math.exp(-((x - c) ** 2 + (y - c) ** 2) / (2 * sigma * sigma)));
  }
  const total = g.reduce((a, b) => a + b, 0);
  const data = new Float32Array(k * k * channels);
  g.forEach((v, i) => data.fill(v / total, i * channels, (i + 1) * channels));
  return tf.tensor4d(data, [k, k, channels, 1]);
}

/** The 4-neighbour Laplacian [[0,1,0],[1,−4,1],[0,1,0]] applied to the sum of the channels. */
function laplacianFilter(channels: number): tf.Tensor4D {
  const taps = [0, 1, 0, 1, -4, 1, 0, 1, 0];
  const data = new Float32Array(9 * channels);
  taps.forEach((v, i) => data.fill(v, i * channels, (i + 1) * channels));
  return tf.tensor4d(data, [3, 3, channels, 1]);
}

/**
 * DLSR's high-frequency error (its `losses/l1_loss.py` HFEN): both images blurred by a 5×5 Gaussian
 * (σ 1.5, no padding), the Laplacian of the channel sum taken (zero padding 1), each divided by its
 * largest value over the batch (when not 0), and the mean absolute difference of the two.
 */
export function hfenLoss(output: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const c = target.shape[3];
    const [gauss, lap] = [gaussianFilter(c), laplacianFilter(c)];
    const edges = (x: tf.Tensor4D) => {
      const e = tf.conv2d(tf.depthwiseConv2d(x, gauss, 1, "valid"), lap, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const top = tf.max(e);
      // As DLSR's `if torch.max(p) != 0`: a read of one number (the comparison has no gradient in tfjs).
      return top.dataSync()[0] !== 0 ? tf.div(e, top) : e;
    };
    return tf.mean(tf.abs(tf.sub(edges(target), edges(output)))) as tf.Scalar;
  });
}

/** Options of {@link superResolutionTask}. */
export interface SuperResolutionTaskOptions {
  /** Weight of {@link hfenLoss} added to L1 (default 0: IMDN's L1; DLSR uses 0.2). */
  hfenWeight?: number;
}

/**
 * The super-resolution task.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { superResolutionTask } from "./superResolution.ts";
 * await tf.setBackend("cpu");
 * const target = tf.fill([1, 4, 4, 3], 0.5) as tf.Tensor4D;
 * const output = tf.fill([1, 4, 4, 3], 0.6) as tf.Tensor4D;
 * // An error of 0.1 everywhere: L1 0.1, PSNR 10·log10(1 / 0.01) = 20 dB.
 * const task = superResolutionTask();
 * console.assert(Math.abs(task.loss(output, target).dataSync()[0] - 0.1) < 1e-6);
 * console.assert(Math.abs(task.scoreSum(output, target).dataSync()[0] - 20) < 1e-4);
 * ```
 */
export function superResolutionTask(o: SuperResolutionTaskOptions = {}): Task {
  const hfenWeight = o.hfenWeight ?? 0;
  if (!(hfenWeight >= 0) || !Number.isFinite(hfenWeight)) {
    throw new Error(`super-resolution task: hfenWeight must be a finite number ≥ 0, got ${hfenWeight}`);
  }
  return {
    scoreName: "PSNR (dB)",
    loss: (output, target) =>
      tf.tidy(() => {
        const l1 = l1Loss(output, target);
        return hfenWeight === 0 ? l1 : tf.add(
          l1,
          tf.mul(hfenLoss(output as tf.Tensor4D, target as tf.Tensor4D), hfenWeight),
        ) as tf.Scalar;
      }),
    scoreSum: (output, target) =>
      tf.tidy(() => {
        const mse = tf.mean(tf.square(tf.sub(tf.clipByValue(output, 0, 1), target)), [1, 2, 3]);
        return tf.sum(tf.mul(tf.log(tf.div(1, tf.maximum(mse, 1e-10))), 10 / Math.LN10)) as tf.Scalar;
      }),
  };
}
