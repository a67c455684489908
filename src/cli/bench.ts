/**
 * `deno task bench [--json] [--backends wasm,cpu] [--presets nb201-cpu,darts-cpu] [--steps N] [--threads N]
 * [--no-torch]`
 *
 * Times one first-order search step (α step on a validation batch, then w step on a training batch,
 * grad clip 5) on every available backend, per space at its `cpu` and `paper` sizes (`nb201-cpu`,
 * `darts-paper`, `pc-darts-cpu`, …), and one training step of DARTS_V2's evaluation network at the
 * trainer's `cpu` and `paper` sizes (`train-cpu`, `train-paper`), and one search step of the IMDN space's
 * supernet (`imdn-cpu`, `imdn-paper`), next to the PyTorch peers (../shared/bench/torch_nb201_step.py and
 * torch_darts_step.py; ./torch_darts_train_step.py for training, ./torch_sr_step.py for IMDN), run in the same process tree on the same machine, on as many threads as the wasm
 * backend: `--threads`, else SADARTS_WASM_THREADS, else every core up to 8), and the per-kernel GFLOP/s
 * of the dense and depthwise convolutions.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import pl from "../deps/polars.ts";
import {
  BACKEND_NAMES,
  type BackendName,
  parseBackendName,
  selectBackend,
  wasmThreads,
} from "../backend/select.ts";
import { kernelBench } from "./kernelBench.ts";
import { ParamStore } from "../ops/params.ts";
import { darts as dartsMethod, initArchParam } from "../methods/mod.ts";
import { archWeights } from "../search/search.ts";
import { spaceByName } from "../spaces/mod.ts";
import { adam, sgd } from "../search/optimizers.ts";
import { firstOrderStep } from "../search/step.ts";
import { createDartsNetwork, dartsNetworkSize } from "../networks/darts.ts";
import { DARTS_GENOTYPES } from "../spaces/darts.ts";
import { trainConfig } from "../train/config.ts";
import { trainLoss } from "../train/train.ts";
import { createImdn, imdnForward } from "../networks/imdn.ts";
import { IMDN_CANDIDATES } from "../ops/srOps.ts";
import { superResolutionTask } from "../tasks/superResolution.ts";

/** The PyTorch peer of a preset: its script (a path) and arguments. */
export interface PeerScript {
  script: string;
  args: string[];
}

/** A benchmarked search step: the space and its model options, the batch, and the PyTorch peer's command. */
export interface SearchStepPreset {
  kind: "search";
  /** The search space (`spaceByName`). */
  space: string;
  /** The space's model options. */
  model: Record<string, unknown>;
  /** PC-DARTS' K (absent: every channel). */
  partialChannels?: number;
  batch: number;
  /** Input height and width. */
  size: number;
  peer: PeerScript;
}

/** A benchmarked training step of an evaluation network (src/train/): its genotype and shape. */
export interface TrainStepPreset {
  kind: "train";
  /** A genotype of the library. */
  genotype: "DARTS_V1" | "DARTS_V2" | "PC_DARTS";
  channels: number;
  layers: number;
  auxiliary: boolean;
  /** Recompute each cell in the backward pass (the paper size stores more than wasm32's 4 GiB). */
  recompute: boolean;
  batch: number;
  size: number;
  peer: PeerScript;
}

/** A benchmarked search step of the IMDN space's supernet (L1; Adam on the weights and on α, SPECS §8b). */
export interface SrSearchStepPreset {
  kind: "sr-search";
  channels: number;
  blocks: number;
  scale: number;
  batch: number;
  /** Side of the low-resolution patches. */
  size: number;
  peer: PeerScript;
}

/** A benchmarked step. */
export type StepPreset = SearchStepPreset | TrainStepPreset | SrSearchStepPreset;

const SHARED_BENCH = new URL("../../../shared/bench/", import.meta.url).pathname;

/** Images one step processes: a search step takes a training and a validation batch. */
function imagesPerStep(p: StepPreset): number {
  return p.kind === "train" ? p.batch : 2 * p.batch;
}

const nb201 = (channels: number, cellsPerStage: number, size: number): StepPreset => ({
  kind: "search",
  space: "nb201",
  model: { channels, cellsPerStage, affine: false, trackRunningStats: true },
  batch: 64,
  size,
  peer: {
    script: `${SHARED_BENCH}torch_nb201_step.py`,
    args: [channels, cellsPerStage, 64, size].map(String),
  },
});
const darts = (
  channels: number,
  layers: number,
  size: number,
  { pc, recompute }: { pc?: number; recompute?: boolean } = {},
): StepPreset => ({
  kind: "search",
  space: "darts",
  model: { channels, layers, ...(recompute ? { recompute } : {}) },
  ...(pc ? { partialChannels: pc } : {}),
  batch: 64,
  size,
  peer: {
    script: `${SHARED_BENCH}torch_darts_step.py`,
    args: ["--C", channels, "--layers", layers, "--H", size, "--B", 64, "--pc", pc ?? 1].map(String),
  },
});

