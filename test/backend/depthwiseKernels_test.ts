/**
 * The depthwise kernels (src/backend/kernels/depthwiseKernels.ts): the SIMD loops on wasm, their JS
 * references on wasm and on cpu, against the tfjs cpu backend's own depthwise conv and backprop kernels;
 * and on wasm, bit for bit against the paths they replace.
 * tfjs' cpu backprop kernels ignore dilation and its forward refuses stride 2 with dilation 2, so those
 * references use the zero-inserted ("dilated") filter in an undilated conv.
 */
import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { convGeometry, convolve, type ConvPad, depthwiseInputGrad } from "../../src/backend/kernels/mod.ts";
import {
  depthwiseAttrs,
  depthwiseConvKernel,
  depthwiseFilterGradKernel,
  depthwiseInputGradKernel,
  simdDepthwiseSupported,
} from "../../src/backend/kernels/depthwiseKernels.ts";
import { runJsKernel } from "../../src/backend/kernels/jsKernel.ts";
import { setSimdKernelsEnabled } from "../../src/backend/kernels/simd/mod.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

interface Case {
  b: number;
  h: number;
  w: number;
  c: number;
  k: number;
  s: number;
  d: number;
  pad: "same" | "valid" | number;
}

const label = (c: Case) => `b${c.b} ${c.h}x${c.w}x${c.c} k${c.k} s${c.s} d${c.d} pad=${c.pad}`;

// DARTS' geometry (padding (k − 1)/2 · d) at strides 1 and 2, dilations 1 and 2, kernels 3 and 5, odd and
// even sizes, batch 1 and 3, channels below 4 (scalar loops), a multiple of 4, and not (overlapping last block);
// then SAME and VALID, whose padding is asymmetric or none.
const CASES: Case[] = [
  ...[[1, 1], [2, 1], [1, 2], [2, 2]].flatMap(([s, d], i) =>
    [3, 5].flatMap((k, j) =>
      [[1, 7, 8, 6], [3, 8, 9, 13], [2, 9, 6, 4], [1, 6, 7, 3]].map(([b, h, w, c], l) => ({
        b,
        h: h + ((i + j + l) % 2),
        w,
        c,
        k,
        s,
        d,
        pad: ((k - 1) / 2) * d,
      }))
    )
  ),
  { b: 2, h: 7, w: 8, c: 5, k: 3, s: 2, d: 1, pad: "same" },
  { b: 1, h: 8, w: 8, c: 8, k: 5, s: 2, d: 1, pad: "same" },
  { b: 2, h: 9, w: 7, c: 7, k: 3, s: 1, d: 2, pad: "valid" },
  { b: 1, h: 6, w: 9, c: 12, k: 5, s: 2, d: 1, pad: 0 },
];

/** tfjs' own padding argument for a case. */
function tfPad(
  p: Case["pad"],
): "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]] {
  return typeof p === "number" ? [[0, 0], [p, p], [p, p], [0, 0]] : p;
}

/** The filter with d − 1 zeros between taps: an undilated conv with it is the dilated conv. */
function dilateFilter(f: tf.Tensor4D, d: number): tf.Tensor4D {
  if (d === 1) return f;
  const [k, , c, m] = f.shape;
  const eff = (k - 1) * d + 1;
  const z = tf.pad(tf.reshape(f, [k, 1, k, 1, c * m]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0]]);
  return tf.slice(tf.reshape(z, [k * d, k * d, c, m]), [0, 0, 0, 0], [eff, eff, c, m]) as tf.Tensor4D;
}

function inputs(c: Case) {
  const x = tf.randomNormal([c.b, c.h, c.w, c.c], 0, 1, "float32", 11) as tf.Tensor4D;
  const f = tf.randomNormal([c.k, c.k, c.c, 1], 0, 1, "float32", 12) as tf.Tensor4D;
  const g = convGeometry(x.shape, f.shape, c.s, c.pad as ConvPad, c.d, undefined, true);
  const dy = tf.randomNormal([c.b, g.outH, g.outW, c.c], 0, 1, "float32", 13) as tf.Tensor4D;
  return { x, f, dy, attrs: depthwiseAttrs(g) };
}

