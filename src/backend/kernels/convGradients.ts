/**
 * Gradients of the `Conv2D` kernel built from fast *forward* ops.
 *
 * Why: tfjs-backend-wasm (XNNPACK) has a fast forward Conv2D but no `Conv2DBackpropFilter` kernel and a slow
 * (~1 GFLOP/s) `Conv2DBackpropInput`; and every backend refuses gradients of dilated convs. Expressing both
 * gradients as forward convolutions (plus cheap reshapes/transposes) makes them run on any backend, be tidied
 * and taped like any other op, and need no per-backend C++.
 *
 * Layout conventions: NHWC activations, filters `[kh, kw, cin, cout]`.
 *
 * @module
 */
import * as tf from "../../deps/tfjs_core.ts";
import { convFilterGradKernel, reindexFilterKernel } from "./filterKernels.ts";
import { simdKernels } from "./simd/mod.ts";
import { jsKernelsActive, runJsKernel } from "./jsKernel.ts";
// The stock gradients must be registered before ours capture and override them: tfjs-core's Node bundle
// registers none (and its ESM files do not load in Deno); the @tensorflow/tfjs bundle does, into tfjs-core's
// global registry.
import "../../deps/tfjs.ts";

/** Padding accepted by the conv kernels: `"same"`, `"valid"`, a number, or explicit NHWC pairs. */
export type ConvPad =
  | "same"
  | "valid"
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

/** Resolved geometry of one 2-D convolution (NHWC), as the forward kernel computes it. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
  outH: number;
  outW: number;
}

/** Normalises a stride/dilation attribute (number or pair) to a pair. */
export function pair(v: number | [number, number] | number[] | undefined): [number, number] {
  if (v == null) return [1, 1];
  if (typeof v === "number") return [v, v];
  return [v[0], v[1]];
}

/**
 * Computes output size and the four paddings exactly as the forward kernel does, by delegating to
 * `backend_util.computeConv2DInfo` (so SAME/VALID/explicit/rounding semantics can never drift from tfjs).
 */
export function convGeometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number],
  dimRoundingMode?: "floor" | "round" | "ceil",
  depthwise = false,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad as any,
    dimRoundingMode,
    depthwise,
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: info.padInfo.top,
    bottom: info.padInfo.bottom,
    left: info.padInfo.left,
    right: info.padInfo.right,
    outH: info.outHeight,
    outW: info.outWidth,
  };
}

/**
 * One spatial axis of the input-gradient plan. The input gradient is computed as a stride-1 forward conv of
 * `dy` (padded by `padBefore`/`padAfter`) with a re-indexed filter of length `len` whose tap `u` of phase `r`
 * is original tap `taps[r * len + u]` (-1 = zero). With stride s > 1 the s phases (sub-pixel decomposition)
 * become s extra output channels that are interleaved afterwards: this does the same FLOPs as the forward conv
 * instead of the s^2 times more a zero-inserted `dy` would cost.
 */
export interface AxisPlan {
  phases: number;
  len: number;
  taps: number[];
  dilation: number;
  padBefore: number;
  padAfter: number;
  /** First row of the conv output to keep. */
  cropStart: number;
  /** Rows kept per phase; interleaved length is `perPhase * phases`, then cropped to the input size. */
  perPhase: number;
}

/**
 * Plans one axis of the input gradient for input length `n`, output length `no`, kernel `k`, stride `s`,
 * dilation `d` and leading forward padding `before`.
 *
 * Derivation: the forward conv reads `xpad[i*s + t*d]`, so `dxpad[p] = sum_{i*s + t*d = p} dy[i] * w[t]`
 * and `dx[h] = dxpad[h + before]`.
 */