const trainStep = (
  channels: number,
  layers: number,
  size: number,
  batch: number,
  { auxiliary, recompute }: { auxiliary: boolean; recompute: boolean },
): StepPreset => ({
  kind: "train",
  genotype: "DARTS_V2",
  channels,
  layers,
  auxiliary,
  recompute,
  batch,
  size,
  peer: {
    script: new URL("./torch_darts_train_step.py", import.meta.url).pathname,
    args: ["--C", channels, "--layers", layers, "--H", size, "--B", batch, "--auxiliary", auxiliary ? 1 : 0]
      .map(String),
  },
});

const imdnSearch = (channels: number, blocks: number, batch: number, size: number): StepPreset => ({
  kind: "sr-search",
  channels,
  blocks,
  scale: 2,
  batch,
  size,
  peer: {
    script: new URL("./torch_sr_step.py", import.meta.url).pathname,
    args: ["--C", channels, "--blocks", blocks, "--B", batch, "--H", size, "--scale", 2].map(String),
  },
});

/**
 * The step presets, named after their space: NB201 at `cpu` (C=8, N=2, 16x16) and `paper`
 * (C=16, N=5, 32x32); the DARTS space at `cpu` (C=8, 5 cells, 16x16) and `paper` (C=16, 8 cells,
 * 32x32), with and without PC-DARTS' K=4; batch 64. `darts-paper` recomputes each cell in the backward
 * pass (`recompute`): stored, its activations need more than wasm32's 4 GiB (PyTorch's peer keeps them).
 */
export const BENCH_PRESETS: Record<string, StepPreset> = {
  "nb201-cpu": nb201(8, 2, 16),
  "nb201-paper": nb201(16, 5, 32),
  "darts-cpu": darts(8, 5, 16),
  "darts-paper": darts(16, 8, 32, { recompute: true }),
  "pc-darts-cpu": darts(8, 5, 16, { pc: 4 }),
  "pc-darts-paper": darts(16, 8, 32, { pc: 4 }),
  // Training DARTS_V2 from scratch (deno task train): the cpu preset (C=16, 8 cells, 16x16, batch 64, no
  // auxiliary head) and DARTS' evaluation (C=36, 20 cells, 32x32, batch 96, auxiliary head), drop path 0.2.
  "train-cpu": trainStep(16, 8, 16, 64, { auxiliary: false, recompute: false }),
  "train-paper": trainStep(36, 20, 32, 96, { auxiliary: true, recompute: true }),
  // The IMDN space's supernet (12 candidates at each of 4 · blocks positions), x2: a small one (C=16, 2
  // blocks, 8 patches of 24×24) and IMDN's width and depth (C=64, 6 blocks) on 8 patches of 32×32 (DLSR's
  // 64×64 HR search patch; 16 of them store more activations than wasm32's 4 GiB heap holds: the process aborts).
  "imdn-cpu": imdnSearch(16, 2, 8, 24),
  "imdn-paper": imdnSearch(64, 6, 8, 32),
};

/** One row of the step table. */
export interface StepResult {
  engine: string;
  preset: string;
  msPerStep: number;
  imagesPerSecond: number;
  peakRssMiB: number | null;
  leakedTensorsPerStep: number | null;
  /** Weights of the supernet (PyTorch's count for the peer). */
  weights: number | null;
  note: string;
}

function peakRssMiB(): number | null {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function resetPeakRss(): void {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5"); // Linux: reset VmHWM to the current RSS
  } catch { /* not Linux: the peak then covers the whole process */ }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** `steps` timed runs of `step` after 2 warm-up runs: the median, peak memory and tensors left per step. */
function timeSteps(step: () => void, steps: number) {
  step();
  step();
  const before = tf.memory().numTensors;
  resetPeakRss();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), leaked: (tf.memory().numTensors - before) / steps, peak: peakRssMiB() };
}

/** Time `steps` steps (after 2 warm-up steps) of `preset` on the active backend. */
export function benchStep(
  preset: StepPreset,
  steps: number,
  seed = 0,
): Omit<StepResult, "engine" | "preset" | "note"> {
  return preset.kind === "search"
    ? benchSearchStep(preset, steps, seed)
    : preset.kind === "train"
    ? benchTrainStep(preset, steps, seed)
    : benchSrSearchStep(preset, steps, seed);
}

