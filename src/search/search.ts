/**
 * The bi-level search loop: every method the same way (its sampler, regularizers and optimizer settings
 * come from the method), one record per epoch, and, given a run folder, a checkpoint after every epoch
 * from which a killed run resumes to exactly the α, weights and history an uninterrupted run reaches.
 *
 * Nothing in a step depends on anything but (config, epoch, step): batches, augmentation and sampler
 * noise are drawn from generators seeded by those numbers, so a checkpoint needs no RNG state.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { batches, type ImageSet, mixSeed, nb201Split, stepsPerEpoch } from "../data/pipeline.ts";
import { loadSearchData } from "../data/searchData.ts";
import {
  initArchParam,
  regularizationLoss,
  type SearchMethod,
  updatesAlpha,
  weightLr,
} from "../methods/method.ts";
import { ParamStore } from "../ops/params.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../runs/checkpoint.ts";
import {
  type AlphaRow,
  canonicalJson,
  configDifferences,
  type MetricsRow,
  openRunFolder,
  type RunFolder,
  runPaths,
  writeHistory,
  writeSummary,
} from "../runs/runFolder.ts";
import { spaceByName } from "../spaces/mod.ts";
import type { ArchParamSpec, ArchValues, SpaceRun, Supernet } from "../spaces/space.ts";
import { checkSearchConfig, type SearchConfig } from "./config.ts";
import { describeValue } from "./valueChecks.ts";
import { correctCount, crossEntropy } from "./loss.ts";
import { adam, type Optimizer, sgd } from "./optimizers.ts";
import { firstOrderStep, type FirstOrderStepper, weightStep } from "./step.ts";
import { momentumBuffersOf, secondOrderArchStep } from "./secondOrder.ts";

/**
 * A loss, α, or α's optimizer state became NaN or infinite: the run stopped, its last checkpoint is kept
 * (or, when no epoch had finished, nothing is).
 */
export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

/**
 * The search's `signal` was aborted (the CLI aborts on SIGINT / SIGTERM): the run stopped between two
 * steps; the checkpoint of the last finished epoch is kept and summary.json says "interrupted" (when no
 * epoch had finished in a fresh folder, nothing is kept). Resuming gives what an uninterrupted run gives.
 */
