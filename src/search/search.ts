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
import { loadNb201, type Nb201Table } from "../benchmarks/nb201.ts";
import {
  initAlpha,
  regularizationLoss,
  type SearchMethod,
  updatesAlpha,
  weightLr,
} from "../methods/method.ts";
import { alphaStats, closestEdge, softmaxRows } from "../metrics/architecture.ts";
import { ParamStore } from "../ops/params.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../runs/checkpoint.ts";
import { alphaAtEpoch } from "../runs/frames.ts";
import {
  type AlphaRow,
  canonicalJson,
  type MetricsRow,
  openRunFolder,
  runPaths,
  writeHistory,
  writeSummary,
} from "../runs/runFolder.ts";
import { deriveNb201, edgeName, genotypeToString, NB201_EDGES } from "../spaces/nb201.ts";
import { createNb201Supernet, nb201Forward, type Nb201Supernet } from "../supernet/nb201.ts";
import { checkSearchConfig, type SearchConfig } from "./config.ts";
import { correctCount, crossEntropy } from "./loss.ts";
import { adam, type Optimizer, sgd } from "./optimizers.ts";
import { firstOrderStep, type FirstOrderStepper, type HalfStepResult } from "./step.ts";

/** A loss became NaN or infinite: the run stopped, its last checkpoint (previous epoch) is kept. */
export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

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
  /** The cell derived from the current α. */
  cell: string;
}

/** The live objects of a search, for callbacks that inspect (or, in tests, tamper with) them. */
export interface SearchState {
  config: SearchConfig;
  method: SearchMethod;
  net: Nb201Supernet;
  alpha: tf.Variable;
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
  /** The NB201 table for the derived cells' accuracies (default `loadNb201()`). */
  table?: Nb201Table;
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
}

/** What a finished search reports (also `summary.json`). */
export interface SearchSummary {
  status: "running" | "finished" | "failed";
  message?: string;
  method: string;
  preset: string;
  seed: number;
  epochsDone: number;
  epochs: number;
  cell: string;
  cifar10: number;
  cifar100: number;
  imagenet16: number;
  /** Percentile of the cell's CIFAR-10 accuracy among all 15,625 cells (100: the best). */
  cifar10Percentile: number;
  cifar10Rank: number;
  skipEdges: number;
  /** Final α, one row per edge. */
  alpha: number[][];
  ops: string[];
  edges: string[];
  seconds: number;
  backend: string;
}

/** A search's outcome: its config, its history as tidy rows, its summary. */
export interface SearchResult {
  config: SearchConfig;
  /** One row per epoch (epoch 0: the initial α). */
  metrics: MetricsRow[];
  /** One row per epoch × edge × op. */
  alpha: AlphaRow[];
  summary: SearchSummary;
}

/** What a checkpoint's JSON state holds besides the tensors. */
interface CheckpointState {
  version: 1;
  epochsDone: number;
  seconds: number;
  backend: string;
  metrics: MetricsRow[];
  alpha: AlphaRow[];
}

const mean = (sum: number, n: number) => (n > 0 ? sum / n : null);

