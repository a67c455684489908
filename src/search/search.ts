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
import { pathExists } from "../data/dataFile.ts";
import {
  initArchParam,
  regularizationLoss,
  type SearchMethod,
  updatesAlpha,
  weightLr,
} from "../methods/method.ts";
import { ParamStore } from "../ops/params.ts";
import { type EpochContext, runEpochs } from "../runs/epochLoop.ts";
import { readFinishedRun } from "../runs/records.ts";
import { type AlphaRow, type MetricsRow, runPaths } from "../runs/runFolder.ts";
import { spaceByName } from "../spaces/mod.ts";
import type { ArchParamSpec, ArchValues, SpaceRun, Supernet } from "../spaces/space.ts";
import { checkSearchConfig, HESSIAN_DEFAULTS, type HessianConfig, type SearchConfig } from "./config.ts";
import { describeValue } from "./valueChecks.ts";
import { adam, type Optimizer, sgd } from "./optimizers.ts";
import { firstOrderStep, type FirstOrderStepper, weightStep } from "./step.ts";
import { momentumBuffersOf, secondOrderArchStep } from "./secondOrder.ts";
import { dominantHessianEigenvalue } from "../analysis/hessian.ts";
import { withRunningStatsFrozen } from "../ops/batchNorm.ts";
import { withoutWeightGradients } from "../ops/gradientScope.ts";

export { NonFiniteLossError, RunInterruptedError } from "../runs/epochLoop.ts";

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
   * checkpoint is refused, so nothing is overwritten). A finished run is read back, not re-run (from its
   * records alone, without images or supernet, when its checkpoint was deleted).
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
   * Stops the run between two steps when aborted ({@link RunInterruptedError}); `signal.reason`,
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

/** A search's supernet (weights in `store`) and architecture parameters (in `archStore`), initialized. */
export interface SearchModel {
  store: ParamStore;
  net: Supernet;
  archStore: ParamStore;
  arch: Record<string, tf.Variable>;
}

