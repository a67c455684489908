/**
 * Gradients of the `DepthwiseConv2dNative` kernel (filter `[kh, kw, c, multiplier]`).
 *
 * Why: tfjs-backend-wasm has no depthwise backprop kernels at all, and every backend refuses dilated
 * depthwise gradients (DARTS' dil_conv needs them). On wasm with the SIMD kernels, the gradients of the
 * convs DARTS uses (multiplier 1, c ≥ 4; the filter gradient from 1 channel) are the loops of ./depthwiseKernels.ts: the filter gradient
 * always (measured 8-30x the JS loop below), the input gradient when strided (3-5x the composition below)
 * or when XNNPACK runs one thread (1.3-1.8x). Elsewhere, the input gradient is a forward depthwise conv of
 * `dy` with a re-indexed (flipped / sub-pixel) filter, so it runs on any backend and is taped and tidied
 * like any op; the filter gradient is a JS loop on wasm, registered as `DepthwiseConv2dNativeBackpropFilter`
 * (the same pattern tfjs-backend-wasm uses for its JS Slice kernel), and composed from strided slices,
 * multiplies and sums on other backends.
 *
 * @module
 */
import * as tf from "../../deps/tfjs_core.ts";
import {
  composedGradient,
  convGeometry,
  type ConvPad,
  interleaveAndCrop,
  planAxis,
  tapIndex,
} from "./convGradients.ts";
import {
  type DepthwiseAttrs,
  depthwiseAttrs,
  depthwiseConvKernel,
  depthwiseFilterGradKernel,
  depthwiseFilterGradLoop,
  depthwiseInputGradKernel,
  simdDepthwiseSupported,
} from "./depthwiseKernels.ts";
import { runJsKernel } from "./jsKernel.ts";
import { simdKernels } from "./simd/mod.ts";

/** Whether the active backend runs a depthwise conv of this shape as SIMD kernels (wasm, kernels on). */
export function simdDepthwise(c: number, m: number, kh: number, kw: number, filterGradient = false): boolean {
  return tf.getBackend() === "wasm" && simdDepthwiseSupported(c, m, kh, kw, filterGradient) &&
    simdKernels(tf.backend()) != null;
}

/**
 * Gradients of the SIMD forward kernel (`SadartsDepthwiseConv`, inputs in0 = x, in1 = filter): the SIMD
 * input- and filter-gradient kernels, with the forward's geometry.
 */
const simdConvGradConfig: tf.GradConfig = {
  kernelName: depthwiseConvKernel.name,
  inputsToSave: ["in0", "in1"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], [x, filter]: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const a = attrs as unknown as DepthwiseAttrs;
    const g = dy as tf.Tensor;
    return {
      in0: () => runJsKernel(depthwiseInputGradKernel, [g, filter], a)[0],
      in1: () => runJsKernel(depthwiseFilterGradKernel, [x, g], a)[0],
    };
  },
};

function registerSimdConvGradient(): void {
  if (tf.getGradient(simdConvGradConfig.kernelName) !== simdConvGradConfig) {
    tf.registerGradient(simdConvGradConfig);
  }
}

/** XNNPACK's threads on the active wasm backend (its pool; 1 in the single-threaded build). */
function xnnpackThreads(): number {
  return (tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs
    .getThreadsCount();
}

/**
 * `tf.depthwiseConv2d` (NHWC) on the active backend. On wasm with one thread, where the SIMD kernels take
 * the shape and the filter has at most 25 taps, their forward (1.2-1.9x XNNPACK's speed here), whose
 * results are XNNPACK's bit for bit (the sums run in the same order; XNNPACK's multi-pass kernels for more
 * taps sum in another), differentiated by the SIMD gradient kernels. With more threads XNNPACK's forward,
 * which spreads over them where ours runs on one (with 2 threads and both cores free XNNPACK reached 17-22
 * GFLOP/s on 64x32x32x16, against 10-15 for ours). A conv strided and dilated on one axis is the SIMD
 * kernel's whenever it takes the shape (tfjs refuses it; ./convolve.ts otherwise subsamples first).
 */
export function depthwiseConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number],
  pad: ConvPad,
  dilations: [number, number],
): tf.Tensor4D {
  const [kh, kw, c, m] = filter.shape;
  // Stride and dilation both > 1 (dil_conv in a reduction cell) only the SIMD kernel runs as one conv.
  const stridedDilated = (strides[0] > 1 && dilations[0] > 1) || (strides[1] > 1 && dilations[1] > 1);
  if (!simdDepthwise(c, m, kh, kw) || (!stridedDilated && (kh * kw > 25 || xnnpackThreads() > 1))) {
    return tf.depthwiseConv2d(x, filter, strides, pad as any, "NHWC", dilations);
  }
  registerSimdConvGradient();
  const g = convGeometry(x.shape, filter.shape, strides, pad, dilations, undefined, true);
  return runJsKernel(depthwiseConvKernel, [x, filter], depthwiseAttrs(g))[0] as tf.Tensor4D;
}