export class SearchInterruptedError extends Error {
  override name = "SearchInterruptedError";
  constructor(
    message: string,
    /** Epochs in the kept checkpoint (0: none). */
    readonly epochsDone: number,
    /** The run folder, when there is one. */
    readonly out: string | undefined,
    /** The abort reason when it is a string (the CLI gives the signal's name). */
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Longest stretch of steps without a turn of the event loop (so that a signal listener, a notebook's
 * messages or an abort can run): a `setTimeout(0)` costs ~1–2 ms of idle time (measured 2.2 ms on a
 * loaded 2-core machine), so it is taken at most every 500 ms: ≤ 0.5% of a run's time, and a signal waits
 * at most that plus one step. The per-step finiteness check of α, its optimizer state and the
 * regularizer costs ~0.15 ms (147 µs on wasm), against 100+ ms for a smoke-preset step.
 */
const YIELD_EVERY_MS = 500;

/** Where a running search is, reported after every step. */
export interface SearchProgress {
  /** 0-based epoch being run, and the total. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch, and per epoch. */
  step: number;
  steps: number;
  /** Mean training loss of this epoch so far. */
  trainLoss: number;
  /** The cell derived from the current architecture parameters (the space's genotype string). */
  cell: string;
}

/** The live objects of a search, for callbacks that inspect (or, in tests, tamper with) them. */
export interface SearchState {
  config: SearchConfig;
  method: SearchMethod;
  /** The search space bound to this run. */
  space: SpaceRun;
  net: Supernet;
  /** The architecture parameters by name (NB201: `alpha`). */
  arch: Readonly<Record<string, tf.Variable>>;
}

/** Options of {@link search}. */
export interface SearchOptions {
  /** Run folder for config, history, summary and checkpoints; absent: nothing is written. */
  out?: string;
  /**
   * Continue the run in `out` from its checkpoint (default false: a folder that already holds a
   * checkpoint is refused, so nothing is overwritten). A finished run is read back, not re-run.
   */
  resume?: boolean;
  /**
   * The space's benchmark, loaded already (NB201: its table, for the derived cells' accuracies; default:
   * the space loads it).
   */
  benchmark?: unknown;
  /** Images already loaded (default: `loadSearchData(config.data)`). */
  data?: ImageSet;
  /**
   * Stop after this many epochs of the config (default: all of them). The epochs run are exactly the
   * config's first ones (same schedules), so a long run's opening can be re-checked quickly.
   */
  stopAfterEpochs?: number;
  /** Called after every step. */
  onProgress?: (p: SearchProgress, state: SearchState) => void;
  /** Called after every epoch with its record. */
  onEpoch?: (row: MetricsRow, state: SearchState) => void;
  /** Messages for the user (resuming, backend changes); default silent. */
  log?: (message: string) => void;
  /**
   * Stops the run between two steps when aborted ({@link SearchInterruptedError}); `signal.reason`,
   * when a string (e.g. "SIGINT"), is named in the message.
   */
  signal?: AbortSignal;
}

/** What a finished search reports (also `summary.json`). */
export interface SearchSummary {
  status: "running" | "finished" | "failed" | "interrupted";
  message?: string;
  method: string;
  preset: string;
  seed: number;
  epochsDone: number;
  epochs: number;
  /** The derived architecture of the last recorded epoch (the space's genotype string). */
  cell: string;
  seconds: number;
  backend: string;
  /**
   * The space's own fields (`SpaceRun.summary`), e.g. NB201's `cifar10`, `cifar100`, `imagenet16`,
   * `cifar10Percentile`, `cifar10Rank`, `skipEdges` and the final `alpha` with its `ops` and `edges`.
   */
  [field: string]: unknown;
}

/** A search's outcome: its config, its history as tidy rows, its summary. */
export interface SearchResult {
  config: SearchConfig;
  /** One row per epoch (epoch 0: the initial α). */
  metrics: MetricsRow[];
  /** One row per epoch × architecture parameter × edge × op. */
  alpha: AlphaRow[];
  summary: SearchSummary;
}

/**
 * What a checkpoint's JSON state holds besides the tensors. Version 2 adds the config, so a checkpoint
 * can be checked against the run it is resumed as (version 1, before it, is still read).
 */
interface CheckpointState {
  version: 1 | 2;
  config?: SearchConfig;
  epochsDone: number;
  seconds: number;
  backend: string;
  metrics: MetricsRow[];
  alpha: AlphaRow[];
}

const mean = (sum: number, n: number) => (n > 0 ? sum / n : null);

/** The first value of `values` that is NaN or infinite, or undefined. */
function nonFinite(values: ArrayLike<number>): number | undefined {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return values[i];
  return undefined;
}

/** Classes of a labelled set: at least CIFAR-10's 10, so a small subset keeps the model's shape. */
function classCount(labels: Int32Array): number {
  let max = 9;
  for (const l of labels) if (l > max) max = l;
  return max + 1;
}

/** A scalar's value; the tensor is freed. */
function readScalar(t: tf.Scalar): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** The architecture parameters' values as plain rows, by name. */
function archValues(arch: Readonly<Record<string, tf.Variable>>): Record<string, number[][]> {
  return Object.fromEntries(Object.entries(arch).map(([name, v]) => [name, v.arraySync() as number[][]]));
}

/**
 * What the supernet mixes with, by parameter name: the method's sampler on every op parameter, edge
 * parameters as they are (the supernet normalizes them). The first op parameter draws the sampler's
 * noise under the plain context (as NB201's single α always has); each further one under its name.
 */
export function archWeights(
  specs: readonly ArchParamSpec[],
  arch: Readonly<Record<string, tf.Variable>>,
  method: SearchMethod,
  ctx: Parameters<SearchMethod["sampler"]["weights"]>[1],
): Record<string, tf.Tensor2D> {
  let first = true;
  return Object.fromEntries(specs.map((spec) => {
    const v = arch[spec.name] as tf.Tensor2D;
    if (spec.role === "edges") return [spec.name, v];
    const w = method.sampler.weights(v, first ? ctx : { ...ctx, param: spec.name });
    first = false;
    return [spec.name, w];
  }));
}

/** The method's regularizers summed over every op parameter (NB201: its α). */
function archRegularizer(
  specs: readonly ArchParamSpec[],
  arch: Readonly<Record<string, tf.Variable>>,
  method: SearchMethod,
  epoch: number,
): tf.Scalar {
  const losses = specs.filter((s) => s.role === "ops").map((s) =>
    regularizationLoss(method, arch[s.name] as tf.Tensor2D, epoch)
  );
  return losses.length === 1 ? losses[0] : tf.addN(losses) as tf.Scalar;
}

/** Mean loss and accuracy (%) of the supernet in eval mode over `indices`; `pause` runs between batches. */
async function evaluate(
  state: SearchState,
  set: ImageSet,
  indices: Int32Array,
  batchSize: number,
  seed: number,
  epoch: number,
  pause: () => Promise<void>,
): Promise<{ loss: number; acc: number }> {
  let loss = 0, correct = 0, n = 0, step = 0;
  const all = batches({ ...set, indices, batchSize, shuffle: false, dropLast: false });
  try {
    for (const b of all) {
      await pause().catch((e) => {
        b.x.dispose();
        b.y.dispose();
        throw e;
      });
      const result = tf.tidy(() => {
        const { space, arch, method, net } = state;
        const ctx = { epoch, step: step++, seed, training: false };
        const z = net.forward(b.x, archWeights(space.archParams, arch, method, ctx), "eval", ctx);
        return tf.stack([tf.mul(crossEntropy(z, b.y), b.y.shape[0]), correctCount(z, b.y)]);
      });
      const [l, c] = result.dataSync();
      result.dispose();
      b.x.dispose();
      b.y.dispose();
      loss += l;
      correct += c;
      n += b.indices.length;
    }
  } finally {
    all.return(undefined);
  }
  return { loss: loss / n, acc: (100 * correct) / n };
}

/**
 * The tensors of a checkpoint: every architecture parameter as `arch/<name>`, the weights as `w/<name>`,
 * the optimizers' state as `wopt/…` and `aopt/…`.
 */
function checkpointTensors(
  net: Supernet,
  arch: Readonly<Record<string, tf.Variable>>,
  wOpt: Optimizer,
  aOpt: Optimizer,
) {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, v] of Object.entries(arch)) tensors[`arch/${name}`] = v;
  for (const [name, v] of net.store.entries()) tensors[`w/${name}`] = v;
  for (const [name, t] of Object.entries(wOpt.state())) tensors[`wopt/${name}`] = t;
  for (const [name, t] of Object.entries(aOpt.state())) tensors[`aopt/${name}`] = t;
  return tensors;
}

