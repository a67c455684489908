/**
 * The mixed sum of a node, Σ_k w[index_k] · t_k, and its gradient as fused JS kernels: one pass reads
 * the K terms once forward; backward one pass over dy writes every dt_k = w[index_k] · dy and the dot
 * products dw[index_k] = Σ dy · t_k (weights that no term uses, such as `none`, get 0).
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** Attributes: which weight (flat index into w) scales each term. */
export type MixedSumAttrs = { index: number[] };

/** Forward: inputs [w, t_0 … t_{K−1}]; outputs [Σ w[index_k] t_k]. */
export const mixedSumKernel: JsKernel<MixedSumAttrs> = {
  name: "SadartsMixedSum",
  outputShapes: (shapes) => [shapes[1]],
  compute([w, ...terms], [out], _shapes, { index }) {
    const n = out.length;
    const w0 = w[index[0]];
    const t0 = terms[0];
    for (let i = 0; i < n; i++) out[i] = w0 * t0[i];
    for (let k = 1; k < terms.length; k++) {
      const wk = w[index[k]];
      const tk = terms[k];
      for (let i = 0; i < n; i++) out[i] += wk * tk[i];
    }
  },
};

/** Backward: inputs [dy, w, t_0 … t_{K−1}]; outputs [dw, dt_0 … dt_{K−1}]. */
export const mixedSumGradKernel: JsKernel<MixedSumAttrs> = {
  name: "SadartsMixedSumGrad",
  outputShapes: (shapes) => [shapes[1], ...shapes.slice(2)],
  compute([dy, w, ...terms], [dw, ...dts], _shapes, { index }) {
    dw.fill(0);
    const n = dy.length;
    for (let k = 0; k < terms.length; k++) {
      const wk = w[index[k]];
      const tk = terms[k];
      const dt = dts[k];
      let dot = 0;
      for (let i = 0; i < n; i++) {
        const g = dy[i];
        dt[i] = wk * g;
        dot += g * tk[i];
      }
      dw[index[k]] += dot;
    }
  },
};
