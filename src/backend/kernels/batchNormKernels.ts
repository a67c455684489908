/**
 * Batch-statistics batch norm over all axes but the last, as two fused JS kernels:
 * forward x → (x̂, mean, biased variance, 1/√(var + eps)) and backward (dy, x̂, invStd) → dx with
 * dx = invStd · (dy − mean(dy) − x̂ · mean(dy · x̂)). Two passes each, float64 accumulators.
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** Forward: inputs [x]; outputs [x̂, mean, variance (biased), invStd]. */
export const batchNormForwardKernel: JsKernel<{ eps: number }> = {
  name: "SadartsBatchNormForward",
  outputShapes: ([x]) => {
    const c = x[x.length - 1];
    return [x, [c], [c], [c]];
  },
  compute([x], [xhat, mean, variance, invStd], [shape], { eps }) {
    const c = shape[shape.length - 1];
    const rows = x.length / c;
    const sum = new Float64Array(c);
    for (let o = 0; o < x.length;) for (let j = 0; j < c; j++, o++) sum[j] += x[o];
    for (let j = 0; j < c; j++) mean[j] = sum[j] / rows;
    const sq = new Float64Array(c);
    for (let o = 0; o < x.length;) {
      for (let j = 0; j < c; j++, o++) {
        const d = x[o] - mean[j];
        sq[j] += d * d;
      }
    }
    for (let j = 0; j < c; j++) {
      variance[j] = sq[j] / rows;
      invStd[j] = 1 / Math.sqrt(sq[j] / rows + eps);
    }
    for (let o = 0; o < x.length;) for (let j = 0; j < c; j++, o++) xhat[o] = (x[o] - mean[j]) * invStd[j];
  },
};

/** Backward: inputs [dy, x̂, invStd]; outputs [dx]. */
export const batchNormBackwardKernel: JsKernel<Record<never, never>> = {
  name: "SadartsBatchNormBackward",
  outputShapes: ([dy]) => [dy],
  compute([dy, xhat, invStd], [dx]) {
    const c = invStd.length;
    const rows = dy.length / c;
    const sumDy = new Float64Array(c);
    const sumDyXhat = new Float64Array(c);
    for (let o = 0; o < dy.length;) {
      for (let j = 0; j < c; j++, o++) {
        sumDy[j] += dy[o];
        sumDyXhat[j] += dy[o] * xhat[o];
      }
    }
    const a = new Float64Array(c);
    const b = new Float64Array(c);
    for (let j = 0; j < c; j++) {
      a[j] = sumDy[j] / rows;
      b[j] = sumDyXhat[j] / rows;
    }
    for (let o = 0; o < dy.length;) {
      for (let j = 0; j < c; j++, o++) dx[o] = invStd[j] * (dy[o] - a[j] - xhat[o] * b[j]);
    }
  },
};