/** y, dx, dw from the tfjs cpu backend's own kernels. */
function reference(c: Case): number[][] {
  return tf.tidy(() => {
    const { x, f, dy } = inputs(c);
    const fd = dilateFilter(f, c.d);
    const attrs = { strides: [c.s, c.s], pad: tfPad(c.pad), dilations: [1, 1], dataFormat: "NHWC" };
    const y = tf.depthwiseConv2d(x, fd, c.s, tfPad(c.pad));
    const dx = tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter: fd }, {
      ...attrs,
      inputShape: x.shape,
    } as any) as tf.Tensor;
    const dwd = tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, {
      ...attrs,
      filterShape: fd.shape,
    } as any) as tf.Tensor4D;
    // The taps of the dilated filter that are the real filter's.
    const dw = tf.stridedSlice(dwd, [0, 0, 0, 0], dwd.shape, [c.d, c.d, 1, 1]);
    return [y, dx, dw].map(values);
  });
}

/** y, dx, dw from our kernels on the active backend. */
function ours(c: Case): number[][] {
  return tf.tidy(() => {
    const { x, f, dy, attrs } = inputs(c);
    return [
      runJsKernel(depthwiseConvKernel, [x, f], attrs)[0],
      runJsKernel(depthwiseInputGradKernel, [dy, f], attrs)[0],
      runJsKernel(depthwiseFilterGradKernel, [x, dy], attrs)[0],
    ].map(values);
  });
}

Deno.test(`depthwise kernels (SIMD, JS on wasm, JS on cpu) equal tfjs cpu's conv and backprop, ${CASES.length} cases`, async () => {
  let simdCases = 0;
  for (const c of CASES) {
    const ref = await onBackend("cpu", () => reference(c));
    const ways: [string, "wasm" | "cpu", boolean][] = [
      ["SIMD", "wasm", true],
      ["JS on wasm", "wasm", false],
      [
        "JS on cpu",
        "cpu",
        true,
      ],
    ];
    for (const [way, backend, simd] of ways) {
      setSimdKernelsEnabled(simd);
      try {
        const got = await onBackend(backend, () => ours(c));
        ["y", "dx", "dw"].forEach((what, i) => {
          assert.equal(got[i].length, ref[i].length, `${label(c)} ${way}: ${what} size`);
          const e = relativeError(got[i], ref[i]);
          assert.ok(e < 1e-5, `${label(c)} ${way}: ${what} relative error ${e}`);
        });
      } finally {
        setSimdKernelsEnabled(true);
      }
    }
    if (simdDepthwiseSupported(c.c, 1, c.k, c.k)) simdCases++;
  }
  assert.ok(simdCases >= 24, `only ${simdCases} cases reach the SIMD loops`);
});

Deno.test("depthwise SIMD kernels on wasm return tfjs' own results bit for bit: the forward XNNPACK's, the input gradient the composed one's", async () => {
  await onBackend("wasm", () => {
    let n = 0;
    for (
      const c of CASES.filter((c) => simdDepthwiseSupported(c.c, 1, c.k, c.k) && (c.s === 1 || c.d === 1))
    ) {
      tf.tidy(() => {
        const { x, f, dy, attrs } = inputs(c);
        const y = runJsKernel(depthwiseConvKernel, [x, f], attrs)[0];
        const dx = runJsKernel(depthwiseInputGradKernel, [dy, f], attrs)[0];
        setSimdKernelsEnabled(false);
        try {
          assert.deepEqual(
            values(y),
            values(tf.depthwiseConv2d(x, f, c.s, tfPad(c.pad), "NHWC", c.d)),
            `${label(c)}: y`,
          );
          const composed = depthwiseInputGrad(x.shape, dy, f, c.s, tfPad(c.pad), c.d);
          assert.deepEqual(values(dx), values(composed), `${label(c)}: dx`);
        } finally {
          setSimdKernelsEnabled(true);
        }
      });
      n++;
    }
    assert.ok(n >= 18, `${n} cases`);
  });
});