/** The supernet and architecture parameters `config` starts from (seeded by its seed alone). */
export function buildSearchModel(
  config: SearchConfig,
  method: SearchMethod,
  space: SpaceRun,
  set: ImageSet,
): SearchModel {
  const store = new ParamStore(config.seed);
  const net = space.createSupernet(store, {
    numClasses: classCount(set.labels),
    inputChannels: set.channels,
  });
  const archStore = new ParamStore(config.seed);
  const arch: Record<string, tf.Variable> = Object.fromEntries(
    space.archParams.map((spec) => [spec.name, initArchParam(archStore, method, spec)]),
  );
  return { store, net, archStore, arch };
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

/**
 * The supernet in eval mode on one batch: [loss × batch size, score sum] (sums, so batches of any size
 * add up to the mean over images).
 */
export function evalSums(
  state: SearchState,
  b: { x: tf.Tensor4D; y: tf.Tensor },
  ctx: Parameters<typeof archWeights>[3],
): tf.Tensor1D {
  return tf.tidy(() => {
    const { space, arch, method, net } = state;
    const out = net.forward(b.x, archWeights(space.archParams, arch, method, ctx), "eval", ctx);
    return tf.stack([
      tf.mul(space.task.loss(out, b.y), b.y.shape[0]),
      space.task.scoreSum(out, b.y),
    ]) as tf.Tensor1D;
  });
}

/** Mean loss and score of the supernet in eval mode over `indices`; `pause` runs between batches. */
async function evaluate(
  state: SearchState,
  set: ImageSet,
  indices: Int32Array,
  batchSize: number,
  seed: number,
  epoch: number,
  pause: () => Promise<void>,
): Promise<{ loss: number; score: number }> {
  let loss = 0, score = 0, n = 0, step = 0;
  const all = batches({ ...set, indices, batchSize, shuffle: false, dropLast: false });
  try {
    for (const b of all) {
      await pause().catch((e) => {
        b.x.dispose();
        b.y.dispose();
        throw e;
      });
      const result = evalSums(state, b, { epoch, step: step++, seed, training: false });
      const [l, c] = result.dataSync();
      result.dispose();
      b.x.dispose();
      b.y.dispose();
      loss += l;
      score += c;
      n += b.indices.length;
    }
  } finally {
    all.return(undefined);
  }
  return { loss: loss / n, score: score / n };
}

/**
 * The dominant eigenvalue of the Hessian of the validation loss (train mode, as the α step sees it, with
 * BN's running statistics frozen; the sampler's deterministic weights) with respect to every architecture
 * parameter, on the first `settings.images` images of the α half (the same every epoch).
 */
function hessianEigenvalue(
  state: SearchState,
  set: ImageSet,
  indices: Int32Array,
  batchSize: number,
  seed: number,
  epoch: number,
  settings: Required<HessianConfig>,
): number {
  const { space, arch, method, net } = state;
  const subset = indices.subarray(0, Math.min(settings.images, indices.length));
  const fixed = [...batches({ ...set, indices: subset, batchSize, shuffle: false, dropLast: false })];
  try {
    const loss = () =>
      tf.tidy(() => {
        const sums = fixed.map((b, step) => {
          const ctx = { epoch, step, seed, training: false };
          const out = net.forward(b.x, archWeights(space.archParams, arch, method, ctx), "train", ctx);
          return tf.mul(space.task.loss(out, b.y), b.y.shape[0]);
        });
        return tf.div(tf.addN(sums), subset.length) as tf.Scalar;
      });
    return withRunningStatsFrozen(() =>
      withoutWeightGradients(() =>
        dominantHessianEigenvalue(loss, Object.values(arch), {
          seed,
          iterations: settings.iterations,
          tolerance: settings.tolerance,
        }).value
      )
    );
  } finally {
    for (const b of fixed) {
      b.x.dispose();
      b.y.dispose();
    }
  }
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

/** Assign checked checkpoint tensors to the live model and optimizers (the caller frees them). */
function restore(
  t: Readonly<Record<string, tf.Tensor>>,
  net: Supernet,
  arch: Readonly<Record<string, tf.Variable>>,
  wOpt: Optimizer,
  aOpt: Optimizer,
) {
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

/** Checks of a saved history's rows (`runEpochs` checks counts and epochs): a record has its cell. */
const historyChecks = (alphaRowsPerEpoch: number) => ({
  metrics: {
    rowsPerEpoch: 1,
    valid: (row: Readonly<Record<string, unknown>>) => typeof row.cell === "string",
  },
  alpha: {
    rowsPerEpoch: alphaRowsPerEpoch,
    valid: (row: Readonly<Record<string, unknown>>) =>
      typeof row.edge === "string" && typeof row.op === "string" && typeof row.alpha === "number" &&
      typeof row.beta === "number",
  },
});

/**
 * Run (or resume, or read back) the search `config` describes. With `out`, everything the run
 * produces is in that folder, written atomically after every epoch by the epoch machinery
 * (`runEpochs`: lock, checkpoint, resume checks, a failed start that leaves nothing behind).
 *
 * Data, split and model are built before the folder is touched. A NaN or infinity in a loss, in α, in
 * α's optimizer state or in the regularizer stops the run ({@link NonFiniteLossError}); an aborted
 * `signal` stops it between steps ({@link RunInterruptedError}); in both the last checkpoint is kept
 * and summary.json says "failed" or "interrupted". None of this moves a number of an uninterrupted
 * run's history.
 */
export async function search(config: SearchConfig, options: SearchOptions = {}): Promise<SearchResult> {
  const method = checkSearchConfig(config);
  checkSearchOptions(options);
  const space = spaceByName(config.space).open({
    model: config.model,
    benchmark: options.benchmark,
    partialChannels: method.partialChannels,
  });

  if (options.out !== undefined && options.resume && !(await pathExists(runPaths(options.out).checkpoint))) {
    // A finished run whose checkpoint was deleted (to save space: the records are the result) is read
    // back from its records, without images or supernet, instead of being started over. With a
    // checkpoint, the resume path below checks it against the model and reads the run back.
    const finished = await readFinishedRun(options.out, config).catch(() => undefined);
    const whole = finished && finished.metrics.length === config.epochs + 1 &&
      finished.metrics.every((m, i) => m.epoch === i) && finished.alpha.length % (config.epochs + 1) === 0;
    if (finished && whole) {
      options.log?.(
        `${options.out} is finished (${finished.summary.epochsDone} epochs): read back from its records`,
      );
      return finished;
    }
  }

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

  const { store, net, archStore, arch } = buildSearchModel(config, method, space, set);
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

  /**
   * α, α's optimizer state and the regularizer after a step: any NaN or infinity stops the run. One read
   * from the device for all of them (a GPU pays one round trip, not four): ~0.15 ms on wasm, against
   * 100+ ms for a smoke-preset step.
   */
  const checkArch = (ctx: EpochContext, epoch: number, where: string, regularizer: boolean) => {
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
      if (bad !== undefined) throw ctx.stopped(what, bad, where);
      at += t.size;
    }
    if (withRegularizer && !Number.isFinite(values[at])) {
      throw ctx.stopped("regularizer loss", values[at], where);
    }
  };

  /** The `hessianEigenvalue` column of the record of `epochsDone` epochs, when the config asks for it. */
  const hessianColumn = (epochsDone: number): Record<string, number> =>
    config.hessian
      ? {
        hessianEigenvalue: hessianEigenvalue(state, set, split.valid, batchSize, config.seed, epochsDone, {
          ...HESSIAN_DEFAULTS,
          ...(config.hessian === true ? {} : config.hessian),
        }),
      }
      : {};

  /** Trains one epoch: its steps, the evaluation pass, and its record. */
  const runEpoch = async (epoch: number, ctx: EpochContext) => {
    wOpt.lr = weightLr(method, epoch, config.epochs);
    const searchArch = updatesAlpha(method, epoch);
    let step = 0;
    const stepper: FirstOrderStepper = {
      output: (x, pass) => {
        const c = { epoch, step, seed: config.seed, training: true, draw: pass === "alpha" ? 0 : 1 };
        return net.forward(x, archWeights(space.archParams, arch, method, c), "train", c);
      },
      task: space.task,
      arch: {
        vars: archVars,
        optimizer: aOpt,
        regularizer: method.regularizers.length
          ? () => archRegularizer(space.archParams, arch, method, epoch)
          : undefined,
      },
      weights: { vars: store.trainable, optimizer: wOpt, gradClip: method.gradClip },
    };
    const sums = { train: 0, trainScore: 0, trainN: 0, arch: 0, archScore: 0, archN: 0 };
    const common = {
      ...set,
      batchSize,
      epoch,
      augment: config.data.augment && (config.data.cutout ? { cutout: config.data.cutout } : true),
    };
    const trainBatches = batches({ ...common, indices: split.train, seed: mixSeed(config.seed, 1) });
    const validBatches = batches({ ...common, indices: split.valid, seed: mixSeed(config.seed, 2) });
    try {
      for (; step < steps; step++) {
        await ctx.pause();
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
            if (!Number.isFinite(r.arch.loss)) throw ctx.stopped("α (validation) loss", r.arch.loss, where);
            sums.arch += r.arch.loss * r.arch.count;
            sums.archScore += r.arch.scoreSum;
            sums.archN += r.arch.count;
          }
          if (!Number.isFinite(r.weights.loss)) throw ctx.stopped("training loss", r.weights.loss, where);
          sums.train += r.weights.loss * r.weights.count;
          sums.trainScore += r.weights.scoreSum;
          sums.trainN += r.weights.count;
        } finally {
          for (const b of [train, valid]) {
            b.x.dispose();
            b.y.dispose();
          }
        }
        checkArch(ctx, epoch, where, searchArch);
        options.onProgress?.({
          epoch,
          epochs: config.epochs,
          step: step + 1,
          steps,
          trainLoss: sums.train / sums.trainN,
          cell: space.derive(archValues(arch)),
        }, state);
      }
    } finally {
      trainBatches.return(undefined);
      validBatches.return(undefined);
    }

    const valid = config.evaluate
      ? await evaluate(state, set, split.valid, batchSize, config.seed, epoch, ctx.pause)
      : undefined;
    const regLoss = method.regularizers.length
      ? readScalar(tf.tidy(() => archRegularizer(space.archParams, arch, method, epoch)))
      : 0;
    // Checked before the epoch is counted: the last checkpoint and the summary stay the previous epoch's.
    if (valid && !Number.isFinite(valid.loss)) {
      throw ctx.stopped("evaluation loss", valid.loss, `after epoch ${epoch + 1}`);
    }
    if (!Number.isFinite(regLoss)) throw ctx.stopped("regularizer loss", regLoss, `after epoch ${epoch + 1}`);
    checkArch(ctx, epoch, `after epoch ${epoch + 1}`, false);
    const a = archValues(arch);
    const hessian = hessianColumn(epoch + 1); // before the clock: the epoch's time includes it
    const { seconds, elapsed } = ctx.clock();
    const row: MetricsRow = {
      epoch: epoch + 1,
      lr: wOpt.lr,
      trainLoss: mean(sums.train, sums.trainN),
      trainAcc: mean(sums.trainScore, sums.trainN),
      archLoss: mean(sums.arch, sums.archN),
      archAcc: mean(sums.archScore, sums.archN),
      validLoss: valid?.loss ?? null,
      validAcc: valid?.score ?? null,
      regLoss,
      ...hessian,
      ...space.record(a),
      seconds,
      elapsed,
    };
    recordedArch = a;
    return { metrics: [row], alpha: space.alphaRows(epoch + 1, a) };
  };

  try {
    const { history, summary } = await runEpochs<SearchConfig, MetricsRow, SearchSummary>({
      what: "search",
      config,
      out: options.out,
      resume: options.resume,
      stopAfterEpochs: options.stopAfterEpochs,
      log: options.log,
      signal: options.signal,
      nonFiniteAdvice: "Lower the learning rates or the regularization strength.",
      state: {
        tensors: () => checkpointTensors(net, arch, wOpt, aOpt),
        free: freeCheckpointTensors,
        restore: (saved) => restore(saved, net, arch, wOpt, aOpt),
        upgrade(saved) {
          // Checkpoints before named architecture parameters held NB201's α as "alpha".
          if ("alpha" in saved && !("arch/alpha" in saved)) {
            saved["arch/alpha"] = saved.alpha;
            delete saved.alpha;
          }
        },
      },
      tables: historyChecks(space.alphaRows(0, recordedArch).length),
      start: () => ({
        metrics: [{
          epoch: 0,
          lr: null,
          trainLoss: null,
          trainAcc: null,
          archLoss: null,
          archAcc: null,
          validLoss: null,
          validAcc: null,
          regLoss: null,
          ...hessianColumn(0),
          ...space.record(recordedArch),
          seconds: 0,
          elapsed: 0,
        }],
        alpha: space.alphaRows(0, recordedArch),
      }),
      epoch: runEpoch,
      resumed: () => {
        recordedArch = archValues(arch);
      },
      summary: (status, history, progress, message) => {
        const last = history.metrics[history.metrics.length - 1];
        return {
          status,
          ...(message ? { message } : {}),
          method: config.method,
          preset: config.preset,
          seed: config.seed,
          epochsDone: progress.epochsDone,
          epochs: config.epochs,
          cell: last.cell,
          ...space.summary(last, recordedArch),
          seconds: progress.seconds,
          backend: progress.backend,
        };
      },
      onEpoch: options.onEpoch && ((rows) => options.onEpoch!(rows.metrics[0], state)),
    });
    return { config, metrics: history.metrics, alpha: history.alpha, summary };
  } finally {
    wOpt.dispose();
    aOpt.dispose();
    archStore.dispose();
    store.dispose();
  }
}
