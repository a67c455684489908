/**
 * Depthwise convolution (filter `[kh, kw, c, multiplier]`, NHWC) as three kernels: forward, input gradient
 * and filter gradient, for any stride, dilation and padding. On wasm they run as the SIMD loops of
 * ./simd/kernels.c (multiplier 1, c ≥ 4 (filter gradient: any c), kh, kw ≤ 8: every DARTS sep_conv / dil_conv); the JavaScript
 * versions are the references they are tested against, and run on cpu.
 *
 * Why: the DARTS CNN space is dominated by these convs, and tfjs-backend-wasm has no depthwise backprop at
 * all: composed from forward ops (./depthwiseGradients.ts) the input gradient needs a re-indexed filter, a
 * depthwise conv with one output channel per sub-pixel phase and transposes back (1.7-3.3 GFLOP/s at
 * stride 2), and the filter gradient was a JavaScript loop (0.6-2 GFLOP/s).
 * @module
 */
import type { ConvGeometry } from "./convGradients.ts";
import type { JsKernel } from "./jsKernel.ts";
import type { DepthwiseGeometryArgs } from "./simd/mod.ts";

/** The fields of a {@link ConvGeometry} a depthwise kernel takes (batch and channels come from the shapes). */
const ATTR_KEYS = ["inH", "inW", "outH", "outW", "kh", "kw", "sh", "sw", "dh", "dw", "top", "left"] as const;

/** The geometry of a depthwise conv (the forward's), batch and channels aside: they come from the shapes. */
export type DepthwiseAttrs = { [K in (typeof ATTR_KEYS)[number]]: ConvGeometry[K] };

/** The attributes of a resolved {@link ConvGeometry}. */
export function depthwiseAttrs(g: ConvGeometry): DepthwiseAttrs {
  return Object.fromEntries(ATTR_KEYS.map((k) => [k, g[k]])) as DepthwiseAttrs;
}

/**
 * The depthwise filter-gradient loop over flat NHWC arrays. Accumulates per tap into a `[Wo * c * m]` row
 * buffer (float64) so the hot loop is one long contiguous multiply-add when the column stride is 1 and the
 * multiplier is 1 (the DARTS case), then folds the row buffer into `[kh, kw, c, m]`.
 */
export function depthwiseFilterGradLoop(
  xv: Float32Array,
  dv: Float32Array,
  g: ConvGeometry,
  m: number,
): Float32Array {
  const { batch, inH, inW, inC: c, kh, kw, sh, sw, dh, dw, top, left, outH, outW } = g;
  const cm = c * m;
  const rowLen = outW * cm;
  const acc = new Float64Array(kh * kw * rowLen);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < outH; i++) {
      const dRow = (b * outH + i) * rowLen;
      for (let th = 0; th < kh; th++) {
        const xi = i * sh + th * dh - top;
        if (xi < 0 || xi >= inH) continue;
        const xRow = (b * inH + xi) * inW * c;
        for (let tw = 0; tw < kw; tw++) {
          const aOff = (th * kw + tw) * rowLen;
          // Columns j whose input column j*sw + tw*dw - left lies inside the image.
          const jlo = Math.max(0, Math.ceil((left - tw * dw) / sw));
          const jhi = Math.min(outW, Math.floor((inW - 1 + left - tw * dw) / sw) + 1);
          if (jhi <= jlo) continue;
          if (sw === 1 && m === 1) {
            const xo = xRow + (tw * dw - left) * c;
            for (let k = jlo * c, e = jhi * c; k < e; k++) acc[aOff + k] += xv[xo + k] * dv[dRow + k];
          } else {
            for (let j = jlo; j < jhi; j++) {
              const xo = xRow + (j * sw + tw * dw - left) * c;
              const a = aOff + j * cm;
              const d = dRow + j * cm;
              for (let ch = 0; ch < c; ch++) {
                const xc = xv[xo + ch];
                for (let q = 0; q < m; q++) acc[a + ch * m + q] += xc * dv[d + ch * m + q];
              }
            }
          }
        }
      }
    }
  }
  const out = new Float32Array(kh * kw * cm);
  for (let t = 0; t < kh * kw; t++) {
    for (let k = 0; k < cm; k++) {
      let s = 0;
      for (let j = 0; j < outW; j++) s += acc[t * rowLen + j * cm + k];
      out[t * cm + k] = s;
    }
  }
  return out;
}

/**
 * Whether the SIMD kernels take a depthwise conv with `c` channels, multiplier `m` and a kh × kw filter:
 * the forward and input gradient from 4 channels, the filter gradient (`filterGradient`) from 1.
 */
export function simdDepthwiseSupported(
  c: number,
  m: number,
  kh: number,
  kw: number,
  filterGradient = false,
): boolean {
  return m === 1 && (c >= 4 || filterGradient) && kh <= 8 && kw <= 8;
}

function simdArgs(batch: number, c: number, a: DepthwiseAttrs): DepthwiseGeometryArgs {
  return [batch, a.inH, a.inW, c, a.outH, a.outW, a.kh, a.kw, a.sh, a.sw, a.dh, a.dw, a.top, a.left];
}

