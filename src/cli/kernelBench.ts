/**
 * Micro-benchmark of the convolution kernels training spends its time in: forward, input gradient and filter
 * gradient, exactly as the layers and backprop run them on the chosen backend (`convolve`, the registered
 * `Conv2D` / `DepthwiseConv2dNative` gradients), plus tfjs' own `Conv2DBackpropInput` kernel and depthwise
 * forward for comparison. The depthwise rows are the DARTS CNN space's: sep_conv 3x3 / 5x5 (stride 1 and 2)
 * and dil_conv 3x3 / 5x5 (dilation 2), padding (k − 1)/2 · d.
 *
 * `deno run -A src/cli/kernelBench.ts [--backend wasm] [--threads N] [--only conv2d|depthwise]` prints the
 * table alone (`deno task bench` prints it after the step table).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import pl from "../deps/polars.ts";
import { type BackendName, selectBackend } from "../backend/select.ts";
import { convolve, registerTrainingKernels } from "../backend/kernels/mod.ts";

/** One measured kernel. */
export interface KernelTiming {
  /** e.g. "conv2d.fwd", "conv2d.dx", "conv2d.dw", "conv2d.dx.stock", "depthwise.dw", "depthwise.fwd.tfjs". */
  kernel: string;
  /** "x=[B,H,W,C] w=[kh,kw,cin,cout]". */
  shape: string;
  /** Stride and dilation, "s=S d=D" (padding is (k − 1)/2 · d). */
  geometry: string;
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
  // Slow backends (plain-JS cpu) get fewer repetitions so the bench stays short. Warm-up lasts at least
  // 50 ms: wasm code starts in V8's baseline compiler, and a function's optimised code arrives in the
  // background, for the calls after it.
  const runs = first > 500 ? 3 : 7;
  for (let i = 0, t0 = performance.now(); first <= 500 && (i < 2 || performance.now() - t0 < 50); i++) {
    await once();
  }
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) ts.push(await once());
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

interface Spec {
  name: "conv2d" | "depthwise";
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride?: number;
  dilation?: number;
}

const DEPTHWISE: Spec[] = [[64, 32, 32, 16], [64, 16, 16, 8]].flatMap((x) =>
  [[3, 1], [5, 1], [3, 2], [5, 2]].map(([k, dilation]) => ({
    name: "depthwise" as const,
    x: x as Spec["x"],
    w: [k, k, x[3], 1] as Spec["w"],
    dilation,
  }))
);

const SPECS: Spec[] = [
  { name: "conv2d", x: [64, 32, 32, 16], w: [3, 3, 16, 16] },
  { name: "conv2d", x: [64, 16, 16, 8], w: [3, 3, 8, 8] },
  { name: "conv2d", x: [64, 32, 32, 16], w: [1, 1, 16, 16] },
  ...DEPTHWISE,
  // Reduction-cell sep_conv (stride 2); a strided dil_conv becomes a stride-1 one (convolve.ts).
  { name: "depthwise", x: [64, 32, 32, 16], w: [3, 3, 16, 1], stride: 2 },
  { name: "depthwise", x: [64, 32, 32, 16], w: [5, 5, 16, 1], stride: 2 },
];

/** Options of {@linkcode kernelBench}. */
export interface KernelBenchOptions {
  /** wasm threads, when this process starts the wasm backend (see selectBackend). */
  threads?: number;
  /** Only the specs of this kind. */
  only?: "conv2d" | "depthwise";
}

/**
 * Measures forward, input-gradient and filter-gradient time on `backend` (a {@link BackendName}) of
 * stride-1 "same" convs: 3x3 on 64x32x32x16 (cin = cout = 16), 3x3 on 64x16x16x8, 1x1 on 64x32x32x16; and of
 * depthwise convs with DARTS' padding (k − 1)/2 · d: 3x3 and 5x5, dilation 1 and 2, on 64x32x32x16 and
 * 64x16x16x8, and 3x3 and 5x5 with stride 2 on 64x32x32x16. GFLOP count of each: 2*B*Ho*Wo*kh*kw*cin*cout.
 */
