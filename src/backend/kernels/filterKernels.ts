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
