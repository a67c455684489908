/**
 * The ReLU gradient as one kernel: dh = dr where h > 0, else 0 (tfjs composes it from Step, Cast and
 * Multiply: three passes and two temporaries).
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** Inputs [dr, h]; outputs [dh]. */
export const reluGradKernel: JsKernel<Record<never, never>> = {
  name: "SadartsReluGrad",
  outputShapes: ([dr]) => [dr],
  simd(k, [dr, h], [dh], [shape]) {
    k.relu_grad(dr, h, dh, shape.reduce((a, b) => a * b, 1));
  },
  compute([dr, h], [dh]) {
    for (let i = 0; i < dr.length; i++) dh[i] = h[i] > 0 ? dr[i] : 0;
  },
};
