/**
 * Re-indexing a conv filter for its input gradient in one small JS kernel (the filter is at most a few
 * thousand numbers): out[uh, uw, co, (rh, rw, ci)] = filter[tapsH[rh·lenH + uh], tapsW[rw·lenW + uw], ci, co],
 * 0 where a tap is −1. With one phase per axis this is the spatially flipped filter with in/out channels
 * swapped. It replaces a concat, a gather (with an index upload) and a transpose per conv per backward.
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** The tap plan of both axes (see convGradients.ts, `planAxis`). */
export type ReindexAttrs = {
  tapsH: number[];
  tapsW: number[];
  lenH: number;
  lenW: number;
  phasesH: number;
  phasesW: number;
};

/** Inputs [filter [kh, kw, cin, cout]]; outputs [[lenH, lenW, cout, phasesH·phasesW·cin]]. */
export const reindexFilterKernel: JsKernel<ReindexAttrs> = {
  name: "SadartsReindexFilter",
  outputShapes: ([[, , cin, cout]], a) => [[a.lenH, a.lenW, cout, a.phasesH * a.phasesW * cin]],
  compute([filter], [out], [[, kw, cin, cout]], { tapsH, tapsW, lenH, lenW, phasesH, phasesW }) {
    let o = 0;
    for (let uh = 0; uh < lenH; uh++) {
      for (let uw = 0; uw < lenW; uw++) {
        for (let co = 0; co < cout; co++) {
          for (let rh = 0; rh < phasesH; rh++) {
            const th = tapsH[rh * lenH + uh];
            for (let rw = 0; rw < phasesW; rw++) {
              const tw = tapsW[rw * lenW + uw];
              const base = th >= 0 && tw >= 0 ? (th * kw + tw) * cin * cout + co : -1;
              for (let ci = 0; ci < cin; ci++, o++) out[o] = base < 0 ? 0 : filter[base + ci * cout];
            }
          }
        }
      }
    }
  },
};

/** Attributes of the filter-gradient kernel: kernel size and leading padding (stride 1, dilation 1). */
export type FilterGradAttrs = { kh: number; kw: number; padTop: number; padLeft: number };

/**
 * Conv2D filter gradient for stride 1 and dilation 1: inputs [x [B, H, W, ci], dy [B, Ho, Wo, co]];
 * outputs [dw [kh, kw, ci, co]]. On wasm a register-blocked SIMD loop over one dy row at a time
 * (measured 2–3× the GFLOP/s of the transposed-conv formulation, which XNNPACK runs poorly with its
 * image-sized "filter"); needs co % 4 = 0.
 */
export const convFilterGradKernel: JsKernel<FilterGradAttrs> = {
  name: "SadartsConvFilterGrad",
  outputShapes: ([x, dy], { kh, kw }) => [[kh, kw, x[3], dy[3]]],
  simd(k, [x, dy], [dw], [[b, h, w, ci], [, ho, wo, co]], { kh, kw, padTop, padLeft }) {
    if (co % 4 !== 0) return false;
    k.conv_filter_grad(x, dy, dw, b, h, w, ci, ho, wo, co, kh, kw, padTop, padLeft);
  },
  compute([x, dy], [dw], [[b, h, w, ci], [, ho, wo, co]], { kh, kw, padTop, padLeft }) {
    dw.fill(0);
    for (let n = 0; n < b; n++) {
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++) {
          const g = ((n * ho + oh) * wo + ow) * co;
          for (let i = 0; i < kh; i++) {
            const ih = oh + i - padTop;
            if (ih < 0 || ih >= h) continue;
            for (let j = 0; j < kw; j++) {
              const iw = ow + j - padLeft;
              if (iw < 0 || iw >= w) continue;
              const xo = ((n * h + ih) * w + iw) * ci;
              const t = (i * kw + j) * ci * co;
              for (let c = 0; c < ci; c++) {
                const xv = x[xo + c];
                for (let o = 0; o < co; o++) dw[t + c * co + o] += xv * dy[g + o];
              }
            }
          }
        }
      }
    }
  },
};