/** One training step of `preset`'s evaluation network: the loss of deno task train, clipped SGD. */
function benchTrainStep(
  preset: TrainStepPreset,
  steps: number,
  seed: number,
): Omit<StepResult, "engine" | "preset" | "note"> {
  const store = new ParamStore(seed);
  const net = createDartsNetwork(store, DARTS_GENOTYPES[preset.genotype], {
    channels: preset.channels,
    layers: preset.layers,
    auxiliary: preset.auxiliary,
    recompute: preset.recompute,
  });
  const config = trainConfig({
    genotype: DARTS_GENOTYPES[preset.genotype],
    model: { channels: preset.channels, layers: preset.layers, auxiliary: preset.auxiliary },
  });
  const vars = store.trainable;
  const opt = sgd(vars, { lr: 0.025, momentum: 0.9, weightDecay: 3e-4 });
  const { batch: B, size: H } = preset;
  const x = tf.randomNormal([B, H, H, 3], 0, 1, "float32", seed + 10) as tf.Tensor4D;
  const y = tf.randomUniform([B], 0, 10, "int32", seed + 11) as tf.Tensor1D;
  let i = 0;
  const timing = timeSteps(() =>
    tf.tidy(() => {
      const dropPath = { prob: 0.2, seed: seed + i++ };
      const { grads } = tf.variableGrads(() => trainLoss(net, config, x, y, dropPath).loss, vars);
      opt.step(vars.map((v) => grads[v.name]), { maxGradNorm: 5 });
    }), steps);
  // As DARTS counts (and the PyTorch peer prints): the auxiliary head left out.
  const weights = dartsNetworkSize(net, H, H).parameters;
  tf.dispose([x, y]);
  opt.dispose();
  store.dispose();
  return stepFigures(preset, timing, weights);
}

/** One first-order search step of the IMDN supernet: α (softmax op weights) on a validation batch, then the weights. */
function benchSrSearchStep(
  preset: SrSearchStepPreset,
  steps: number,
  seed: number,
): Omit<StepResult, "engine" | "preset" | "note"> {
  const store = new ParamStore(seed);
  const net = createImdn(store, {
    channels: preset.channels,
    blocks: preset.blocks,
    scale: preset.scale,
    candidates: IMDN_CANDIDATES,
  });
  const alpha = tf.variable(
    tf.randomNormal([4 * preset.blocks, IMDN_CANDIDATES.length], 0, 1e-3, "float32", seed),
  );
  const wOpt = adam(store.trainable, { lr: 5e-4, weightDecay: 1e-8 });
  const aOpt = adam([alpha], { lr: 3e-4, betas: [0.5, 0.999], weightDecay: 1e-8 });
  const { batch: B, size: H, scale } = preset;
  const batch = (s: number) => ({
    x: tf.randomUniform([B, H, H, 3], 0, 1, "float32", s) as tf.Tensor4D,
    y: tf.randomUniform([B, H * scale, H * scale, 3], 0, 1, "float32", s + 1) as tf.Tensor4D,
  });
  const train = batch(seed + 10);
  const valid = batch(seed + 20);
  const stepper = {
    output: (x: tf.Tensor4D) => imdnForward(net, x, "train", tf.softmax(alpha) as tf.Tensor2D),
    task: superResolutionTask(),
    arch: { vars: [alpha], optimizer: aOpt },
    weights: { vars: store.trainable, optimizer: wOpt },
  };
  const timing = timeSteps(() => firstOrderStep(stepper, train, valid), steps);
  const weights = store.size;
  for (const t of [train.x, train.y, valid.x, valid.y, alpha]) t.dispose();
  wOpt.dispose();
  aOpt.dispose();
  store.dispose();
  return stepFigures(preset, timing, weights);
}

/** A step's row of the table from its timing: images per second from the images `preset` steps on. */
function stepFigures(
  preset: StepPreset,
  t: ReturnType<typeof timeSteps>,
  weights: number,
): Omit<StepResult, "engine" | "preset" | "note"> {
  return {
    msPerStep: t.ms,
    imagesPerSecond: (imagesPerStep(preset) * 1000) / t.ms,
    peakRssMiB: t.peak,
    leakedTensorsPerStep: t.leaked,
    weights,
  };
}

