/**
 * Tests of the composed conv / depthwise-conv gradients (src/backend/kernels).
 *
 * Gradients of sum(conv(x, W) * R) w.r.t. x and W are computed on wasm with our gradients and compared with
 * the cpu backend: stock cpu gradients for dilation 1, and for dilation > 1 (which stock tfjs refuses) a
 * reference built on cpu from an explicitly zero-inserted ("dilated") filter used in an undilated conv, whose
 * gradients are stock.
 */
import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import "../../src/deps/tfjs_backend_cpu.ts";
import { setWasmPaths } from "../../src/deps/tfjs_backend_wasm.ts";
import { relativeError } from "../helpers.ts";
import { wasmDistDir } from "../../src/backend/wasmThreads.ts";
import {
  conv2dFilterGrad,
  conv2dGradConfig,
  conv2dInputGrad,
  convolve,
  depthwiseFilterGradComposed,
  depthwiseGradConfig,
  depthwiseInputGrad,
  registerTrainingKernels,
} from "../../src/backend/kernels/mod.ts";

let wasmReady = false;
/** Local backend switcher (wasm needs its .wasm files located once). */
async function use(name: "cpu" | "wasm"): Promise<void> {
  if (name === "wasm" && !wasmReady) {
    setWasmPaths(wasmDistDir().pathname);
    wasmReady = true;
  }
  if (tf.getBackend() !== name) assert.ok(await tf.setBackend(name), `backend ${name}`);
  registerTrainingKernels();
}

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
  };
}

function randArray(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r();
  return a;
}

type Pad = "same" | "valid" | number;

interface Case {
  kind: "conv" | "dw";
  b: number;
  h: number;
  w: number;
  cin: number;
  /** cout for conv, multiplier for depthwise. */
  cout: number;
  k: number;
  s: number;
  d: number;
  pad: Pad;
}

function label(c: Case): string {
  return `${c.kind} b${c.b} ${c.h}x${c.w} c${c.cin}->${c.cout} k${c.k} s${c.s} d${c.d} pad=${c.pad}`;
}

function filterShape(c: Case): [number, number, number, number] {
  return [c.k, c.k, c.cin, c.cout];
}

function outSize(c: Case, n: number): number {
  const eff = (c.k - 1) * c.d + 1;
  if (c.pad === "same") return Math.ceil(n / c.s);
  const p = c.pad === "valid" ? 0 : c.pad;
  return Math.floor((n + 2 * p - eff) / c.s) + 1;
}

function explicitPad(p: Pad) {
  return typeof p === "number"
    ? [[0, 0], [p, p], [p, p], [0, 0]] as [
      [number, number],
      [number, number],
      [number, number],
      [number, number],
    ]
    : p;
}

/** The filter with d-1 zeros inserted between taps (so an undilated conv with it is the dilated conv). */
function dilateFilter(w: tf.Tensor4D, d: number): tf.Tensor4D {
  if (d === 1) return w;
  const [k, , a, b] = w.shape;
  const eff = (k - 1) * d + 1;
  const z = tf.pad(tf.reshape(w, [k, 1, k, 1, a * b]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0]]);
  return tf.slice(tf.reshape(z, [k * d, k * d, a, b]), [0, 0, 0, 0], [eff, eff, a, b]) as tf.Tensor4D;
}

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** Gradients of sum(conv(x, W) * R), computed inside a tidy; asserts no tensor leaks. */
function run(c: Case, xv: Float32Array, wv: Float32Array, rv: Float32Array, reference: boolean): Result {
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.cin]);
    const w = tf.tensor4d(wv, filterShape(c));
    const ho = outSize(c, c.h);
    const wo = outSize(c, c.w);
    const r = tf.tensor4d(rv, [c.b, ho, wo, c.kind === "conv" ? c.cout : c.cin * c.cout]);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => {
      let y: tf.Tensor4D;
      if (reference) {
        const wd = dilateFilter(ww as tf.Tensor4D, c.d);
        const pad = explicitPad(c.pad);
        y = c.kind === "conv"
          ? tf.conv2d(xx as tf.Tensor4D, wd, c.s, pad)
          : tf.depthwiseConv2d(xx as tf.Tensor4D, wd, c.s, pad);
      } else {
        y = convolve(xx as tf.Tensor4D, ww as tf.Tensor4D, {
          strides: c.s,
          padding: c.pad,
          dilations: c.d,
          depthwise: c.kind === "dw",
        });
      }
      assert.deepEqual(y.shape, r.shape, "output shape");
      return tf.sum(tf.mul(y, r));
    };
    const y = f(x, w);
    const g = tf.grads(f)([x, w]);
    return {
      y: y.dataSync() as Float32Array,
      dx: g[0].dataSync() as Float32Array,
      dw: g[1].dataSync() as Float32Array,
    };
  });
  assert.equal(tf.memory().numTensors, before, "tensor leak");
  return out;
}

