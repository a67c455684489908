/**
 * Batch-statistics batch norm over all axes but the last (channels), as two fused JS kernels.
 * Forward: x → x̂ = (x − mean)·invStd, invStd = 1/√(var + eps) (biased variance), and, when running
 * statistics are given, their update running ← (1 − momentum)·running + momentum·batch (unbiased
 * variance), all in two passes. Backward: (dy, x̂, invStd) → dx = invStd·(dy − mean(dy) − x̂·mean(dy·x̂)).
 * Loops run channel by channel (strided), which V8 compiles to tighter code than a row-major sweep with
 * per-channel accumulator arrays; sums are float64.
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** Attributes of the forward kernel. */
export type BatchNormForwardAttrs = { eps: number; momentum: number };

/** Forward: inputs [x] or [x, runningMean, runningVar]; outputs [x̂, invStd] (+ [newMean, newVar]). */
export const batchNormForwardKernel: JsKernel<BatchNormForwardAttrs> = {
  name: "SadartsBatchNormForward",
  outputShapes: (shapes) => {
    const c = [shapes[0][shapes[0].length - 1]];
    return shapes.length === 3 ? [shapes[0], c, c, c] : [shapes[0], c];
  },
  compute([x, runningMean, runningVar], [xhat, invStd, newMean, newVar], _shapes, { eps, momentum }) {
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
        newMean[j] = (1 - momentum) * runningMean[j] + momentum * mean;
        newVar[j] = (1 - momentum) * runningVar[j] + momentum * unbiased;
      }
    }
  },
};

/** Backward: inputs [dy, x̂, invStd]; outputs [dx]. */
export const batchNormBackwardKernel: JsKernel<Record<never, never>> = {
  name: "SadartsBatchNormBackward",
  outputShapes: ([dy]) => [dy],
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