export function planAxis(n: number, no: number, k: number, s: number, d: number, before: number): AxisPlan {
  if (s === 1) {
    // Full correlation with the flipped filter (dilated the same way): pad effK-1-before in front.
    const effK = (k - 1) * d + 1;
    const pb = effK - 1 - before;
    const pa = n - no + before;
    const taps: number[] = [];
    for (let u = 0; u < k; u++) taps.push(k - 1 - u);
    // Negative paddings (explicit padding wider than the kernel) become crops of the conv output.
    return {
      phases: 1,
      len: k,
      taps,
      dilation: d,
      padBefore: Math.max(0, pb),
      padAfter: Math.max(0, pa),
      cropStart: Math.max(0, -pb),
      perPhase: n,
    };
  }
  if (d !== 1) {
    throw new Error(
      `conv input gradient: stride ${s} together with dilation ${d} is unsupported (tfjs forbids the forward; ` +
        `use convolve(), which never produces it)`,
    );
  }
  // Sub-pixel decomposition. Output row p' = q*s + r of dx reads taps t = rr + m*s with rr = (r+before) mod s,
  // a = floor((r+before)/s): dx[q*s + r] = sum_m dy[q + a - m] * w[rr + m*s].
  const info: { rr: number; a: number; count: number }[] = [];
  let padBefore = 0;
  let maxA = -Infinity;
  for (let r = 0; r < s; r++) {
    const t = r + before;
    const rr = t % s;
    const a = Math.floor(t / s);
    const count = rr < k ? Math.ceil((k - rr) / s) : 0;
    info.push({ rr, a, count });
    if (count > 0) {
      padBefore = Math.max(padBefore, count - 1 - a);
      maxA = Math.max(maxA, a);
    }
  }
  const perPhase = Math.ceil(n / s);
  if (maxA === -Infinity) {
    // No tap reaches any dx row (e.g. 1x1 kernel with an odd offset): the gradient is all zero.
    return {
      phases: s,
      len: 1,
      taps: new Array(s).fill(-1),
      dilation: 1,
      padBefore: 0,
      padAfter: Math.max(0, perPhase - no),
      cropStart: 0,
      perPhase,
    };
  }
  // Correlation form: phase r uses filter index u = a + P - m, so all phases share one length and padding.
  const len = maxA + padBefore + 1;
  const taps: number[] = [];
  for (let r = 0; r < s; r++) {
    const { rr, a, count } = info[r];
    for (let u = 0; u < len; u++) {
      const m = a + padBefore - u;
      taps.push(m >= 0 && m < count ? rr + m * s : -1);
    }
  }
  const padAfter = perPhase - no - padBefore + len - 1;
  return {
    phases: s,
    len,
    taps,
    dilation: 1,
    padBefore,
    padAfter: Math.max(0, padAfter),
    cropStart: 0,
    perPhase,
  };
}

/**
 * Builds the tap index list `[uh][uw][rh][rw]` into a flattened `[kh*kw + 1, ...]` filter whose last row is
 * zeros. Building filters with `gather` keeps it one small op on every backend (tf.reverse is slow on wasm).
 */
export function tapIndex(ph: AxisPlan, pw: AxisPlan, kw: number, zeroRow: number): tf.Tensor1D {
  const idx: number[] = [];
  for (let uh = 0; uh < ph.len; uh++) {
    for (let uw = 0; uw < pw.len; uw++) {
      for (let rh = 0; rh < ph.phases; rh++) {
        for (let rw = 0; rw < pw.phases; rw++) {
          const th = ph.taps[rh * ph.len + uh];
          const tw = pw.taps[rw * pw.len + uw];
          idx.push(th >= 0 && tw >= 0 ? th * kw + tw : zeroRow);
        }
      }
    }
  }
  return tf.tensor1d(idx, "int32");
}

/**
 * Finishes an input gradient: crops the stride-1 conv output `y` `[B, *, *, phases*C]` (channel order
 * `(rh, rw, c)`), interleaves the phases into space and crops to `[B, H, W, C]`.
 */