/** Free what {@link checkpointTensors} made: optimizer state() makes fresh scalars; variables are not ours. */
function freeCheckpointTensors(tensors: Record<string, tf.Tensor>) {
  for (const [k, t] of Object.entries(tensors)) {
    if (k.includes("opt/") && !(t instanceof tf.Variable)) t.dispose();
  }
}

/**
 * Refuse a checkpoint state that is not this run's: another config (version 2 names it), a version-1
 * state with no config.json to vouch for it, or fields that do not add up. Every message names the file.
 */
function checkState(
  c: Checkpoint<unknown>,
  config: SearchConfig,
  configJsonMatched: boolean,
  cellSize: number,
  source: string,
): asserts c is Checkpoint<CheckpointState> {
  const s = c.state as Partial<CheckpointState> | null;
  const bad = (why: string) =>
    new Error(`${source} has a bad state (${why}): delete it to restart from scratch or restore a copy`);
  if (!s || typeof s !== "object") throw bad("not an object");
  if (s.version === 2) {
    if (canonicalJson(s.config) !== canonicalJson(config)) {
      throw new Error(
        `${source} belongs to another config (${configDifferences(s.config, config, "the checkpoint")}): ` +
          `resume it with its own config, or delete it to start over`,
      );
    }
  } else if (s.version === 1) {
    if (!configJsonMatched) {
      throw new Error(
        `${source} was written before checkpoints recorded their config, and config.json is missing: ` +
          `restore config.json, or delete the folder to start over`,
      );
    }
  } else throw bad(`version ${s.version}`);
  const done = s.epochsDone;
  if (typeof done !== "number" || !Number.isInteger(done) || done < 1 || done > config.epochs) {
    throw bad(`epochsDone is ${String(done)}, not 1 to ${config.epochs}`);
  }
  if (typeof s.seconds !== "number" || !(s.seconds >= 0)) throw bad(`seconds is ${String(s.seconds)}`);
  if (typeof s.backend !== "string") throw bad(`backend is ${String(s.backend)}`);
  const m = s.metrics;
  if (!Array.isArray(m) || m.length !== done + 1) {
    throw bad(
      `metrics has ${Array.isArray(m) ? m.length : "no"} rows for ${done} epochs, ${done + 1} expected`,
    );
  }
  m.forEach((row, i) => {
    if (!row || typeof row !== "object" || row.epoch !== i || typeof row.cell !== "string") {
      throw bad(`metrics row ${i} is ${JSON.stringify(row)?.slice(0, 60)}`);
    }
  });
  const a = s.alpha;
  if (!Array.isArray(a) || a.length !== (done + 1) * cellSize) {
    throw bad(
      `alpha has ${Array.isArray(a) ? a.length : "no"} rows, ${
        (done + 1) * cellSize
      } expected for ${done} epochs`,
    );
  }
  a.forEach((row, i) => {
    const ok = row && typeof row === "object" && row.epoch === Math.floor(i / cellSize) &&
      typeof row.edge === "string" && typeof row.op === "string" && typeof row.alpha === "number" &&
      typeof row.beta === "number";
    if (!ok) throw bad(`alpha row ${i} is ${JSON.stringify(row)?.slice(0, 60)}`);
  });
}