function finite(what: string, r: HalfStepResult, epoch: number, step: number, last: number, out?: string) {
  if (Number.isFinite(r.loss)) return;
  const kept = out
    ? last > 0
      ? `the checkpoint of epoch ${last} in ${out} is kept`
      : "no epoch had finished, so no checkpoint"
    : "no run folder";
  throw new NonFiniteLossError(
    `the ${what} loss became ${r.loss} at epoch ${epoch + 1}, step ${step + 1}: the run stopped (${kept}). ` +
      `Lower the learning rates or the regularization strength.`,
  );
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

/** α of the state as plain rows. */
function alphaRows(alpha: tf.Variable): number[][] {
  return alpha.arraySync() as number[][];
}

/** The per-epoch architecture record: derived cell, its NB201 accuracies, α and β statistics. */
function architectureRecord(alpha: number[][], ops: readonly string[], table: Nb201Table) {
  const beta = softmaxRows(alpha);
  const cell = deriveNb201(alpha, ops);
  const acc = table.accuracy(cell);
  const stats = alphaStats(alpha);
  const closest = closestEdge(beta);
  return {
    beta,
    record: {
      cell: genotypeToString(cell),
      cifar10: acc.cifar10,
      cifar100: acc.cifar100,
      imagenet16: acc.imagenet16,
      cifar10Percentile: table.percentile(cell),
      skipEdges: cell.filter((op) => op === "skip_connect").length,
      noneEdges: cell.filter((op) => op === "none").length,
      alphaMean: stats.mean,
      alphaMedian: stats.median,
      alphaStd: stats.std,
      minTop2Gap: closest.gap,
      closestEdge: edgeName(NB201_EDGES[closest.edge]),
    },
  };
}

function alphaTable(epoch: number, alpha: number[][], beta: number[][], ops: readonly string[]): AlphaRow[] {
  return alpha.flatMap((row, e) =>
    row.map((a, o) => ({ epoch, edge: edgeName(NB201_EDGES[e]), op: ops[o], alpha: a, beta: beta[e][o] }))
  );
}

/** Mean loss and accuracy (%) of the supernet in eval mode over `indices`. */
function evaluate(
  net: Nb201Supernet,
  method: SearchMethod,
  alpha: tf.Variable,
  set: ImageSet,
  indices: Int32Array,
  batchSize: number,
  seed: number,
  epoch: number,
): { loss: number; acc: number } {
  let loss = 0, correct = 0, n = 0, step = 0;
  for (const b of batches({ ...set, indices, batchSize, shuffle: false, dropLast: false })) {
    const result = tf.tidy(() => {
      const w = method.sampler.weights(alpha as tf.Tensor2D, { epoch, step: step++, seed, training: false });
      const z = nb201Forward(net, b.x, w, "eval");
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
  return { loss: loss / n, acc: (100 * correct) / n };
}

function checkpointTensors(net: Nb201Supernet, alpha: tf.Variable, wOpt: Optimizer, aOpt: Optimizer) {
  const tensors: Record<string, tf.Tensor> = { alpha };
  for (const [name, v] of net.store.entries()) tensors[`w/${name}`] = v;
  for (const [name, t] of Object.entries(wOpt.state())) tensors[`wopt/${name}`] = t;
  for (const [name, t] of Object.entries(aOpt.state())) tensors[`aopt/${name}`] = t;
  return tensors;
}

function restore(
  c: Checkpoint<CheckpointState>,
  net: Nb201Supernet,
  alpha: tf.Variable,
  wOpt: Optimizer,
  aOpt: Optimizer,
  source: string,
) {
  const t = c.tensors;
  const take = (name: string) => {
    if (!t[name]) throw new Error(`${source} lacks "${name}": it was written by another version or config`);
    return t[name];
  };
  alpha.assign(take("alpha"));
  for (const [name, v] of net.store.entries()) v.assign(take(`w/${name}`));
  const sub = (prefix: string) =>
    Object.fromEntries(
      Object.entries(t).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
    );
  wOpt.load(sub("wopt/"));
  aOpt.load(sub("aopt/"));
  Object.values(t).forEach((x) => x.dispose());
}

/**
 * Run (or resume, or read back) the search `config` describes. With `out`, everything the run
 * produces is in that folder, written atomically after every epoch.
 */
export async function search(config: SearchConfig, options: SearchOptions = {}): Promise<SearchResult> {
  const method = checkSearchConfig(config);
  const stop = options.stopAfterEpochs;
  if (stop !== undefined && !(Number.isInteger(stop) && stop >= 1)) {
    throw new Error(`stopAfterEpochs must be an integer ≥ 1, got ${stop}`);
  }
  const { out, log = () => {} } = options;
  const table = options.table ?? loadNb201();
  const backend = tf.getBackend();

  // Data first: a missing or damaged file fails before the run folder is created.
  const set = options.data ?? await loadSearchData(config.data);
  let saved: Checkpoint<CheckpointState> | undefined;
  if (out !== undefined) {
    await openRunFolder(out, config);
    saved = await loadCheckpoint<CheckpointState>(runPaths(out).checkpoint);
    if (saved && !options.resume) {
      Object.values(saved.tensors).forEach((x) => x.dispose());
      throw new Error(
        `${out} already holds this run (${saved.state.epochsDone} of ${config.epochs} epochs done): ` +
          `pass --resume (resume: true) to continue or read it, or choose another --out`,
      );
    }
  }

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
  const net = createNb201Supernet(store, {
    ...config.model,
    numClasses: classCount(set.labels),
    inputChannels: set.channels,
  });
  const ops = net.options.ops;
  const alpha = initAlpha(new ParamStore(config.seed), method, ops);
  const w = method.weightOptimizer;
  const wOpt = sgd(store.trainable, {
    lr: w.lr,
    momentum: w.momentum,
    weightDecay: w.weightDecay,
    nesterov: w.nesterov,
  });
  const aOpt = adam([alpha], { ...method.archOptimizer });
  const state: SearchState = { config, method, net, alpha };

  let metrics: MetricsRow[] = [];
  let alphaHistory: AlphaRow[] = [];
  let epochsDone = 0;
  let seconds = 0;
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
      cell: last.cell as string,
      cifar10: last.cifar10 as number,
      cifar100: last.cifar100 as number,
      imagenet16: last.imagenet16 as number,
      cifar10Percentile: last.cifar10Percentile as number,
      cifar10Rank: table.rank(last.cell as string),
      skipEdges: last.skipEdges as number,
      alpha: alphaAtEpoch(alphaHistory, epochsDone, ops),
      ops: [...ops],
      edges: NB201_EDGES.map(edgeName),
      seconds,
      backend,
    };
  };
  try {
    if (saved) {
      restore(saved, net, alpha, wOpt, aOpt, runPaths(out!).checkpoint);
      ({ metrics, alpha: alphaHistory, epochsDone, seconds } = saved.state);
      if (saved.state.backend !== backend) {
        log(
          `note: the run was started on ${saved.state.backend}, it continues on ${backend}; ` +
            `the result can differ from an uninterrupted run in the last bits`,
        );
      }
      log(
        epochsDone < config.epochs
          ? `resuming ${out} after epoch ${epochsDone} of ${config.epochs}`
          : `${out} is finished (${epochsDone} epochs): reading it back`,
      );
    } else {
      const a = alphaRows(alpha);
      const { beta, record } = architectureRecord(a, ops, table);
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
        ...record,
        seconds: 0,
        elapsed: 0,
      });
      alphaHistory = alphaTable(0, a, beta, ops);
    }

    const lastEpoch = Math.min(config.epochs, options.stopAfterEpochs ?? config.epochs);
    for (let epoch = epochsDone; epoch < lastEpoch; epoch++) {
      const t0 = performance.now();
      wOpt.lr = weightLr(method, epoch, config.epochs);
      const searchArch = updatesAlpha(method, epoch);
      let step = 0;
      const stepper: FirstOrderStepper = {
        logits: (x, pass) =>
          nb201Forward(
            net,
            x,
            method.sampler.weights(alpha as tf.Tensor2D, {
              epoch,
              step,
              seed: config.seed,
              training: true,
              draw: pass === "alpha" ? 0 : 1,
            }),
            "train",
          ),
        arch: {
          vars: [alpha],
          optimizer: aOpt,
          regularizer: method.regularizers.length
            ? () => regularizationLoss(method, alpha as tf.Tensor2D, epoch)
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
        const train = trainBatches.next().value!;
        const valid = validBatches.next().value!;
        try {
          const r = firstOrderStep(stepper, train, valid, searchArch);
          if (r.arch) {
            finite("α (validation)", r.arch, epoch, step, epochsDone, out);
            sums.arch += r.arch.loss * r.arch.count;
            sums.archOk += r.arch.correct;
            sums.archN += r.arch.count;
          }
          finite("training", r.weights, epoch, step, epochsDone, out);
          sums.train += r.weights.loss * r.weights.count;
          sums.trainOk += r.weights.correct;
          sums.trainN += r.weights.count;
        } finally {
          for (const b of [train, valid]) {
            b.x.dispose();
            b.y.dispose();
          }
        }
        if (options.onProgress) {
          options.onProgress({
            epoch,
            epochs: config.epochs,
            step: step + 1,
            steps,
            trainLoss: sums.train / sums.trainN,
            cell: genotypeToString(deriveNb201(alphaRows(alpha), ops)),
          }, state);
        }
      }
      trainBatches.return(undefined);
      validBatches.return(undefined);

      const valid = config.evaluate
        ? evaluate(net, method, alpha, set, split.valid, batchSize, config.seed, epoch)
        : undefined;
      const regLoss = method.regularizers.length
        ? readScalar(tf.tidy(() => regularizationLoss(method, alpha as tf.Tensor2D, epoch)))
        : 0;
      const a = alphaRows(alpha);
      const { beta, record } = architectureRecord(a, ops, table);
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
        ...record,
        seconds: epochSeconds,
        elapsed: seconds,
      };
      if (valid && !Number.isFinite(valid.loss)) {
        throw new NonFiniteLossError(
          `the evaluation loss became ${valid.loss} after epoch ${epochsDone}: the run stopped` +
            (out ? ` (the checkpoint of epoch ${epochsDone - 1} in ${out} is kept)` : ""),
        );
      }
      metrics.push(row);
      alphaHistory.push(...alphaTable(epochsDone, a, beta, ops));
      if (out !== undefined) {
        const ckpt: CheckpointState = {
          version: 1,
          epochsDone,
          seconds,
          backend,
          metrics,
          alpha: alphaHistory,
        };
        const tensors = checkpointTensors(net, alpha, wOpt, aOpt);
        await saveCheckpoint(runPaths(out).checkpoint, { tensors, state: ckpt });
        // Optimizer state() makes fresh scalars; variables are not ours to free.
        for (const [k, t] of Object.entries(tensors)) {
          if (k.includes("opt/") && !(t instanceof tf.Variable)) t.dispose();
        }
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
    if (out !== undefined && e instanceof NonFiniteLossError && metrics.length) {
      await writeSummary(out, summaryOf("failed", e.message));
    }
    throw e;
  } finally {
    wOpt.dispose();
    aOpt.dispose();
    alpha.dispose();
    store.dispose();
  }
}