export function interleaveAndCrop(
  y: tf.Tensor4D,
  ph: AxisPlan,
  pw: AxisPlan,
  c: number,
  outShape: [number, number, number, number],
): tf.Tensor4D {
  const [b, lh, lw] = y.shape;
  const qh = ph.perPhase;
  const qw = pw.perPhase;
  if (ph.cropStart > 0 || pw.cropStart > 0 || lh !== qh || lw !== qw) {
    y = tf.slice(y, [0, ph.cropStart, pw.cropStart, 0], [b, qh, qw, y.shape[3]]);
  }
  const sh = ph.phases;
  const sw = pw.phases;
  if (sh * sw > 1) {
    // [B*Qh, Qw, sh, sw*C] -> [B*Qh, sh, Qw, sw*C] is the whole depth-to-space as one rank-4 transpose
    // (tf.depthToSpace is ~30x slower on wasm).
    const t = tf.transpose(tf.reshape(y, [b * qh, qw, sh, sw * c]), [0, 2, 1, 3]);
    y = tf.reshape(t, [b, qh * sh, qw * sw, c]);
  }
  if (y.shape[1] !== outShape[1] || y.shape[2] !== outShape[2]) {
    y = tf.slice(y, [0, 0, 0, 0], outShape);
  }
  return y;
}

/**
 * Gradient of `conv2d(x, filter)` w.r.t. `x`, as forward convs: stride 1 is a conv of padded `dy` with the
 * flipped, in/out-swapped (and equally dilated) filter; stride s > 1 uses the sub-pixel decomposition (one conv
 * with s*s times the output channels, then an interleave), so it costs the forward FLOPs.
 */
export function conv2dInputGrad(
  xShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(xShape, filter.shape, strides, pad, dilations, dimRoundingMode);
    const [kh, kw, cin, cout] = filter.shape;
    const ph = planAxis(g.inH, g.outH, kh, g.sh, g.dh, g.top);
    const pw = planAxis(g.inW, g.outW, kw, g.sw, g.dw, g.left);
    const phases = ph.phases * pw.phases;
    // Re-indexed filter [lh, lw, cout, phases*cin].
    let f: tf.Tensor4D;
    if (jsKernelsActive()) {
      const attrs = {
        tapsH: ph.taps,
        tapsW: pw.taps,
        lenH: ph.len,
        lenW: pw.len,
        phasesH: ph.phases,
        phasesW: pw.phases,
      };
      f = runJsKernel(reindexFilterKernel, [filter], attrs)[0] as tf.Tensor4D;
    } else {
      const flat = tf.concat([tf.reshape(filter, [kh * kw, cin * cout]), tf.zeros([1, cin * cout])], 0);
      const gathered = tf.gather(flat, tapIndex(ph, pw, kw, kh * kw));
      f = tf.reshape(
        tf.transpose(tf.reshape(gathered, [ph.len, pw.len, phases, cin, cout]), [0, 1, 4, 2, 3]),
        [ph.len, pw.len, cout, phases * cin],
      ) as tf.Tensor4D;
    }
    const y = tf.conv2d(
      dy,
      f,
      1,
      [[0, 0], [ph.padBefore, ph.padAfter], [pw.padBefore, pw.padAfter], [0, 0]],
      "NHWC",
      [ph.dilation, pw.dilation],
    );
    return interleaveAndCrop(y, ph, pw, cin, [g.batch, g.inH, g.inW, cin]);
  });
}