/** Refuse saved tensors that do not fit the live model (`expected`): missing, extra, or of another shape. */
function checkTensors(saved: Record<string, tf.Tensor>, expected: Record<string, tf.Tensor>, source: string) {
  const advice = "delete it to restart from scratch, or choose another --out";
  for (const [name, t] of Object.entries(expected)) {
    const got = saved[name];
    if (!got) {
      throw new Error(
        `${source} lacks tensor "${name}": it was written by another version or model; ${advice}`,
      );
    }
    if (
      got.dtype !== t.dtype || got.shape.length !== t.shape.length ||
      got.shape.some((d, i) => d !== t.shape[i])
    ) {
      const what = (x: tf.Tensor) =>
        `${x.dtype === t.dtype && x.dtype === got.dtype ? "" : `${x.dtype} `}[${x.shape}]`;
      throw new Error(
        `${source}: tensor "${name}" has shape ${what(got)}, the model's is ${what(t)}: it was written for ` +
          `another model; ${advice}`,
      );
    }
  }
  for (const name of Object.keys(saved)) {
    if (!(name in expected)) {
      throw new Error(
        `${source} holds tensor "${name}", which the model lacks: it was written for another model; ${advice}`,
      );
    }
  }
}

/** Assign a checked checkpoint's tensors to the live model and optimizers (the caller frees them). */
function restore(
  c: Checkpoint<CheckpointState>,
  net: Supernet,
  arch: Readonly<Record<string, tf.Variable>>,
  wOpt: Optimizer,
  aOpt: Optimizer,
) {
  const t = c.tensors;
  for (const [name, v] of Object.entries(arch)) v.assign(t[`arch/${name}`]);
  for (const [name, v] of net.store.entries()) v.assign(t[`w/${name}`]);
  const sub = (prefix: string) =>
    Object.fromEntries(
      Object.entries(t).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
    );
  wOpt.load(sub("wopt/"));
  aOpt.load(sub("aopt/"));
}