function buildCases(): Case[] {
  const r = rng(7);
  const pick = <T>(xs: T[]) => xs[Math.floor((r() + 1) / 2 * xs.length)];
  const cases: Case[] = [];
  const pads: Pad[] = ["same", "valid", 0, 1, 2];
  for (const kind of ["conv", "dw", "dw2"] as const) {
    for (const s of [1, 2]) {
      for (const d of [1, 2]) {
        for (const pad of pads) {
          for (let rep = 0; rep < 2; rep++) {
            const k = pick([1, 3, 3, 5]);
            const h = pick([5, 7, 8, 9]);
            const w = pick([5, 7, 8, 9]);
            const c: Case = {
              kind: kind === "conv" ? "conv" : "dw",
              b: pick([1, 2, 3]),
              h,
              w,
              cin: pick([1, 2, 3, 4, 5]),
              cout: kind === "conv" ? pick([1, 2, 3, 4, 5]) : kind === "dw2" ? 2 : 1,
              k,
              s,
              d,
              pad,
            };
            if (outSize(c, c.h) < 1 || outSize(c, c.w) < 1) continue;
            cases.push(c);
          }
        }
      }
    }
  }
  return cases;
}

const CASES = buildCases();

Deno.test("registerTrainingKernels is idempotent and overrides both gradients", async () => {
  await use("cpu");
  registerTrainingKernels();
  registerTrainingKernels();
  assert.equal(tf.getGradient("Conv2D"), conv2dGradConfig);
  assert.equal(tf.getGradient("DepthwiseConv2dNative"), depthwiseGradConfig);
  assert.ok(tf.getKernel("DepthwiseConv2dNativeBackpropFilter", "wasm") != null);
});

Deno.test(`wasm gradients match cpu over a grid (${CASES.length} cases)`, async () => {
  let worst = 0;
  let n = 0;
  for (const [i, c] of CASES.entries()) {
    const r = rng(1000 + i);
    const fs = filterShape(c);
    const xv = randArray(c.b * c.h * c.w * c.cin, r);
    const wv = randArray(fs[0] * fs[1] * fs[2] * fs[3], r);
    const oc = c.kind === "conv" ? c.cout : c.cin * c.cout;
    const rv = randArray(c.b * outSize(c, c.h) * outSize(c, c.w) * oc, r);
    await use("wasm");
    const got = run(c, xv, wv, rv, false);
    await use("cpu");
    const ref = run(c, xv, wv, rv, c.d > 1);
    for (const key of ["y", "dx", "dw"] as const) {
      const e = relativeError(got[key], ref[key]);
      worst = Math.max(worst, e);
      assert.ok(e <= 1e-4, `${label(c)}: ${key} relative error ${e}`);
    }
    n++;
  }
  assert.ok(n >= 100, `only ${n} cases`);
  console.log(`  ${n} cases, worst relative error ${worst.toExponential(2)}`);
});

Deno.test("composed dilated gradients on cpu match the zero-inserted-filter reference", async () => {
  await use("cpu");
  const dilated = CASES.filter((c) => c.d > 1).filter((_, i) => i % 2 === 0);
  for (const [i, c] of dilated.entries()) {
    const r = rng(5000 + i);
    const fs = filterShape(c);
    const xv = randArray(c.b * c.h * c.w * c.cin, r);
    const wv = randArray(fs[0] * fs[1] * fs[2] * fs[3], r);
    const oc = c.kind === "conv" ? c.cout : c.cin * c.cout;
    const rv = randArray(c.b * outSize(c, c.h) * outSize(c, c.w) * oc, r);
    const got = run(c, xv, wv, rv, false);
    const ref = run(c, xv, wv, rv, true);
    for (const key of ["y", "dx", "dw"] as const) {
      const e = relativeError(got[key], ref[key]);
      assert.ok(e <= 1e-4, `${label(c)}: ${key} relative error ${e}`);
    }
  }
});

Deno.test("composed gradient functions match stock kernels on cpu (dilation 1)", async () => {
  await use("cpu");
  const plain = CASES.filter((c) => c.d === 1).filter((_, i) => i % 3 === 0);
  for (const [i, c] of plain.entries()) {
    const r = rng(9000 + i);
    tf.tidy(() => {
      const x = tf.tensor4d(randArray(c.b * c.h * c.w * c.cin, r), [c.b, c.h, c.w, c.cin]);
      const w = tf.tensor4d(randArray(c.k * c.k * c.cin * c.cout, r), filterShape(c));
      const pad = explicitPad(c.pad);
      const y = c.kind === "conv" ? tf.conv2d(x, w, c.s, pad) : tf.depthwiseConv2d(x, w, c.s, pad);
      const dy = tf.tensor4d(randArray(y.size, r), y.shape);
      const stock = tf.engine().runKernel(
        c.kind === "conv" ? "Conv2DBackpropFilter" : "DepthwiseConv2dNativeBackpropFilter",
        { x, dy },
        {
          strides: [c.s, c.s],
          pad,
          dilations: [1, 1],
          filterShape: filterShape(c),
          dataFormat: "NHWC",
        } as any,
      ) as tf.Tensor;
      const stockIn = tf.engine().runKernel(
        c.kind === "conv" ? "Conv2DBackpropInput" : "DepthwiseConv2dNativeBackpropInput",
        { dy, filter: w },
        { strides: [c.s, c.s], pad, dilations: [1, 1], inputShape: x.shape, dataFormat: "NHWC" } as any,
      ) as tf.Tensor;
      const ours = c.kind === "conv"
        ? conv2dFilterGrad(x, dy, filterShape(c), c.s, pad, 1)
        : depthwiseFilterGradComposed(x, dy, filterShape(c), c.s, pad, 1);
      const oursIn = c.kind === "conv"
        ? conv2dInputGrad(x.shape, dy, w, c.s, pad, 1)
        : depthwiseInputGrad(x.shape, dy, w, c.s, pad, 1);
      assert.ok(relativeError(ours.dataSync(), stock.dataSync()) <= 1e-4, `${label(c)} filter`);
      assert.ok(relativeError(oursIn.dataSync(), stockIn.dataSync()) <= 1e-4, `${label(c)} input`);
    });
  }
});

