/**
 * Batch-statistics batch norm over all axes but the last (channels), as two fused JS kernels.
 * Forward: x → x̂ = (x − mean)·invStd, invStd = 1/√(var + eps) (biased variance), and, when running
 * statistics are given, their update running ← (1 − momentum)·running + momentum·batch (unbiased
 * variance), all in two passes. Backward: (dy, x̂, invStd) → dx = invStd·(dy − mean(dy) − x̂·mean(dy·x̂)).
 * Affine BN (evaluation networks) adds γ·x̂ + β forward and one backward for dx, dγ, dβ.
 * On wasm they run as SIMD code in tfjs' heap (./simd/kernels.c); the JS versions serve the cpu backend.
 * JS loops run channel by channel (strided), which V8 compiles to tighter code than a row-major sweep
 * with per-channel accumulator arrays; sums are float64 in both.
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** kernels.c handles channel counts that are multiples of 4, up to 1024 (its MAX_C). */
function simdChannels(c: number): boolean {
  return c % 4 === 0 && c <= 1024;
}

/** Attributes of the forward kernel. */
export type BatchNormForwardAttrs = { eps: number; momentum: number };

/**
 * Forward: inputs [x], [x, runningMean, runningVar] or [x, runningMean, runningVar, shift]; outputs
 * [x̂, invStd] (+ [newMean, newVar]). `shift` is a per-channel constant that x lacks but the running mean
 * must see: the conv bias a fused Conv→BN leaves out because BN cancels it.
 */
export const batchNormForwardKernel: JsKernel<BatchNormForwardAttrs> = {
  name: "SadartsBatchNormForward",
  outputShapes: (shapes) => {
    const c = [shapes[0][shapes[0].length - 1]];
    return shapes.length >= 3 ? [shapes[0], c, c, c] : [shapes[0], c];
  },
  simd(
    k,
    [x, runningMean = 0, runningVar = 0, shift = 0],
    [xhat, invStd, newMean = 0, newVar = 0],
    [shape],
    { eps, momentum },
  ) {
    const c = shape[shape.length - 1];
    if (!simdChannels(c)) return false;
    const rows = shape.reduce((a, b) => a * b, 1) / c;
    k.bn_forward(x, xhat, invStd, runningMean, runningVar, shift, newMean, newVar, rows, c, eps, momentum);
  },
  compute([x, runningMean, runningVar, shift], [xhat, invStd, newMean, newVar], _shapes, { eps, momentum }) {
    const c = invStd.length;
    const n = x.length;
    const rows = n / c;
    for (let j = 0; j < c; j++) {
      let s = 0;
      let q = 0;
      for (let o = j; o < n; o += c) {
        const v = x[o];
        s += v;
        q += v * v;
      }
      const mean = s / rows;
      const variance = Math.max(q / rows - mean * mean, 0);
      const inv = 1 / Math.sqrt(variance + eps);
      invStd[j] = inv;
      for (let o = j; o < n; o += c) xhat[o] = (x[o] - mean) * inv;
      if (runningMean) {
        const unbiased = rows > 1 ? (variance * rows) / (rows - 1) : variance;
        newMean[j] = (1 - momentum) * runningMean[j] + momentum * (shift ? mean + shift[j] : mean);
        newVar[j] = (1 - momentum) * runningVar[j] + momentum * unbiased;
      }
    }
  },
};

/** Backward: inputs [dy, x̂, invStd]; outputs [dx]. */
export const batchNormBackwardKernel: JsKernel<Record<never, never>> = {
  name: "SadartsBatchNormBackward",
  outputShapes: ([dy]) => [dy],
  simd(k, [dy, xhat, invStd], [dx], [shape]) {
    const c = shape[shape.length - 1];
    if (!simdChannels(c)) return false;
    k.bn_backward(dy, xhat, invStd, dx, shape.reduce((a, b) => a * b, 1) / c, c);
  },
  compute([dy, xhat, invStd], [dx]) {
    const c = invStd.length;
    const n = dy.length;
    const rows = n / c;
    for (let j = 0; j < c; j++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let o = j; o < n; o += c) {
        sumDy += dy[o];
        sumDyXhat += dy[o] * xhat[o];
      }
      const a = sumDy / rows;
      const b = sumDyXhat / rows;
      const inv = invStd[j];
      for (let o = j; o < n; o += c) dx[o] = inv * (dy[o] - a - xhat[o] * b);
    }
  },
};

/** Affine forward: inputs [x̂, γ, β]; outputs [γ·x̂ + β] (per channel, the last axis). */
export const batchNormAffineKernel: JsKernel<Record<never, never>> = {
  name: "SadartsBatchNormAffine",
  outputShapes: ([xhat]) => [xhat],
  simd(k, [xhat, gamma, beta], [y], [shape]) {
    const c = shape[shape.length - 1];
    if (!simdChannels(c)) return false;
    k.bn_affine(xhat, gamma, beta, y, shape.reduce((a, b) => a * b, 1) / c, c);
  },
  compute([xhat, gamma, beta], [y]) {
    const c = gamma.length;
    const n = xhat.length;
    for (let j = 0; j < c; j++) {
      const g = gamma[j], b = beta[j];
      for (let o = j; o < n; o += c) y[o] = g * xhat[o] + b;
    }
  },
};

/**
 * Affine backward of batch-statistics BN: inputs [dy, x̂, invStd, γ]; outputs [dx, dγ, dβ] with
 * dβ = Σ dy, dγ = Σ dy·x̂ and dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)): the plain backward of γ·dy,
 * whose two sums are the parameters' gradients, in one pass over dy instead of a broadcast product and
 * three reductions.
 */
export const batchNormAffineBackwardKernel: JsKernel<Record<never, never>> = {
  name: "SadartsBatchNormAffineBackward",
  outputShapes: ([dy, , invStd]) => [dy, invStd, invStd],
  simd(k, [dy, xhat, invStd, gamma], [dx, dGamma, dBeta], [shape]) {
    const c = shape[shape.length - 1];
    if (!simdChannels(c)) return false;
    k.bn_affine_backward(dy, xhat, invStd, gamma, dx, dGamma, dBeta, shape.reduce((a, b) => a * b, 1) / c, c);
  },
  compute([dy, xhat, invStd, gamma], [dx, dGamma, dBeta]) {
    const c = invStd.length;
    const n = dy.length;
    const rows = n / c;
    for (let j = 0; j < c; j++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let o = j; o < n; o += c) {
        sumDy += dy[o];
        sumDyXhat += dy[o] * xhat[o];
      }
      dBeta[j] = sumDy;
      dGamma[j] = sumDyXhat;
      const a = sumDy / rows;
      const b = sumDyXhat / rows;
      const k = gamma[j] * invStd[j];
      for (let o = j; o < n; o += c) dx[o] = k * (dy[o] - a - xhat[o] * b);
    }
  },
};
