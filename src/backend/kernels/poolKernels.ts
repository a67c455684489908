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
 * On wasm it runs as the SIMD loop of ./simd/kernels.c (the same sums in the same order: the same bits).
 */
export const maxPoolGradKernel: JsKernel<MaxPoolAttrs> = {
  name: "SadartsMaxPoolGrad",
  outputShapes: ([, x]) => [x],
  simd(k, [dy, x], [dx], [[, oh, ow], [n, h, w, c]], { kernel, stride, padding }) {
    k.max_pool_grad(dy, x, dx, n, h, w, c, oh, ow, kernel, stride, padding);
  },
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

/** `pre`: 0 for the forward (sum, then scale by the window's 1/count), 1 for the gradient. */
export type AvgPool3Attrs = { pre: boolean };

/**
 * 3x3 average pooling, stride 1, padding 1, count_include_pad = False, as one kernel each way (NB201's
 * avg_pool_3x3): forward out = Σ_window x / count(h, w); gradient dx = Σ_window dy(h', w') / count(h', w').
 * Inputs [x] (or [dy]); outputs [same shape].
 */
export const avgPool3Kernel: JsKernel<AvgPool3Attrs> = {
  name: "SadartsAvgPool3",
  outputShapes: ([x]) => [x],
  simd(k, [x], [out], [[b, h, w, c]], { pre }) {
    k.avg_pool3(x, out, b, h, w, c, pre ? 1 : 0);
  },
  compute([x], [out], [[b, h, w, c]], { pre }) {
    const span = (i: number, n: number) => [Math.max(i - 1, 0), Math.min(i + 1, n - 1)];
    const count = (y: number, xx: number) => {
      const [y0, y1] = span(y, h);
      const [x0, x1] = span(xx, w);
      return (y1 - y0 + 1) * (x1 - x0 + 1);
    };
    for (let n = 0; n < b; n++) {
      for (let y = 0; y < h; y++) {
        const [y0, y1] = span(y, h);
        for (let xx = 0; xx < w; xx++) {
          const [x0, x1] = span(xx, w);
          const o = ((n * h + y) * w + xx) * c;
          for (let ch = 0; ch < c; ch++) {
            let acc = 0;
            for (let i = y0; i <= y1; i++) {
              for (let j = x0; j <= x1; j++) {
                const v = x[((n * h + i) * w + j) * c + ch];
                acc += pre ? v / count(i, j) : v;
              }
            }
            out[o + ch] = pre ? acc : acc / count(y, xx);
          }
        }
      }
    }
  },
};