/**
 * Gradient of `conv2d(x, filter)` w.r.t. `filter`:
 * `dW[kh,kw,ci,co] = sum_{b,h,w} xpad[b, h*s + kh*d, w*s + kw*d, ci] * dy[b,h,w,co]`, computed as ONE forward
 * conv of `x` transposed to `[ci, H, W, b]` (batch=ci, channels=b) with `dy` transposed to `[Ho, Wo, b, co]`
 * as the filter, conv strides = d and dilations = s (benchmarked ~10x faster on wasm than im2col + matMul,
 * because wasm matMul with transposeA and JS slicing are slow). Unpadded 1x1 stride-1 convs use a plain
 * matMul of `x^T` and `dy`, which is ~4x faster there than the 32x32-"filter" conv.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(x.shape, filterShape, strides, pad, dilations, dimRoundingMode);
    const [kh, kw, cin, cout] = filterShape;
    if (g.sh > 1 && g.dh > 1 || g.sw > 1 && g.dw > 1) {
      throw new Error("conv filter gradient: stride and dilation both > 1 is unsupported (use convolve())");
    }
    if (
      g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 && cout % 4 === 0 && tf.getBackend() === "wasm" &&
      simdKernels(tf.backend())
    ) {
      const attrs = { kh, kw, padTop: g.top, padLeft: g.left };
      return runJsKernel(convFilterGradKernel, [x, dy], attrs)[0] as tf.Tensor4D;
    }
    const noPad = g.top === 0 && g.bottom === 0 && g.left === 0 && g.right === 0;
    if (kh === 1 && kw === 1 && g.sh === 1 && g.sw === 1 && noPad) {
      const n = g.batch * g.inH * g.inW;
      const w = tf.matMul(tf.transpose(tf.reshape(x, [n, cin])), tf.reshape(dy, [n, cout]));
      return tf.reshape(w, filterShape);
    }
    // Make sure the padded input is long enough to produce all kh x kw positions (it always is for tfjs'
    // own geometry; this only guards exotic rounding modes).
    const needH = (kh - 1) * g.dh + (g.outH - 1) * g.sh + 1;
    const needW = (kw - 1) * g.dw + (g.outW - 1) * g.sw + 1;
    const bottom = Math.max(g.bottom, needH - g.inH - g.top);
    const right = Math.max(g.right, needW - g.inW - g.left);
    const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, H, W, b]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, b, co]
    let out = tf.conv2d(
      xt,
      dyt,
      [g.dh, g.dw],
      [[0, 0], [g.top, bottom], [g.left, right], [0, 0]],
      "NHWC",
      [g.sh, g.sw],
    ); // [ci, >=kh, >=kw, co]
    if (out.shape[1] !== kh || out.shape[2] !== kw) out = tf.slice(out, [0, 0, 0, 0], [cin, kh, kw, cout]);
    return tf.transpose(out, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** True when every entry of a stride/dilation attribute is 1. */
export function allOnes(v: number | number[] | undefined): boolean {
  const [a, b] = pair(v as any);
  return a === 1 && b === 1;
}

/**
 * Whether the composed gradients should be used: always on wasm (its own backprop kernels are missing or slow)
 * and for dilations > 1 everywhere (stock tfjs refuses them). Other backends keep the stock kernels so that
 * the cpu backend stays the untouched reference.
 */
export function useComposed(dilations: number | number[] | undefined): boolean {
  return tf.getBackend() === "wasm" || !allOnes(dilations);
}

/** A conv-like gradient computed from (saved x, saved filter, dy) and the kernel's attributes. */
type ComposedGrad = (x: tf.Tensor4D, filter: tf.Tensor4D, dy: tf.Tensor4D, attrs: any) => tf.Tensor4D;

/**
 * A replacement gradient for a conv-like kernel with inputs (x, filter): the composed gradients on wasm or
 * when dilated, otherwise tfjs' stock gradient (captured when installed) so behaviour elsewhere is
 * unchanged. `install()` registers it, idempotently.
 */
export function composedGradient(kernelName: string, inputGrad: ComposedGrad, filterGrad: ComposedGrad) {
  let stock: tf.GradConfig | undefined;
  const config: tf.GradConfig = {
    kernelName,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const a = attrs as any;
      if (!useComposed(a.dilations) || a.dataFormat === "NCHW") {
        if (stock == null) throw new Error(`stock ${kernelName} gradient not captured`);
        return stock.gradFunc(dy, saved, attrs);
      }
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      return { x: () => inputGrad(x, filter, dy4, a), filter: () => filterGrad(x, filter, dy4, a) };
    },
  };
  const install = () => {
    const current = tf.getGradient(kernelName);
    if (current === config) return;
    if (stock == null) stock = current;
    tf.registerGradient(config);
  };
  return { config, install };
}

const conv2dGradient = composedGradient(
  "Conv2D",
  (x, filter, dy, a) =>
    conv2dInputGrad(x.shape, dy, filter, a.strides, a.pad, a.dilations, a.dimRoundingMode),
  (x, filter, dy, a) =>
    conv2dFilterGrad(x, dy, filter.shape, a.strides, a.pad, a.dilations, a.dimRoundingMode),
);

/** Replacement gradient for the `Conv2D` kernel (see {@linkcode composedGradient}). */
export const conv2dGradConfig: tf.GradConfig = conv2dGradient.config;

/** Installs {@link conv2dGradConfig}, remembering the stock gradient once. Idempotent. */
export const registerConv2dGradient: () => void = conv2dGradient.install;