/**
 * Gradient of `depthwiseConv2d(x, filter)` w.r.t. `x`: the SIMD kernel where it applies (strided, or XNNPACK
 * on one thread), else a depthwise conv of padded `dy` with the flipped filter (sub-pixel phases as an extra
 * channel multiplier when strided); with multiplier M > 1 the M outputs of each input channel are summed.
 */
export function depthwiseInputGrad(
  xShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(xShape, filter.shape, strides, pad, dilations, dimRoundingMode, true);
    const [kh, kw, c, m] = filter.shape;
    // Unstrided, this composition is one XNNPACK conv, which spreads over XNNPACK's threads (the SIMD
    // kernel's results are the same bits); strided, it runs at a fifth of the kernel's speed.
    if (simdDepthwise(c, m, kh, kw) && (g.sh > 1 || g.sw > 1 || xnnpackThreads() === 1)) {
      return runJsKernel(depthwiseInputGradKernel, [dy, filter], depthwiseAttrs(g))[0] as tf.Tensor4D;
    }
    const ph = planAxis(g.inH, g.outH, kh, g.sh, g.dh, g.top);
    const pw = planAxis(g.inW, g.outW, kw, g.sw, g.dw, g.left);
    const phases = ph.phases * pw.phases;
    const cm = c * m;
    const flat = tf.concat([tf.reshape(filter, [kh * kw, cm]), tf.zeros([1, cm])], 0);
    const gathered = tf.reshape(tf.gather(flat, tapIndex(ph, pw, kw, kh * kw)), [ph.len, pw.len, phases, cm]);
    // Depthwise filter [lh, lw, c*m, phases]: output channel order is (c, m, phase).
    const f = tf.transpose(gathered, [0, 1, 3, 2]) as tf.Tensor4D;
    let y: tf.Tensor = tf.depthwiseConv2d(
      dy,
      f,
      1,
      [[0, 0], [ph.padBefore, ph.padAfter], [pw.padBefore, pw.padAfter], [0, 0]],
      "NHWC",
      [ph.dilation, pw.dilation],
    );
    const [b, lh, lw] = y.shape;
    if (m > 1) y = tf.sum(tf.reshape(y, [b, lh, lw, c, m, phases]), 4);
    if (phases > 1 && c > 1) {
      // (c, phase) -> (phase, c), the order interleaveAndCrop expects.
      y = tf.transpose(tf.reshape(y, [b * lh * lw, c, phases]), [0, 2, 1]);
    }
    y = tf.reshape(y, [b, lh, lw, phases * c]);
    return interleaveAndCrop(y as tf.Tensor4D, ph, pw, c, [g.batch, g.inH, g.inW, c]);
  });
}

/**
 * Depthwise filter gradient from portable ops (any backend):
 * `dW[th,tw,c,m] = sum_{b,i,j} xpad[b, i*sh + th*dh, j*sw + tw*dw, c] * dy[b,i,j,c*m]`, one strided slice +
 * multiply + sum per tap, in a channels-first layout so every sum reduces innermost axes.
 */