export async function kernelBench(
  backend: string,
  options: KernelBenchOptions = {},
): Promise<KernelTiming[]> {
  await selectBackend(backend as BackendName, { threads: options.threads });
  registerTrainingKernels();
  const out: KernelTiming[] = [];
  for (const spec of SPECS.filter((s) => !options.only || s.name === options.only)) {
    const [b, h, w] = spec.x;
    const [kh, kw, cin, cout] = spec.w;
    const s = spec.stride ?? 1;
    const d = spec.dilation ?? 1;
    const pad = ((kh - 1) / 2) * d; // "same" for stride 1
    const ho = Math.floor((h + 2 * pad - (kh - 1) * d - 1) / s) + 1;
    const wo = Math.floor((w + 2 * pad - (kw - 1) * d - 1) / s) + 1;
    const flops = 2 * b * ho * wo * kh * kw * cin * cout;
    const shape = `x=[${spec.x}] w=[${spec.w}]`;
    const geometry = `s=${s} d=${d}`;
    const x = tf.randomNormal(spec.x) as tf.Tensor4D;
    const filter = tf.randomNormal(spec.w) as tf.Tensor4D;
    const dy = tf.randomNormal([b, ho, wo, spec.name === "conv2d" ? cout : cin * cout]) as tf.Tensor4D;
    const explicit = [[0, 0], [pad, pad], [pad, pad], [0, 0]] as [
      [number, number],
      [number, number],
      [number, number],
      [number, number],
    ];
    const attrs = {
      strides: [s, s],
      pad: explicit,
      dataFormat: "NHWC",
      dilations: [d, d],
    } as unknown as tf.NamedAttrMap;
    const kernelName = spec.name === "conv2d" ? "Conv2D" : "DepthwiseConv2dNative";
    const grad = tf.getGradient(kernelName);
    // The gradient as backprop will run it on this backend (ours on wasm, stock elsewhere).
    const g = () => grad.gradFunc(dy, [x, filter], attrs) as Record<string, () => tf.Tensor>;
    const cases: [string, () => tf.Tensor][] = [
      [
        "fwd",
        () =>
          convolve(x, filter, {
            strides: s,
            padding: explicit,
            dilations: d,
            depthwise: spec.name === "depthwise",
          }),
      ],
      ["dx", () => tf.tidy(() => g().x())],
      ["dw", () => tf.tidy(() => g().filter())],
    ];
    if (spec.name === "depthwise") {
      // tfjs' own forward (XNNPACK on wasm), which convolve replaces there.
      cases.push(["fwd.tfjs", () => tf.depthwiseConv2d(x, filter, s, explicit, "NHWC", d)]);
    } else {
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
        out.push({ kernel: `${spec.name}.${what}`, shape, geometry, ms, gflops: flops / ms / 1e6 });
      } catch (e) {
        // A kernel the backend lacks is reported, not fatal.
        out.push({
          kernel: `${spec.name}.${what} (unavailable: ${(e as Error).message.slice(0, 60)})`,
          shape,
          geometry,
          ms: NaN,
          gflops: NaN,
        });
      }
    }
    tf.dispose([x, filter, dy]);
  }
  return out;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : args[i + 1];
  };
  const backend = value("--backend") ?? "wasm";
  const threads = value("--threads");
  const only = value("--only") as KernelBenchOptions["only"];
  if (only && only !== "conv2d" && only !== "depthwise") throw new Error(`--only: conv2d or depthwise`);
  const info = await selectBackend(backend as BackendName, {
    threads: threads ? Number(threads) : undefined,
  });
  const rows = await kernelBench(backend, { only });
  console.log(info.description);
  pl.Config.setTblRows(100);
  console.log(
    pl.DataFrame(
      rows.map((r) => ({ ...r, ms: Math.round(r.ms * 100) / 100, gflops: Math.round(r.gflops * 10) / 10 })),
    )
      .toString(),
  );
}
