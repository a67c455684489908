/**
 * Batch normalization over N, H, W of an NHWC tensor, with PyTorch's semantics: biased variance to
 * normalise, unbiased variance in the running estimate, running = (1 − momentum)·running + momentum·batch.
 *
 * The gradient is written out (one reduction pass instead of tfjs' generic chain through `moments`):
 * dx = invStd · (dy − mean(dy) − x̂ · mean(dy · x̂)), with dy scaled by γ when affine. On wasm and cpu
 * forward and backward are single fused kernels (../backend/kernels/batchNormKernels.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { batchNormBackwardKernel, batchNormForwardKernel } from "../backend/kernels/batchNormKernels.ts";
import { jsKernelsActive, runJsKernel } from "../backend/kernels/jsKernel.ts";
import { constant, type Mode, type ParamStore } from "./params.ts";

/** Options of a batch-norm layer. */
export interface BatchNormOptions {
  /** Learnable scale γ and shift β (default true; DARTS search cells use false). */
  affine?: boolean;
  /** Keep running statistics and use them in eval mode (default true). */
  trackRunningStats?: boolean;
  /** Default 1e-5. */
  eps?: number;
  /** Weight of the batch in the running estimate (default 0.1). */
  momentum?: number;
}

/** The variables of a batch-norm layer. */
export interface BatchNormParams {
  gamma?: tf.Variable;
  beta?: tf.Variable;
  runningMean?: tf.Variable;
  runningVar?: tf.Variable;
  eps: number;
  momentum: number;
}

/** Create the variables of a batch-norm layer over `channels` channels. */
export function batchNormParams(store: ParamStore, name: string, channels: number, options: BatchNormOptions = {}): BatchNormParams {
  const { affine = true, trackRunningStats = true, eps = 1e-5, momentum = 0.1 } = options;
  return {
    gamma: affine ? store.param(`${name}.gamma`, [channels], constant(1)) : undefined,
    beta: affine ? store.param(`${name}.beta`, [channels], constant(0)) : undefined,
    runningMean: trackRunningStats ? store.buffer(`${name}.runningMean`, [channels], constant(0)) : undefined,
    runningVar: trackRunningStats ? store.buffer(`${name}.runningVar`, [channels], constant(1)) : undefined,
    eps,
    momentum,
  };
}

const AXES = [0, 1, 2];

/** Receives a batch's per-channel mean and unbiased variance (e.g. to update running statistics). */
export type BatchStatsSink = (mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D) => void;

/**
 * x̂ = (x − mean) / √(var + eps) with the batch's per-channel statistics, differentiable in x.
 * `onStats` sees the statistics inside the same pass (no second reduction for running estimates).
 */
export function normalizeBatch(x: tf.Tensor4D, eps: number, onStats?: BatchStatsSink): tf.Tensor4D {
  const count = x.size / x.shape[3];
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const fused = jsKernelsActive();
    const [xhat, mean, variance, invStd] = fused
      ? runJsKernel(batchNormForwardKernel, [input], { eps })
      : composedForward(input, eps);
    onStats?.(mean as tf.Tensor1D, (count > 1 ? tf.mul(variance, count / (count - 1)) : variance) as tf.Tensor1D);
    save([xhat, invStd]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, inv] = saved;
        if (jsKernelsActive()) return runJsKernel(batchNormBackwardKernel, [dy, xh, inv], {})[0];
        const meanDy = tf.mean(dy, AXES);
        const meanDyXhat = tf.mean(tf.mul(dy, xh), AXES);
        return tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(xh, meanDyXhat)), inv);
      },
    };
  });
  return normalize(x) as tf.Tensor4D;
}

/** The forward of the fused kernel from tf ops, for backends without JS kernels. */
function composedForward(x: tf.Tensor, eps: number): tf.Tensor[] {
  const mean = tf.mean(x, AXES);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), AXES);
  const invStd = tf.rsqrt(tf.add(variance, eps));
  return [tf.mul(centered, invStd), mean, variance, invStd];
}

/** running ← (1 − momentum)·running + momentum·batch, for the layers whose channels `mean` concatenates. */
export function updateRunningStats(layers: readonly BatchNormParams[], mean: tf.Tensor1D, variance: tf.Tensor1D): void {
  if (!layers.every((p) => p.runningMean && p.runningVar)) return;
  const sizes = layers.map((p) => p.runningMean!.size);
  const means = layers.length === 1 ? [mean] : tf.split(mean, sizes);
  const vars = layers.length === 1 ? [variance] : tf.split(variance, sizes);
  layers.forEach((p, i) => {
    const m = p.momentum;
    p.runningMean!.assign(tf.add(tf.mul(p.runningMean!, 1 - m), tf.mul(means[i], m)));
    p.runningVar!.assign(tf.add(tf.mul(p.runningVar!, 1 - m), tf.mul(vars[i], m)));
  });
}

/** Apply batch norm in `mode` (train: batch statistics; eval: running statistics when tracked). */
export function batchNorm(p: BatchNormParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => {
    let y: tf.Tensor4D;
    if (mode === "eval" && p.runningMean && p.runningVar) {
      y = tf.mul(tf.sub(x, p.runningMean), tf.rsqrt(tf.add(p.runningVar, p.eps)));
    } else {
      y = normalizeBatch(x, p.eps, (mean, variance) => updateRunningStats([p], mean, variance));
    }
    if (p.gamma && p.beta) y = tf.add(tf.mul(y, p.gamma), p.beta);
    return y;
  });
}