/** The search options' types, checked at the boundary (a notebook may pass anything), naming the field. */
function checkSearchOptions(o: SearchOptions): void {
  if (o === null || typeof o !== "object") {
    throw new Error(`search options must be an object, got ${String(o)}`);
  }
  const expect = (field: keyof SearchOptions, ok: boolean, what: string) => {
    if (o[field] !== undefined && !ok) {
      throw new Error(`search option ${field} must be ${what}, got ${describeValue(o[field], true)}`);
    }
  };
  expect("out", typeof o.out === "string", "a folder name (a string)");
  expect("resume", typeof o.resume === "boolean", "true or false");
  const stop = o.stopAfterEpochs;
  expect(
    "stopAfterEpochs",
    typeof stop === "number" && Number.isInteger(stop) && stop >= 1,
    "an integer ≥ 1",
  );
  for (const f of ["onProgress", "onEpoch", "log"] as const) {
    expect(f, typeof o[f] === "function", "a function");
  }
  expect("signal", o.signal instanceof AbortSignal, "an AbortSignal");
}

/**
 * Run (or resume, or read back) the search `config` describes. With `out`, everything the run
 * produces is in that folder, written atomically after every epoch.
 *
 * The folder is held (`openRunFolder`'s lock) from before its config.json is read until the search
 * returns or throws. Data, split and model are built before the folder is touched, and a start that
 * fails or is interrupted before its first checkpoint removes what it created (only that), so a
 * corrected command is not refused. A checkpoint is resumed only if its checksum, its recorded config
 * (against the config asked for; config.json is rewritten from it when missing), its state's fields
 * and every tensor's shape fit; each refusal names the file and what to do. A NaN or infinity in a
 * loss, in α, in α's optimizer state or in the regularizer stops the run ({@link NonFiniteLossError});
 * an aborted `signal` stops it between steps ({@link SearchInterruptedError}); in both the last
 * checkpoint is kept and summary.json says "failed" or "interrupted". None of this moves a number of
 * an uninterrupted run's history.
 */
