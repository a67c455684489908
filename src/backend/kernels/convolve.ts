/**
 * One entry point for (depthwise) 2-D convolution with any combination of stride and dilation.
 *
 * Why: tfjs forbids stride > 1 together with dilation > 1 (DARTS' dil_conv in reduction cells needs
 * stride 2 with dilation 2). Since the conv reads `xpad[i*s + t*d]`, with g = gcd(s, d) per axis it only
 * touches every g-th padded input row: subsampling the padded input by g turns it into a conv with stride s/g
 * and dilation d/g. For s == d (the DARTS case) that is a plain undilated conv on a quarter of the pixels, so
 * no FLOPs are wasted. If s/g and d/g are still both > 1, the rest is done as a stride-1 dilated conv followed
 * by strided subsampling of its output. Subsampling is pad/reshape/slice, whose stock gradients are exact, and
 * the remaining conv is one whose gradient ./convGradients.ts or ./depthwiseGradients.ts provide. A depthwise
 * conv the SIMD kernels of ./depthwiseKernels.ts take needs none of this: they run any stride and dilation
 * in one pass each way (the pads and strided slices cost more than the conv: 4 ms for one slice of
 * [768, 2, 12, 32] on wasm).
 *
 * @module
 */
import * as tf from "../../deps/tfjs_core.ts";
import { convGeometry, type ConvPad, pair } from "./convGradients.ts";
import { depthwiseConv, simdDepthwise } from "./depthwiseGradients.ts";

/** Options of {@link convolve}. */
export interface ConvolveOptions {
  /** Stride, one number or [h, w] (default 1). */
  strides?: number | [number, number];
  /** "same", "valid", symmetric zero padding per side, or explicit NHWC pairs (default "valid"). */
  padding?: ConvPad;
  /** Dilation, one number or [h, w] (default 1). */
  dilations?: number | [number, number];
  /** Depthwise conv (filter [kh, kw, c, multiplier]) instead of dense (filter [kh, kw, cin, cout]). */
  depthwise?: boolean;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Takes rows/columns 0, s, 2s, ... (`len` of them per axis) of `x` [B, H, W, C], zero-extending `x` at the
 * bottom/right first when it is too short. Uses pad/slice + reshape + slice (all with stock gradients).
 */
export function subsample(
  x: tf.Tensor4D,
  [sh, sw]: [number, number],
  [lenH, lenW]: [number, number],
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const th = lenH * sh;
  const tw = lenW * sw;
  if (th > h || tw > w) x = tf.pad(x, [[0, 0], [0, Math.max(0, th - h)], [0, Math.max(0, tw - w)], [0, 0]]);
  if (x.shape[1] !== th || x.shape[2] !== tw) x = tf.slice(x, [0, 0, 0, 0], [b, th, tw, c]);
  if (sh === 1 && sw === 1) return x;
  // [B*lenH, sh, lenW, sw*C]: row phase 0 and the first C of each sw*C block are the kept pixels.
  const r = tf.slice(tf.reshape(x, [b * lenH, sh, lenW, sw * c]), [0, 0, 0, 0], [b * lenH, 1, lenW, c]);
  return tf.reshape(r, [b, lenH, lenW, c]);
}

function forward(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number],
  pad: ConvPad,
  dilations: [number, number],
  depthwise: boolean,
): tf.Tensor4D {
  return depthwise
    ? depthwiseConv(x, filter, strides, pad, dilations)
    : tf.conv2d(x, filter, strides, pad as any, "NHWC", dilations);
}

/**
 * 2-D convolution (dense or depthwise, NHWC) that also accepts stride > 1 together with dilation > 1, with
 * tfjs' padding semantics (SAME/VALID/explicit computed for the strided, dilated conv). Differentiable on every
 * backend once `registerTrainingKernels()` has run.
 */
export function convolve(x: tf.Tensor4D, filter: tf.Tensor4D, opts: ConvolveOptions = {}): tf.Tensor4D {
  const strides = pair(opts.strides ?? 1);
  const dilations = pair(opts.dilations ?? 1);
  const depthwise = opts.depthwise ?? false;
  let pad: ConvPad = opts.padding ?? "valid";
  if (typeof pad === "number") pad = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
  const both = (strides[0] > 1 && dilations[0] > 1) || (strides[1] > 1 && dilations[1] > 1);
  const [kh, kw, c, m] = filter.shape;
  if (!both || (depthwise && simdDepthwise(c, m, kh, kw))) {
    return forward(x, filter, strides, pad, dilations, depthwise);
  }
  return tf.tidy(() => {
    const g = convGeometry(x.shape, filter.shape, strides, pad, dilations, undefined, depthwise);
    const gh = gcd(strides[0], dilations[0]);
    const gw = gcd(strides[1], dilations[1]);
    const s2: [number, number] = [strides[0] / gh, strides[1] / gw];
    const d2: [number, number] = [dilations[0] / gh, dilations[1] / gw];
    // Rows of the subsampled padded input the reduced conv (VALID) needs.
    const nH = (g.outH - 1) * s2[0] + (g.kh - 1) * d2[0] + 1;
    const nW = (g.outW - 1) * s2[1] + (g.kw - 1) * d2[1] + 1;
    const xp = tf.pad(x, [[0, 0], [g.top, Math.max(0, g.bottom)], [g.left, Math.max(0, g.right)], [0, 0]]);
    const xs = subsample(xp as tf.Tensor4D, [gh, gw], [nH, nW]);
    const bothLeft = (s2[0] > 1 && d2[0] > 1) || (s2[1] > 1 && d2[1] > 1);
    if (!bothLeft) return forward(xs, filter, s2, "valid", d2, depthwise);
    // Coprime leftovers: stride-1 dilated conv, then keep every s2-th output.
    const full = forward(xs, filter, [1, 1], "valid", d2, depthwise);
    return subsample(full, s2, [g.outH, g.outW]);
  });
}
