/**
 * Batch normalization over N, H, W of an NHWC tensor, with PyTorch's semantics: biased variance to
 * normalise, unbiased variance in the running estimate, running = (1 − momentum)·running + momentum·batch.
 *
 * The gradient is written out (one reduction pass instead of tfjs' generic chain through `moments`):
 * dx = invStd · (dy − mean(dy) − x̂ · mean(dy · x̂)), with dy scaled by γ when affine. On wasm and cpu
 * forward and backward are single fused kernels (../backend/kernels/batchNormKernels.ts).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import {
  batchNormAffineBackwardKernel,
  batchNormAffineKernel,
  batchNormBackwardKernel,
  type BatchNormForwardAttrs,
  batchNormForwardKernel,
} from "../backend/kernels/batchNormKernels.ts";
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
  /**
   * With `affine`, train-mode γ·x̂ + β and its gradients as one fused kernel pair (default false). Faster
   * (an evaluation network's BNs are a third of its kernels otherwise), but dγ, dβ and dx round
   * differently from the composed ops, so the supernets, whose recorded runs are reproduced bit for bit,
   * keep the composed ones.
   */
  fusedAffine?: boolean;
}

/** The variables of a batch-norm layer. */
export interface BatchNormParams {
  gamma?: tf.Variable;
  beta?: tf.Variable;
  runningMean?: tf.Variable;
  runningVar?: tf.Variable;
  eps: number;
  momentum: number;
  /** See {@link BatchNormOptions.fusedAffine}. */
  fusedAffine?: boolean;
}

/** Create the variables of a batch-norm layer over `channels` channels. */
export function batchNormParams(
  store: ParamStore,
  name: string,
  channels: number,
  options: BatchNormOptions = {},
): BatchNormParams {
  const { affine = true, trackRunningStats = true, eps = 1e-5, momentum = 0.1, fusedAffine = false } =
    options;
  return {
    gamma: affine ? store.param(`${name}.gamma`, [channels], constant(1)) : undefined,
    beta: affine ? store.param(`${name}.beta`, [channels], constant(0)) : undefined,
    runningMean: trackRunningStats ? store.buffer(`${name}.runningMean`, [channels], constant(0)) : undefined,
    runningVar: trackRunningStats ? store.buffer(`${name}.runningVar`, [channels], constant(1)) : undefined,
    eps,
    momentum,
    ...(fusedAffine && affine ? { fusedAffine } : {}),
  };
}

const AXES = [0, 1, 2];

let runningStatsFrozen = false;

/**
 * Run `f` with batch norm's running statistics left as they are (batch statistics are still used): for
 * a second pass over the same batch, such as a recomputation for the backward pass (./recompute.ts).
 */
export function withRunningStatsFrozen<T>(f: () => T): T {
  const before = runningStatsFrozen;
  runningStatsFrozen = true;
  try {
    return f();
  } finally {
    runningStatsFrozen = before;
  }
}

/** Running statistics to update while normalising a batch. */
export interface RunningStats {
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
}

/**
 * The forward of batch-statistics BN, not differentiable by itself: x̂ and invStd = 1/√(var + eps); the
 * running estimates (if any) are updated, with `shift` (a per-channel constant that x lacks, such as a
 * conv bias that BN cancels) added to the batch mean they see. Building block of differentiable ops.
 */
export function batchStatsForward(
  x: tf.Tensor,
  eps: number,
  running?: RunningStats,
  shift?: tf.Tensor,
): [tf.Tensor, tf.Tensor] {
  if (runningStatsFrozen) running = undefined;
  const attrs = { eps, momentum: running?.momentum ?? 0 };
  const inputs = running ? [x, running.mean, running.variance, ...(shift ? [shift] : [])] : [x];
  const [xhat, invStd, newMean, newVar] = jsKernelsActive()
    ? runJsKernel(batchNormForwardKernel, inputs, attrs)
    : composedForward(inputs, attrs);
  if (running) {
    running.mean.assign(newMean);
    running.variance.assign(newVar);
  }
  return [xhat, invStd];
}