/** Naive JS conv forward-gradient reference: returns dL/dx and dL/dW for L = sum(conv(x, W) * R). */
function naiveGrads(
  x: number[][],
  w: number[][],
  r: number[][],
  s: number,
  top: number,
  left: number,
): { dx: number[][]; dw: number[][] } {
  const dx = x.map((row) => row.map(() => 0));
  const dw = w.map((row) => row.map(() => 0));
  for (let i = 0; i < r.length; i++) {
    for (let j = 0; j < r[0].length; j++) {
      for (let a = 0; a < w.length; a++) {
        for (let b = 0; b < w[0].length; b++) {
          const xi = i * s + a - top;
          const xj = j * s + b - left;
          if (xi < 0 || xj < 0 || xi >= x.length || xj >= x[0].length) continue;
          dx[xi][xj] += r[i][j] * w[a][b];
          dw[a][b] += r[i][j] * x[xi][xj];
        }
      }
    }
  }
  return { dx, dw };
}

Deno.test("asymmetric filter: catches flipped filters and wrong padding (wasm)", async () => {
  await use("wasm");
  // 3x2 kernel (asymmetric in shape and values), 6x5 image, stride 1 and 2, SAME (asymmetric pads) and
  // explicit padding.
  const w = [[1, 2], [3, 5], [7, 11]];
  const x = Array.from({ length: 6 }, (_, i) => Array.from({ length: 5 }, (_, j) => (i * 5 + j) % 7 - 3));
  for (const s of [1, 2]) {
    for (const pad of ["same", 1] as const) {
      const ho = pad === "same" ? Math.ceil(6 / s) : Math.floor((6 + 2 - 3) / s) + 1;
      const wo = pad === "same" ? Math.ceil(5 / s) : Math.floor((5 + 2 - 2) / s) + 1;
      const top = pad === "same" ? Math.floor(Math.max((ho - 1) * s + 3 - 6, 0) / 2) : 1;
      const left = pad === "same" ? Math.floor(Math.max((wo - 1) * s + 2 - 5, 0) / 2) : 1;
      const r = Array.from(
        { length: ho },
        (_, i) => Array.from({ length: wo }, (_, j) => (i * 3 + j * 5) % 4 - 1.5),
      );
      const expect = naiveGrads(x, w, r, s, top, left);
      for (const depthwise of [false, true]) {
        const [dx, dw] = tf.tidy(() => {
          const xt = tf.tensor4d(x.flat(), [1, 6, 5, 1]);
          const wt = tf.tensor4d(w.flat(), [3, 2, 1, 1]);
          const rt = tf.tensor4d(r.flat(), [1, ho, wo, 1]);
          const f = (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(
              tf.mul(
                convolve(a as tf.Tensor4D, b as tf.Tensor4D, { strides: s, padding: pad, depthwise }),
                rt,
              ),
            );
          return tf.grads(f)([xt, wt]).map((t) => Array.from(t.dataSync()));
        });
        const where = `s=${s} pad=${pad} depthwise=${depthwise}`;
        assert.deepEqual(dx.map((v) => Math.round(v * 100) / 100), expect.dx.flat(), `dx ${where}`);
        assert.deepEqual(dw.map((v) => Math.round(v * 100) / 100), expect.dw.flat(), `dW ${where}`);
      }
    }
  }
});

Deno.test("convolve with stride 2 and dilation 2 equals a zero-inserted-filter strided conv (wasm)", async () => {
  await use("wasm");
  const r = rng(3);
  for (const [h, k, pad] of [[8, 3, 2], [9, 3, "same"], [11, 5, 4], [7, 3, "valid"]] as const) {
    tf.tidy(() => {
      const x = tf.tensor4d(randArray(2 * h * h * 3, r), [2, h, h, 3]);
      const w = tf.tensor4d(randArray(k * k * 3 * 4, r), [k, k, 3, 4]);
      const y = convolve(x, w, { strides: 2, padding: pad, dilations: 2 });
      const ref = tf.conv2d(x, dilateFilter(w, 2), 2, explicitPad(pad));
      assert.deepEqual(y.shape, ref.shape);
      assert.ok(relativeError(y.dataSync(), ref.dataSync()) <= 1e-5);
    });
  }
});
