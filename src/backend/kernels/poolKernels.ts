/**
 * Pooling kernels tfjs gets wrong.
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/** Window, stride and symmetric padding of a max pooling. */
export type MaxPoolAttrs = { kernel: number; stride: number; padding: number };

/**
 * Max-pooling gradient as one JS kernel (cpu and wasm); inputs [dy, x], outputs [dx]: dy goes to the
 * first maximum of each window in row-major order, NaN winning, as PyTorch's CPU kernel routes it. Why: tfjs-backend-wasm 4.22's
 * MaxPoolGrad starts its search at numeric_limits<float>::min() (the smallest positive float, not −∞)
 * and keeps the last maximum, so any window whose values are all ≤ 0 sends its gradient to the wrong pixel.
 */
export const maxPoolGradKernel: JsKernel<MaxPoolAttrs> = {
  name: "SadartsMaxPoolGrad",
  outputShapes: ([, x]) => [x],
  compute([dy, x], [dx], [[, oh, ow], [n, h, w, c]], { kernel, stride, padding }) {
    dx.fill(0); // wasm outputs are not zeroed
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const y0 = oy * stride - padding;
          const x0 = ox * stride - padding;
          const out = ((b * oh + oy) * ow + ox) * c;
          for (let ch = 0; ch < c; ch++) {
            let best = -Infinity;
            let at = -1;
            for (let iy = Math.max(y0, 0); iy < Math.min(y0 + kernel, h); iy++) {
              for (let ix = Math.max(x0, 0); ix < Math.min(x0 + kernel, w); ix++) {
                const i = ((b * h + iy) * w + ix) * c + ch;
                const v = x[i];
                if (at < 0 || v > best || v !== v) {
                  best = v;
                  at = i;
                }
              }
            }
            if (at >= 0) dx[at] += dy[out + ch];
          }
        }
      }
    }
  },
};
