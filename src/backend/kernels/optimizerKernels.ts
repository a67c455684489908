/**
 * One SGD step over every parameter at once, with global-norm clipping first: a search step's weight
 * update is otherwise ~1,500 tiny tfjs kernels (square, sum, mul, add, sub per variable), whose dispatch
 * costs more than the arithmetic. Same rules as torch: clip_grad_norm_ (norm + 1e-6), then SGD with
 * L2 weight decay, momentum (buffer starts at the first gradient) and optional Nesterov.
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** Hyperparameters of the step; `started` says whether the momentum buffers hold a gradient yet. */
export type SgdStepAttrs = {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  started: boolean;
  /** Clip the gradients' global L2 norm to this (0: no clipping). */
  maxNorm: number;
};

/** Inputs [p_0…p_{n−1}, g_0…g_{n−1}, buf_0…buf_{n−1}]; outputs [p'_0…, buf'_0…]. */
export const sgdStepKernel: JsKernel<SgdStepAttrs> = {
  name: "SadartsSgdStep",
  outputShapes: (shapes) => {
    const n = shapes.length / 3;
    return [...shapes.slice(0, n), ...shapes.slice(0, n)];
  },
  compute(inputs, outputs, _shapes, { lr, momentum, weightDecay, nesterov, started, maxNorm }) {
    const n = inputs.length / 3;
    let coef = 1;
    if (maxNorm > 0) {
      let sq = 0;
      for (let i = 0; i < n; i++) {
        const g = inputs[n + i];
        for (let j = 0; j < g.length; j++) sq += g[j] * g[j];
      }
      coef = Math.min(maxNorm / (Math.sqrt(sq) + 1e-6), 1);
    }
    for (let i = 0; i < n; i++) {
      const p = inputs[i];
      const g = inputs[n + i];
      const buf = inputs[2 * n + i];
      const pOut = outputs[i];
      const bufOut = outputs[n + i];
      for (let j = 0; j < p.length; j++) {
        let d = g[j] * coef + weightDecay * p[j];
        if (momentum) {
          const b = started ? momentum * buf[j] + d : d;
          bufOut[j] = b;
          d = nesterov ? d + momentum * b : b;
        } else {
          bufOut[j] = buf[j];
        }
        pOut[j] = p[j] - lr * d;
      }
    }
  },
};
