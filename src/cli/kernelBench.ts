/**
 * Micro-benchmark of the convolution kernels training spends its time in: forward, input gradient and filter
 * gradient, exactly as backprop runs them on the chosen backend (through the registered `Conv2D` /
 * `DepthwiseConv2dNative` gradients), plus tfjs' own `Conv2DBackpropInput` kernel for comparison.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { type BackendName, selectBackend } from "../backend/select.ts";
import { registerTrainingKernels } from "../backend/kernels/mod.ts";

/** One measured kernel. */
export interface KernelTiming {
  /** e.g. "conv2d.fwd", "conv2d.dx", "conv2d.dw", "conv2d.dx.stock", "depthwise.dw". */
  kernel: string;
  /** "x=[B,H,W,C] w=[kh,kw,cin,cout]". */
  shape: string;
  /** Median wall time of one call, milliseconds. */
  ms: number;
  /** 2*B*Ho*Wo*kh*kw*cin*cout (cout = multiplier for depthwise) / time. */
  gflops: number;
}

/** Median time of `f` in ms, after warm-up; waits for the result on asynchronous backends. */
async function timeMs(f: () => tf.Tensor): Promise<number> {
  const sync = ["wasm", "cpu"].includes(tf.getBackend());
  const once = async () => {
    const t0 = performance.now();
    const r = f();
    if (!sync) {
      // Reading one scalar forces the whole computation without timing a 4 MB download.
      const s = tf.sum(r);
      await s.data();
      s.dispose();
    }
    const ms = performance.now() - t0;
    r.dispose();
    return ms;
  };
  const first = await once();
  // Slow backends (plain-JS cpu) get fewer repetitions so the bench stays short.
  const warm = first > 500 ? 0 : 2;
  const runs = first > 500 ? 3 : 7;
  for (let i = 0; i < warm; i++) await once();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) ts.push(await once());
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

interface Spec {
  name: "conv2d" | "depthwise";
  x: [number, number, number, number];
  w: [number, number, number, number];
}

const SPECS: Spec[] = [
  { name: "conv2d", x: [64, 32, 32, 16], w: [3, 3, 16, 16] },
  { name: "conv2d", x: [64, 16, 16, 8], w: [3, 3, 8, 8] },
  { name: "conv2d", x: [64, 32, 32, 16], w: [1, 1, 16, 16] },
  { name: "depthwise", x: [64, 32, 32, 16], w: [3, 3, 16, 1] },
];

/**
 * Measures forward, input-gradient and filter-gradient time of stride-1 "same" convs on `backend`
 * (a {@link BackendName}): 3x3 on 64x32x32x16 (cin = cout = 16), 3x3 on 64x16x16x8, 1x1 on 64x32x32x16, and a
 * 3x3 depthwise conv on 64x32x32x16. GFLOP count of each: 2*B*Ho*Wo*kh*kw*cin*cout.
 */
export async function kernelBench(
  backend: string,
): Promise<Array<{ kernel: string; shape: string; ms: number; gflops: number }>> {
  await selectBackend(backend as BackendName);
  registerTrainingKernels();
  const out: KernelTiming[] = [];
  for (const spec of SPECS) {
    const [b, h, w] = spec.x;
    const [kh, kw, cin, cout] = spec.w;
    const flops = 2 * b * h * w * kh * kw * cin * cout; // stride 1, SAME: Ho = H, Wo = W
    const shape = `x=[${spec.x}] w=[${spec.w}]`;
    const x = tf.randomNormal(spec.x) as tf.Tensor4D;
    const filter = tf.randomNormal(spec.w) as tf.Tensor4D;
    const dy = tf.randomNormal([b, h, w, spec.name === "conv2d" ? cout : cin * cout]) as tf.Tensor4D;
    const attrs = {
      strides: [1, 1],
      pad: "same",
      dataFormat: "NHWC",
      dilations: [1, 1],
    } as unknown as tf.NamedAttrMap;
    const kernelName = spec.name === "conv2d" ? "Conv2D" : "DepthwiseConv2dNative";
    const grad = tf.getGradient(kernelName);
    // The gradient as backprop will run it on this backend (ours on wasm, stock elsewhere).
    const g = () => grad.gradFunc(dy, [x, filter], attrs) as Record<string, () => tf.Tensor>;
    const cases: [string, () => tf.Tensor][] = [
      [
        "fwd",
        () =>
          spec.name === "conv2d" ? tf.conv2d(x, filter, 1, "same") : tf.depthwiseConv2d(x, filter, 1, "same"),
      ],
      ["dx", () => tf.tidy(() => g().x())],
      ["dw", () => tf.tidy(() => g().filter())],
    ];
    if (spec.name === "conv2d") {
      cases.push(["dx.stock", () =>
        tf.engine().runKernel(
          "Conv2DBackpropInput",
          { dy, filter } as unknown as tf.NamedTensorMap,
          {
            strides: [1, 1],
            pad: "same",
            dataFormat: "NHWC",
            inputShape: spec.x,
          } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor]);
    }
    for (const [what, f] of cases) {
      try {
        const ms = await timeMs(f);
        out.push({ kernel: `${spec.name}.${what}`, shape, ms, gflops: flops / ms / 1e6 });
      } catch (e) {
        // A kernel the backend lacks is reported, not fatal.
        out.push({
          kernel: `${spec.name}.${what} (unavailable: ${(e as Error).message.slice(0, 60)})`,
          shape,
          ms: NaN,
          gflops: NaN,
        });
      }
    }
    tf.dispose([x, filter, dy]);
  }
  return out;
}