export async function search(config: SearchConfig, options: SearchOptions = {}): Promise<SearchResult> {
  const method = checkSearchConfig(config);
  checkSearchOptions(options);
  const { out, log = () => {}, signal } = options;
  const space = spaceByName(config.space).open({
    model: config.model,
    benchmark: options.benchmark,
    partialChannels: method.partialChannels,
  });
  const backend = tf.getBackend();

  // What can fail on the inputs fails before the run folder is touched: data, split, model.
  const set = options.data ?? await loadSearchData(config.data);
  const split = nb201Split(set.count, config.data.splitSeed);
  const { batchSize } = config.data;
  const steps = Math.min(
    stepsPerEpoch(split.train.length, batchSize),
    stepsPerEpoch(split.valid.length, batchSize),
  );
  if (steps === 0) {
    throw new Error(
      `batch size ${batchSize} is larger than each half of the ${set.count} images: no step to run`,
    );
  }

  const store = new ParamStore(config.seed);
  const net = space.createSupernet(store, {
    numClasses: classCount(set.labels),
    inputChannels: set.channels,
  });
  const archStore = new ParamStore(config.seed);
  const arch: Record<string, tf.Variable> = Object.fromEntries(
    space.archParams.map((spec) => [spec.name, initArchParam(archStore, method, spec)]),
  );
  const archVars = Object.values(arch);
  const w = method.weightOptimizer;
  const wOpt = sgd(store.trainable, {
    lr: w.lr,
    momentum: w.momentum,
    weightDecay: w.weightDecay,
    nesterov: w.nesterov,
  });
  const aOpt = adam(archVars, { ...method.archOptimizer });
  /** BN running statistics: the unrolled step's forward at w' leaves them as they were (architect.py). */
  const runningStats = store.entries().map(([, v]) => v).filter((v) => !v.trainable);
  const state: SearchState = { config, method, space, net, arch };
  /** The architecture's values at the last recorded epoch (what the summary reports). */
  let recordedArch: ArchValues = archValues(arch);
  const alphaRowsPerEpoch = space.alphaRows(0, recordedArch).length;

  let metrics: MetricsRow[] = [];
  let alphaHistory: AlphaRow[] = [];
  let epochsDone = 0;
  let seconds = 0;
  let folder: RunFolder | undefined;
  /** Epochs in the folder's checkpoint of this run (found on opening or written since); 0: none. */
  let savedEpochs = 0;
  /** The folder is this run's and the loop has started: a failure is recorded in its summary. */
  let running = false;
  const kept = () =>
    out === undefined
      ? "no run folder"
      : savedEpochs > 0
      ? `the checkpoint of epoch ${savedEpochs} in ${out} is kept`
      : "no epoch had finished: nothing was kept";
  const stopped = (what: string, value: number, where: string) =>
    new NonFiniteLossError(
      `the ${what} became ${value} ${where}: the run stopped (${kept()}). ` +
        `Lower the learning rates or the regularization strength.`,
    );
  const interrupted = (epoch: number) => {
    const reason = typeof signal?.reason === "string" ? signal.reason : undefined;
    const what = `the search was interrupted${reason ? ` (${reason})` : ""} in epoch ${
      epoch + 1
    } of ${config.epochs}`;
    return new SearchInterruptedError(
      out === undefined
        ? `${what} (no run folder: nothing was kept)`
        : savedEpochs > 0
        ? `${what}: the checkpoint of epoch ${savedEpochs} in ${out} is kept; resume it with resume: true`
        : `${what}, before any epoch had finished: nothing was kept in ${out}`,
      savedEpochs,
      out,
      reason,
    );
  };
  let lastYield = performance.now();
  /** Between steps: a turn of the event loop now and then, and the abort check. */
  const pause = async (epoch: number) => {
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await new Promise((r) => setTimeout(r, 0));
      lastYield = performance.now();
    }
    if (signal?.aborted) throw interrupted(epoch);
  };
  /**
   * α, α's optimizer state and the regularizer after a step: any NaN or infinity stops the run. One read
   * from the device for all of them (a GPU pays one round trip, not four): ~0.15 ms on wasm.
   */
  const checkArch = (epoch: number, where: string, regularizer: boolean) => {
    const opt = aOpt.state();
    const parts: [string, tf.Tensor][] = [
      ...Object.entries(arch).map((
        [name, v],
      ): [string, tf.Tensor] => [archVars.length > 1 ? `α (${name})` : "α", v]),
      ...Object.entries(opt).map(([name, t]): [string, tf.Tensor] => [`α optimizer state (${name})`, t]),
    ];
    const withRegularizer = regularizer && method.regularizers.length > 0;
    const all = tf.tidy(() =>
      tf.concat([
        ...parts.map(([, t]) => tf.reshape(tf.cast(t, "float32"), [-1])),
        ...(withRegularizer ? [tf.reshape(archRegularizer(space.archParams, arch, method, epoch), [1])] : []),
      ])
    );
    for (const t of Object.values(opt)) if (!(t instanceof tf.Variable)) t.dispose();
    const values = all.dataSync();
    all.dispose();
    let at = 0;
    for (const [what, t] of parts) {
      const bad = nonFinite(values.subarray(at, at + t.size));
      if (bad !== undefined) throw stopped(what, bad, where);
      at += t.size;
    }
    if (withRegularizer && !Number.isFinite(values[at])) throw stopped("regularizer loss", values[at], where);
  };
  /** The summary of what the history records (the last recorded epoch, not a half-done one). */
  const summaryOf = (status: SearchSummary["status"], message?: string): SearchSummary => {
    const last = metrics[metrics.length - 1];
    return {
      status,
      ...(message ? { message } : {}),
      method: config.method,
      preset: config.preset,
      seed: config.seed,
      epochsDone,
      epochs: config.epochs,
      cell: last.cell,
      ...space.summary(last, recordedArch),
      seconds,
      backend,
    };
  };
  try {
    let saved: CheckpointState | undefined;
    if (out !== undefined) {
      folder = await openRunFolder(out, config);
      const source = folder.paths.checkpoint;
      if (folder.staleRemoved.length) log(`removed ${folder.staleRemoved.join(", ")}, left by a killed run`);
      const c = await loadCheckpoint<unknown>(source);
      if (c) {
        // Checkpoints before named architecture parameters held NB201's α as "alpha".
        if ("alpha" in c.tensors && !("arch/alpha" in c.tensors)) {
          c.tensors["arch/alpha"] = c.tensors.alpha;
          delete c.tensors.alpha;
        }
        const expected = checkpointTensors(net, arch, wOpt, aOpt);
        try {
          checkState(c, config, folder.existed, alphaRowsPerEpoch, source);
          checkTensors(c.tensors, expected, source);
          if (!options.resume) {
            throw new Error(
              `${out} already holds this run (${c.state.epochsDone} of ${config.epochs} epochs done): ` +
                `pass --resume (resume: true) to continue or read it, or choose another --out`,
            );
          }
          restore(c, net, arch, wOpt, aOpt);
          recordedArch = archValues(arch);
        } finally {
          freeCheckpointTensors(expected);
          Object.values(c.tensors).forEach((x) => x.dispose());
        }
        if (!folder.existed) {
          await folder.writeConfig();
          log(
            `${folder.paths.config} was missing: rewritten from checkpoint.bin, which records the same config`,
          );
        }
        saved = c.state;
        savedEpochs = saved.epochsDone;
      }
    }
    if (saved) {
      ({ metrics, alpha: alphaHistory, epochsDone, seconds } = saved);
      if (saved.backend !== backend) {
        log(
          `note: the run was started on ${saved.backend}, it continues on ${backend}; ` +
            `the result can differ from an uninterrupted run in the last bits`,
        );
      }
      log(
        epochsDone < config.epochs
          ? `resuming ${out} after epoch ${epochsDone} of ${config.epochs}`
          : `${out} is finished (${epochsDone} epochs): reading it back`,
      );
    } else {
      metrics.push({
        epoch: 0,
        lr: null,
        trainLoss: null,
        trainAcc: null,
        archLoss: null,
        archAcc: null,
        validLoss: null,
        validAcc: null,
        regLoss: null,
        ...space.record(recordedArch),
        seconds: 0,
        elapsed: 0,
      });
      alphaHistory = space.alphaRows(0, recordedArch);
    }

    running = true;
    const lastEpoch = Math.min(config.epochs, options.stopAfterEpochs ?? config.epochs);
    for (let epoch = epochsDone; epoch < lastEpoch; epoch++) {
      const t0 = performance.now();
      wOpt.lr = weightLr(method, epoch, config.epochs);
      const searchArch = updatesAlpha(method, epoch);
      let step = 0;
      const stepper: FirstOrderStepper = {
        logits: (x, pass) => {
          const ctx = { epoch, step, seed: config.seed, training: true, draw: pass === "alpha" ? 0 : 1 };
          return net.forward(x, archWeights(space.archParams, arch, method, ctx), "train", ctx);
        },
        arch: {
          vars: archVars,
          optimizer: aOpt,
          regularizer: method.regularizers.length
            ? () => archRegularizer(space.archParams, arch, method, epoch)
            : undefined,
        },
        weights: { vars: store.trainable, optimizer: wOpt, gradClip: method.gradClip },
      };
      const sums = { train: 0, trainOk: 0, trainN: 0, arch: 0, archOk: 0, archN: 0 };
      const common = {
        ...set,
        batchSize,
        epoch,
        augment: config.data.augment && (config.data.cutout ? { cutout: config.data.cutout } : true),
      };
      const trainBatches = batches({ ...common, indices: split.train, seed: mixSeed(config.seed, 1) });
      const validBatches = batches({ ...common, indices: split.valid, seed: mixSeed(config.seed, 2) });
      for (; step < steps; step++) {
        await pause(epoch);
        const train = trainBatches.next().value!;
        const valid = validBatches.next().value!;
        const where = `at epoch ${epoch + 1}, step ${step + 1}`;
        try {
          const r = method.secondOrder && searchArch
            ? {
              // DARTS' unrolled α step: ξ is the weights' learning rate of this epoch (architect.py).
              arch: secondOrderArchStep(stepper, train, valid, {
                xi: wOpt.lr,
                momentum: method.weightOptimizer.momentum,
                weightDecay: method.weightOptimizer.weightDecay,
                momentumBuffers: momentumBuffersOf(wOpt),
                runningStats,
              }),
              weights: weightStep(stepper, train),
            }
            : firstOrderStep(stepper, train, valid, searchArch);
          if (r.arch) {
            if (!Number.isFinite(r.arch.loss)) throw stopped("α (validation) loss", r.arch.loss, where);
            sums.arch += r.arch.loss * r.arch.count;
            sums.archOk += r.arch.correct;
            sums.archN += r.arch.count;
          }
          if (!Number.isFinite(r.weights.loss)) throw stopped("training loss", r.weights.loss, where);
          sums.train += r.weights.loss * r.weights.count;
          sums.trainOk += r.weights.correct;
          sums.trainN += r.weights.count;
        } finally {
          for (const b of [train, valid]) {
            b.x.dispose();
            b.y.dispose();
          }
        }
        checkArch(epoch, where, searchArch);
        if (options.onProgress) {
          options.onProgress({
            epoch,
            epochs: config.epochs,
            step: step + 1,
            steps,
            trainLoss: sums.train / sums.trainN,
            cell: space.derive(archValues(arch)),
          }, state);
        }
      }
      trainBatches.return(undefined);
      validBatches.return(undefined);

      const valid = config.evaluate
        ? await evaluate(
          state,
          set,
          split.valid,
          batchSize,
          config.seed,
          epoch,
          () => pause(epoch),
        )
        : undefined;
      const regLoss = method.regularizers.length
        ? readScalar(tf.tidy(() => archRegularizer(space.archParams, arch, method, epoch)))
        : 0;
      // Checked before the epoch is counted: the last checkpoint and the summary stay the previous epoch's.
      if (valid && !Number.isFinite(valid.loss)) {
        throw stopped("evaluation loss", valid.loss, `after epoch ${epoch + 1}`);
      }
      if (!Number.isFinite(regLoss)) throw stopped("regularizer loss", regLoss, `after epoch ${epoch + 1}`);
      checkArch(epoch, `after epoch ${epoch + 1}`, false);
      const a = archValues(arch);
      const epochSeconds = (performance.now() - t0) / 1000;
      seconds += epochSeconds;
      epochsDone = epoch + 1;
      const row: MetricsRow = {
        epoch: epochsDone,
        lr: wOpt.lr,
        trainLoss: mean(sums.train, sums.trainN),
        trainAcc: mean(100 * sums.trainOk, sums.trainN),
        archLoss: mean(sums.arch, sums.archN),
        archAcc: mean(100 * sums.archOk, sums.archN),
        validLoss: valid?.loss ?? null,
        validAcc: valid?.acc ?? null,
        regLoss,
        ...space.record(a),
        seconds: epochSeconds,
        elapsed: seconds,
      };
      metrics.push(row);
      alphaHistory.push(...space.alphaRows(epochsDone, a));
      recordedArch = a;
      if (out !== undefined) {
        const ckpt: CheckpointState = {
          version: 2,
          config,
          epochsDone,
          seconds,
          backend,
          metrics,
          alpha: alphaHistory,
        };
        const tensors = checkpointTensors(net, arch, wOpt, aOpt);
        try {
          await saveCheckpoint(runPaths(out).checkpoint, { tensors, state: ckpt });
        } finally {
          freeCheckpointTensors(tensors);
        }
        savedEpochs = epochsDone;
        await writeHistory(out, metrics, alphaHistory);
        await writeSummary(out, summaryOf(epochsDone < config.epochs ? "running" : "finished"));
      }
      options.onEpoch?.(row, state);
    }
    const summary = summaryOf(epochsDone < config.epochs ? "running" : "finished");
    if (out !== undefined) {
      await writeHistory(out, metrics, alphaHistory);
      await writeSummary(out, summary);
    }
    return { config, metrics, alpha: alphaHistory, summary };
  } catch (e) {
    if (folder && savedEpochs === 0) {
      // Nothing of this start is worth keeping (no epoch finished): it leaves the folder as it found it,
      // so the corrected command is not refused as "a different config".
      await folder.discard().catch(() => {});
    } else if (folder && running) {
      const interrupt = e instanceof SearchInterruptedError;
      await writeSummary(out!, summaryOf(interrupt ? "interrupted" : "failed", (e as Error).message))
        .catch(() => {}); // the error in hand is the one to report
    }
    throw e;
  } finally {
    folder?.release();
    wOpt.dispose();
    aOpt.dispose();
    archStore.dispose();
    store.dispose();
  }
}