/** Time `steps` first-order DARTS search steps (after 2 warm-up steps) of `preset` on the active backend. */
function benchSearchStep(
  preset: SearchStepPreset,
  steps: number,
  seed: number,
): Omit<StepResult, "engine" | "preset" | "note"> {
  const method = dartsMethod({ partialChannels: preset.partialChannels });
  const space = spaceByName(preset.space).open({
    model: preset.model,
    partialChannels: preset.partialChannels,
  });
  const weights = new ParamStore(seed);
  const archStore = new ParamStore(seed);
  const net = space.createSupernet(weights, { numClasses: 10, inputChannels: 3 });
  const arch = Object.fromEntries(space.archParams.map((p) => [p.name, initArchParam(archStore, method, p)]));
  const wOpt = sgd(weights.trainable, { lr: 0.025, momentum: 0.9, weightDecay: 3e-4 });
  const aOpt = adam(Object.values(arch), { lr: 3e-4, betas: [0.5, 0.999], weightDecay: 1e-3 });
  const { batch: B, size: H } = preset;
  const batch = (s: number) => ({
    x: tf.randomNormal([B, H, H, 3], 0, 1, "float32", s) as tf.Tensor4D,
    y: tf.randomUniform([B], 0, 10, "int32", s + 1) as tf.Tensor1D,
  });
  const train = batch(seed + 10);
  const valid = batch(seed + 20);
  const ctx = { epoch: 0, step: 0, seed, training: true };
  const stepper = {
    output: (x: tf.Tensor4D) =>
      net.forward(x, archWeights(space.archParams, arch, method, ctx), "train", ctx),
    task: space.task,
    arch: { vars: Object.values(arch), optimizer: aOpt },
    weights: { vars: weights.trainable, optimizer: wOpt, gradClip: 5 },
  };
  const timing = timeSteps(() => firstOrderStep(stepper, train, valid), steps);
  const count = weights.trainable.reduce((n, v) => n + v.size, 0);
  for (const t of [train.x, train.y, valid.x, valid.y]) t.dispose();
  wOpt.dispose();
  aOpt.dispose();
  weights.dispose();
  archStore.dispose();
  return stepFigures(preset, timing, count);
}

/**
 * Runs the peer script (argv[1] on) as its own `__main__`, then prints the process's peak resident
 * memory, which the scripts do not report.
 */
const PEER_WRAPPER = `import resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    print(f"peak rss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")`;