/**
 * Every tap of a depthwise conv that reads inside the input, in output-pixel order (batch, row, column),
 * taps row-major: `visit(out, input, tap)` gets the offsets of the output pixel (`cm` channels), of the
 * input pixel it reads (`c` channels) and of the tap's filter row (`cm` entries).
 */
function forEachTap(
  b: number,
  h: number,
  w: number,
  c: number,
  cm: number,
  a: DepthwiseAttrs,
  visit: (out: number, input: number, tap: number) => void,
): void {
  for (let n = 0; n < b; n++) {
    for (let oh = 0; oh < a.outH; oh++) {
      for (let ow = 0; ow < a.outW; ow++) {
        const o = ((n * a.outH + oh) * a.outW + ow) * cm;
        for (let th = 0; th < a.kh; th++) {
          const ih = oh * a.sh + th * a.dh - a.top;
          if (ih < 0 || ih >= h) continue;
          for (let tw = 0; tw < a.kw; tw++) {
            const iw = ow * a.sw + tw * a.dw - a.left;
            if (iw < 0 || iw >= w) continue;
            visit(o, ((n * h + ih) * w + iw) * c, (th * a.kw + tw) * cm);
          }
        }
      }
    }
  }
}

/**
 * Forward: inputs [x [B, H, W, c], filter [kh, kw, c, m]]; outputs [y [B, outH, outW, c·m]],
 * y[b, oh, ow, ch·m + q] = Σ_{th, tw} x[b, oh·sh + th·dh − top, ow·sw + tw·dw − left, ch] · f[th, tw, ch, q]
 * (zero outside x).
 */
export const depthwiseConvKernel: JsKernel<DepthwiseAttrs> = {
  name: "SadartsDepthwiseConv",
  outputShapes: ([[b, , , c], [, , , m]], a) => [[b, a.outH, a.outW, c * m]],
  simd(k, [x, f], [y], [[b, , , c], [kh, kw, , m]], a) {
    if (!simdDepthwiseSupported(c, m, kh, kw)) return false;
    k.dw_forward(x, f, y, ...simdArgs(b, c, a));
  },
  compute([x, f], [y], [[b, h, w, c], [, , , m]], a) {
    y.fill(0); // wasm outputs are not zeroed
    forEachTap(b, h, w, c, c * m, a, (o, xo, fo) => {
      for (let ch = 0; ch < c; ch++) {
        for (let q = 0; q < m; q++) y[o + ch * m + q] += x[xo + ch] * f[fo + ch * m + q];
      }
    });
  },
};

/**
 * Input gradient: inputs [dy [B, outH, outW, c·m], filter [kh, kw, c, m]]; outputs [dx [B, inH, inW, c]],
 * the transpose of {@link depthwiseConvKernel}: each dy value, times each tap, goes back to the input pixel
 * that tap read.
 */
export const depthwiseInputGradKernel: JsKernel<DepthwiseAttrs> = {
  name: "SadartsDepthwiseInputGrad",
  outputShapes: ([[b], [, , c]], a) => [[b, a.inH, a.inW, c]],
  simd(k, [dy, f], [dx], [[b], [kh, kw, c, m]], a) {
    if (!simdDepthwiseSupported(c, m, kh, kw)) return false;
    k.dw_input_grad(dy, f, dx, ...simdArgs(b, c, a));
  },
  compute([dy, f], [dx], [[b], [, , c, m]], a) {
    dx.fill(0); // wasm outputs are not zeroed
    forEachTap(b, a.inH, a.inW, c, c * m, a, (g, xo, fo) => {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let q = 0; q < m; q++) s += dy[g + ch * m + q] * f[fo + ch * m + q];
        dx[xo + ch] += s;
      }
    });
  },
};

/**
 * Filter gradient: inputs [x [B, inH, inW, c], dy [B, outH, outW, c·m]]; outputs [dw [kh, kw, c, m]],
 * dw[th, tw, ch, q] = Σ_{b, oh, ow} x[b, oh·sh + th·dh − top, ow·sw + tw·dw − left, ch] · dy[b, oh, ow, ch·m + q].
 * The JavaScript version is {@link depthwiseFilterGradLoop} (float64 sums).
 */
export const depthwiseFilterGradKernel: JsKernel<DepthwiseAttrs> = {
  name: "SadartsDepthwiseFilterGrad",
  outputShapes: ([[, , , c], [, , , cm]], a) => [[a.kh, a.kw, c, cm / c]],
  simd(k, [x, dy], [dw], [[b, , , c], [, , , cm]], a) {
    if (!simdDepthwiseSupported(c, cm / c, a.kh, a.kw, true)) return false;
    k.dw_filter_grad(x, dy, dw, ...simdArgs(b, c, a));
  },
  compute([x, dy], [dw], [[b, , , c], [, , , cm]], a) {
    const g: ConvGeometry = { ...a, batch: b, inC: c, bottom: 0, right: 0 };
    dw.set(depthwiseFilterGradLoop(x, dy, g, cm / c));
  },
};
