/**
 * The mixed sum of a node, Σ_k w[index_k] · t_k, and its gradient as fused JS kernels: one pass reads
 * the K terms once forward; backward one pass over dy writes every dt_k = w[index_k] · dy and the dot
 * products dw[index_k] = Σ dy · t_k (weights that no term uses, such as `none`, get 0).
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** Terms per call of the SIMD kernels (kernels.c takes 4 at a time). */
const CHUNK = 4;

/** Attributes: which weight (flat index into w) scales each term. */
export type MixedSumAttrs = { index: number[] };

/** Forward: inputs [w, t_0 … t_{K−1}]; outputs [Σ w[index_k] t_k]. */
export const mixedSumKernel: JsKernel<MixedSumAttrs> = {
  name: "SadartsMixedSum",
  outputShapes: (shapes) => [shapes[1]],
  simd(k, [w, ...terms], [out], shapes, { index }) {
    const n = shapes[1].reduce((a, b) => a * b, 1);
    const heap = k.heapF32();
    for (let c = 0; c < terms.length; c += CHUNK) {
      const t = [0, 1, 2, 3].map((i) => (c + i < terms.length ? terms[c + i] : terms[0]));
      const ws = [0, 1, 2, 3].map((i) => (c + i < terms.length ? heap[w / 4 + index[c + i]] : 0));
      k.mixed_sum4(out, c > 0 ? 1 : 0, n, t[0], t[1], t[2], t[3], ws[0], ws[1], ws[2], ws[3]);
    }
  },
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
  simd(k, [dy, w, ...terms], [dw, ...dts], shapes, { index }) {
    const n = shapes[0].reduce((a, b) => a * b, 1);
    const grads = new Float64Array(shapes[1][0]);
    for (let c = 0; c < terms.length; c += CHUNK) {
      const used = [0, 1, 2, 3].map((i) => c + i < terms.length);
      const t = used.map((u, i) => (u ? terms[c + i] : terms[0]));
      const d = used.map((u, i) => (u ? dts[c + i] : 0));
      const heap = k.heapF32();
      const ws = used.map((u, i) => (u ? heap[w / 4 + index[c + i]] : 0));
      k.mixed_sum_grad4(
        dy,
        n,
        t[0],
        t[1],
        t[2],
        t[3],
        d[0],
        d[1],
        d[2],
        d[3],
        ws[0],
        ws[1],
        ws[2],
        ws[3],
        k.scratch,
      );
      used.forEach((u, i) => u && (grads[index[c + i]] += k.heapF32()[k.scratch / 4 + i]));
    }
    k.heapF32().set(grads, dw / 4);
  },
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