/** The PyTorch peer's figure for a preset on `threads` threads, or why there is none. */
export async function torchPeer(
  preset: StepPreset,
  steps: number,
  threads: number,
): Promise<StepResult | string> {
  const script = preset.peer.script;
  try {
    Deno.statSync(script);
  } catch {
    return `peer script not found at ${script}`;
  }
  for (const python of ["/usr/bin/python3", "python3"]) {
    const args = [
      "-c",
      PEER_WRAPPER,
      script,
      ...preset.peer.args,
      ...(script.endsWith("torch_nb201_step.py")
        ? [String(steps)]
        : ["--steps", String(steps), "--threads", String(threads)]),
    ];
    // torch_nb201_step.py takes no thread flag: PyTorch reads OMP_NUM_THREADS when it starts.
    const env = { OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    try {
      const out = await new Deno.Command(python, { args, env, stdout: "piped", stderr: "piped" }).output();
      const text = new TextDecoder().decode(out.stdout);
      const m = text.match(/^torch (\S+) threads=(\d+).*: (\d+) ms\/step/m);
      if (!out.success || !m) continue;
      const figure = (re: RegExp) => {
        const f = text.match(re);
        return f ? Number(f[1]) : null;
      };
      return {
        engine: `pytorch ${m[1]} (${m[2]} thread${m[2] === "1" ? "" : "s"})`,
        preset: "",
        msPerStep: Number(m[3]),
        imagesPerSecond: (imagesPerStep(preset) * 1000) / Number(m[3]),
        peakRssMiB: figure(/^peak rss (\d+) MiB/m),
        leakedTensorsPerStep: null,
        weights: figure(/(\d+) weights/),
        note: "peer",
      };
    } catch { /* try the next interpreter */ }
  }
  return "no python3 with torch (Debian: apt-get install python3-torch)";
}

function parseList(flag: string | undefined, all: readonly string[], what: string): string[] {
  if (!flag) return [...all];
  const items = flag.split(",").map((s) => s.trim()).filter(Boolean);
  for (const i of items) {
    if (!all.includes(i)) throw new Error(`unknown ${what} "${i}": choose from ${all.join(", ")}`);
  }
  return items;
}

async function main(args: string[]): Promise<void> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}"`);
    const [k, v] = a.slice(2).split("=", 2);
    if (["json", "no-torch", "no-kernels"].includes(k)) flags.set(k, "1");
    else if (["backends", "presets", "steps", "threads"].includes(k)) flags.set(k, v ?? args[++i]);
    else {throw new Error(
        `unknown flag --${k}: use --json, --backends, --presets, --steps, --threads, --no-torch, --no-kernels`,
      );}
  }
  const json = flags.has("json");
  const log = (s: string) => json ? console.error(s) : console.log(s);
  const concrete = BACKEND_NAMES.filter((b) => b !== "auto");
  const requested = flags.get("backends") ? parseList(flags.get("backends"), concrete, "backend") : undefined;
  const presets = parseList(flags.get("presets"), Object.keys(BENCH_PRESETS), "preset");
  const stepsFlag = flags.get("steps");
  const steps = stepsFlag ? Number(stepsFlag) : undefined;
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
    throw new Error(`--steps must be a positive integer`);
  }
  const threadsFlag = flags.get("threads");
  if (threadsFlag !== undefined) {
    if (!/^[1-8]$/.test(threadsFlag)) {
      throw new Error(`--threads must be an integer from 1 to 8, got "${threadsFlag}"`);
    }
    Deno.env.set("SADARTS_WASM_THREADS", threadsFlag); // read when the wasm backend starts
  }
  const threads = wasmThreads();

  const rows: StepResult[] = [];
  const skipped: string[] = [];
  const kernels: Record<string, unknown>[] = [];
  // Default: every backend that initialises, except the plain-JS reference (minutes per step) and a
  // software WebGPU adapter (slower than wasm); name them in --backends to force them.
  const backends = (requested ?? ["tensorflow-gpu", "tensorflow", "webgpu", "wasm", "cpu"]) as BackendName[];
  for (const backend of backends) {
    let description: string;
    try {
      if (!requested && backend === "webgpu") {
        const info = await selectBackend("auto");
        if (info.name !== "webgpu") {
          skipped.push("webgpu: no hardware adapter");
          continue;
        }
      }
      description = (await selectBackend(parseBackendName(backend))).description;
    } catch (e) {
      skipped.push(`${backend}: ${(e as Error).message}`);
      continue;
    }
    for (const preset of presets) {
      if (!requested && backend === "cpu") {
        skipped.push(
          `cpu at ${preset} preset: the plain-JS reference backend takes minutes per step (measured ~108 s at cpu); name it in --backends to run it`,
        );
        continue;
      }
      const n = steps ?? (backend === "cpu" ? 2 : preset.endsWith("paper") ? 3 : 10);
      log(`bench: ${backend} ${preset} (${n} steps)...`);
      rows.push({ engine: backend, preset, note: description, ...benchStep(BENCH_PRESETS[preset], n) });
    }
    if (!flags.has("no-kernels") && backend !== "cpu") {
      log(`bench: ${backend} kernels...`);
      for (const k of await kernelBench(backend)) {
        kernels.push({
          engine: backend,
          ...k,
          ms: Math.round(k.ms * 100) / 100,
          gflops: Math.round(k.gflops * 10) / 10,
        });
      }
    }
  }
  if (!flags.has("no-torch")) {
    for (const preset of presets) {
      log(`bench: pytorch ${preset}...`);
      const peer = await torchPeer(BENCH_PRESETS[preset], preset.endsWith("paper") ? 3 : 10, threads);
      if (typeof peer === "string") skipped.push(`pytorch: ${peer}`);
      else rows.push({ ...peer, preset });
    }
  }
  const torchMs = (preset: string) =>
    rows.find((r) => r.preset === preset && r.engine.startsWith("pytorch"))?.msPerStep;
  const table = rows.map((r) => {
    const t = torchMs(r.preset);
    return {
      ...r,
      msPerStep: Math.round(r.msPerStep),
      imagesPerSecond: Math.round(r.imagesPerSecond * 10) / 10,
      vsTorch: t ? Math.round((t / r.msPerStep) * 100) / 100 : null,
    };
  });
  if (json) {
    console.log(JSON.stringify({ steps: table, kernels, skipped, presets: BENCH_PRESETS }, null, 2));
    return;
  }
  pl.Config.setTblRows(100);
  console.log(
    "\nOne step per preset: a first-order search step, or a training step (train-*); vsTorch > 1: faster than PyTorch",
  );
  console.log(pl.DataFrame(table.map(({ note: _, ...r }) => r)).toString());
  for (const r of table.filter((r) => !r.engine.startsWith("pytorch"))) {
    console.log(`  ${r.engine}: ${r.note}`);
  }
  if (kernels.length) {
    console.log("\nConvolution kernels");
    console.log(pl.DataFrame(kernels).toString());
  }
  if (skipped.length) console.log(`\nskipped:\n  ${skipped.join("\n  ")}`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