export function depthwiseFilterGradComposed(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(x.shape, filterShape, strides, pad, dilations, dimRoundingMode, true);
    const [kh, kw, c, m] = filterShape;
    const spanH = (g.outH - 1) * g.sh + 1;
    const spanW = (g.outW - 1) * g.sw + 1;
    const bottom = Math.max(g.bottom, (kh - 1) * g.dh + spanH - g.inH - g.top);
    const right = Math.max(g.right, (kw - 1) * g.dw + spanW - g.inW - g.left);
    const xp = tf.pad(x, [[0, 0], [g.top, bottom], [g.left, right], [0, 0]]);
    const xt = tf.transpose(xp, [3, 0, 1, 2]); // [c, B, Hp, Wp]
    const dyt = tf.reshape(tf.transpose(dy, [3, 0, 1, 2]), [c, m, g.batch, g.outH, g.outW]);
    const taps: tf.Tensor[] = [];
    for (let th = 0; th < kh; th++) {
      for (let tw = 0; tw < kw; tw++) {
        const h0 = th * g.dh;
        const w0 = tw * g.dw;
        const xs = tf.stridedSlice(xt, [0, 0, h0, w0], [c, g.batch, h0 + spanH, w0 + spanW], [
          1,
          1,
          g.sh,
          g.sw,
        ]);
        const prod = tf.mul(tf.reshape(xs, [c, 1, g.batch, g.outH, g.outW]), dyt);
        taps.push(tf.sum(tf.reshape(prod, [c, m, -1]), 2));
      }
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

/**
 * wasm kernel `DepthwiseConv2dNativeBackpropFilter` (missing from tfjs-backend-wasm): runs
 * {@link depthwiseFilterGradLoop} on views of the wasm heap, no copies. Measured on 64x32x32x16, 3x3: 23 ms,
 * vs 35 ms for a dense conv keeping the diagonal, 48 ms for strided slices, 93 ms for a depthwise conv with
 * batch and channels swapped (XNNPACK's multipass path for a 32x32 "filter").
 */
export const depthwiseBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropFilter",
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dilations, dimRoundingMode, filterShape } = attrs as any;
    const be = backend as any;
    const g = convGeometry(x.shape, filterShape, strides, pad, dilations ?? 1, dimRoundingMode, true);
    const out = be.makeOutput(filterShape, "float32");
    // Views are taken after makeOutput: allocating may grow (and so detach) the wasm heap.
    const res = depthwiseFilterGradLoop(
      be.typedArrayFromHeap(x),
      be.typedArrayFromHeap(dy),
      g,
      filterShape[3],
    );
    be.typedArrayFromHeap(out).set(res);
    return out;
  },
};

/**
 * Depthwise filter gradient on the active backend: on wasm the SIMD kernel where it applies, else the wasm
 * kernel above; the portable composition elsewhere.
 */
export function depthwiseFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  const [kh, kw, c, m] = filterShape;
  if (simdDepthwise(c, m, kh, kw, true)) {
    const g = convGeometry(x.shape, filterShape, strides, pad, dilations, dimRoundingMode, true);
    return runJsKernel(depthwiseFilterGradKernel, [x, dy], depthwiseAttrs(g))[0] as tf.Tensor4D;
  }
  if (tf.getBackend() === "wasm" && tf.getKernel("DepthwiseConv2dNativeBackpropFilter", "wasm") != null) {
    return tf.engine().runKernel(
      "DepthwiseConv2dNativeBackpropFilter",
      { x, dy } as unknown as tf.NamedTensorMap,
      { strides, pad, dilations, dimRoundingMode, filterShape } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
  }
  return depthwiseFilterGradComposed(x, dy, filterShape, strides, pad, dilations, dimRoundingMode);
}

const depthwiseGradient = composedGradient(
  "DepthwiseConv2dNative",
  (x, filter, dy, a) =>
    depthwiseInputGrad(x.shape, dy, filter, a.strides, a.pad, a.dilations ?? 1, a.dimRoundingMode),
  (x, filter, dy, a) =>
    depthwiseFilterGrad(x, dy, filter.shape, a.strides, a.pad, a.dilations ?? 1, a.dimRoundingMode),
);

/** Replacement gradient for `DepthwiseConv2dNative` (see composedGradient in ./convGradients.ts). */
export const depthwiseGradConfig: tf.GradConfig = depthwiseGradient.config;

/**
 * Installs {@link depthwiseGradConfig}, the wasm filter-gradient kernel and the gradient of the SIMD
 * forward kernel. Idempotent.
 */
export function registerDepthwiseGradient(): void {
  if (tf.getKernel("DepthwiseConv2dNativeBackpropFilter", "wasm") == null) {
    tf.registerKernel(depthwiseBackpropFilterWasmConfig);
  }
  depthwiseGradient.install();
  registerSimdConvGradient();
}