/** The input gradient of batch-statistics BN: invStd · (dy − mean(dy) − x̂ · mean(dy · x̂)). */
export function batchStatsBackward(dy: tf.Tensor, xhat: tf.Tensor, invStd: tf.Tensor): tf.Tensor {
  if (jsKernelsActive()) return runJsKernel(batchNormBackwardKernel, [dy, xhat, invStd], {})[0];
  const meanDy = tf.mean(dy, AXES);
  const meanDyXhat = tf.mean(tf.mul(dy, xhat), AXES);
  return tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(xhat, meanDyXhat)), invStd);
}

/**
 * x̂ = (x − mean) / √(var + eps) with the batch's per-channel statistics, differentiable in x; when
 * `running` is given, its estimates are updated in the same pass (unbiased variance, as PyTorch).
 */
export function normalizeBatch(x: tf.Tensor4D, eps: number, running?: RunningStats): tf.Tensor4D {
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const [xhat, invStd] = batchStatsForward(input, eps, running);
    save([xhat, invStd]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor, [xh, inv]: tf.Tensor[]) => batchStatsBackward(dy, xh, inv),
    };
  });
  return normalize(x) as tf.Tensor4D;
}

/** The fused forward kernel from tf ops, for backends without JS kernels. */
function composedForward(
  [x, runningMean, runningVar, shift]: tf.Tensor[],
  { eps, momentum }: BatchNormForwardAttrs,
): tf.Tensor[] {
  const mean = tf.mean(x, AXES);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), AXES);
  const invStd = tf.rsqrt(tf.add(variance, eps));
  const out = [tf.mul(centered, invStd), invStd];
  if (!runningMean) return out;
  const count = x.size / x.shape[x.rank - 1];
  const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
  return [
    ...out,
    tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(shift ? tf.add(mean, shift) : mean, momentum)),
    tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)),
  ];
}

/**
 * γ·x̂ + β with batch statistics, differentiable in x, γ and β, as two fused kernels (the normalization,
 * then the affine map; backward one kernel for dx, dγ and dβ): an evaluation network's BN, where a
 * broadcast product, a sum and three reductions would otherwise make up most of its kernels.
 */
function affineNormalizeBatch(
  x: tf.Tensor4D,
  gamma: tf.Variable,
  beta: tf.Variable,
  eps: number,
  running?: RunningStats,
): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [input, g, b] = args as tf.Tensor[];
    const [xhat, invStd] = batchStatsForward(input, eps, running);
    save([xhat, invStd, g]);
    const [y] = runJsKernel(batchNormAffineKernel, [xhat, g, b], {});
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xh, inv, gs]: tf.Tensor[]) =>
        runJsKernel(batchNormAffineBackwardKernel, [dy, xh, inv, gs], {}),
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}

/** Apply batch norm in `mode` (train: batch statistics; eval: running statistics when tracked). */
export function batchNorm(p: BatchNormParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => {
    let y: tf.Tensor4D;
    const batchStats = !(mode === "eval" && p.runningMean && p.runningVar);
    if (batchStats && p.fusedAffine && p.gamma && p.beta && jsKernelsActive()) {
      const running = p.runningMean && p.runningVar
        ? { mean: p.runningMean, variance: p.runningVar, momentum: p.momentum }
        : undefined;
      return affineNormalizeBatch(x, p.gamma, p.beta, p.eps, running);
    }
    if (mode === "eval" && p.runningMean && p.runningVar) {
      y = tf.mul(tf.sub(x, p.runningMean), tf.rsqrt(tf.add(p.runningVar, p.eps)));
    } else {
      const running = p.runningMean && p.runningVar
        ? { mean: p.runningMean, variance: p.runningVar, momentum: p.momentum }
        : undefined;
      y = normalizeBatch(x, p.eps, running);
    }
    if (p.gamma && p.beta) y = tf.add(tf.mul(y, p.gamma), p.beta);
    return y;
  });
}