/** The DARTS sep_conv / dil_conv geometries: kernel, stride, dilation (padding (k − 1)/2 · d). */
const DARTS: [number, number, number][] = [[3, 1, 1], [5, 1, 1], [3, 2, 1], [5, 2, 1], [3, 1, 2], [5, 1, 2]];

/** y, dx and dw of sum(conv(x, f) · r) on the active backend, for DARTS geometry (k, s, d). */
function gradients(
  conv: (x: tf.Tensor4D, f: tf.Tensor4D, s: number, pad: number, d: number) => tf.Tensor4D,
  [k, s, d]: number[],
  [b, h, c]: number[],
): number[][] {
  return tf.tidy(() => {
    const x = tf.randomNormal([b, h, h, c], 0, 1, "float32", 21) as tf.Tensor4D;
    const f = tf.randomNormal([k, k, c, 1], 0, 1, "float32", 22) as tf.Tensor4D;
    const pad = ((k - 1) / 2) * d;
    const y = conv(x, f, s, pad, d);
    const r = tf.randomNormal(y.shape, 0, 1, "float32", 23);
    const loss = (xx: tf.Tensor, ff: tf.Tensor) =>
      tf.sum(tf.mul(conv(xx as tf.Tensor4D, ff as tf.Tensor4D, s, pad, d), r));
    return [y, ...tf.grads(loss)([x, f])].map(values);
  });
}

/** `what` agree: y and dx bit for bit, dw to float rounding. */
function assertSame(got: number[][], want: number[][], what: string) {
  assert.deepEqual(got[0], want[0], `${what}: y`);
  assert.deepEqual(got[1], want[1], `${what}: dx`);
  const e = relativeError(got[2], want[2]);
  assert.ok(e < 1e-5, `${what}: dw relative error ${e}`);
}

const tfjsConv = (x: tf.Tensor4D, f: tf.Tensor4D, s: number, pad: number, d: number) =>
  tf.depthwiseConv2d(x, f, s, pad, "NHWC", d);

Deno.test("the SIMD forward kernel's gradient (SIMD input and filter gradients) equals tfjs' depthwise conv with the composed gradients, DARTS geometries", async () => {
  await onBackend("wasm", () => {
    const simdConv = (x: tf.Tensor4D, f: tf.Tensor4D, s: number, pad: number, d: number) =>
      runJsKernel(
        depthwiseConvKernel,
        [x, f],
        depthwiseAttrs(convGeometry(x.shape, f.shape, s, pad, d, undefined, true)),
      )[0] as tf.Tensor4D;
    for (const geometry of DARTS) {
      for (const shape of [[2, 8, 8], [1, 7, 12]]) {
        const simd = gradients(simdConv, geometry, shape);
        setSimdKernelsEnabled(false);
        const composed = gradients(tfjsConv, geometry, shape);
        setSimdKernelsEnabled(true);
        assertSame(simd, composed, `k${geometry[0]} s${geometry[1]} d${geometry[2]} [${shape}]`);
      }
    }
  });
});

Deno.test("convolve's depthwise convs on wasm, SIMD kernels on and off, agree (values and input gradient bit for bit), stride 2 with dilation 2 included", async () => {
  await onBackend("wasm", () => {
    const viaConvolve = (
      x: tf.Tensor4D,
      f: tf.Tensor4D,
      strides: number,
      padding: number,
      dilations: number,
    ) => convolve(x, f, { strides, padding, dilations, depthwise: true });
    for (const geometry of [...DARTS, [3, 2, 2], [5, 2, 2]]) {
      for (const shape of [[2, 8, 8], [1, 7, 12], [2, 6, 2], [1, 5, 3]]) {
        const simd = gradients(viaConvolve, geometry, shape);
        setSimdKernelsEnabled(false);
        const composed = gradients(viaConvolve, geometry, shape);
        setSimdKernelsEnabled(true);
        assertSame(simd, composed, `k${geometry[0]} s${geometry[1]} d${geometry[2]} [${shape}]`);
      }
    }
  });
});
