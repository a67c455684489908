/**
 * Training a genotype's evaluation network from scratch (DARTS' `cnn/train.py`): SGD with momentum and
 * weight decay, the learning rate cosine-annealed per epoch to `minLr`, gradients clipped to a global
 * norm, drop path ramped linearly over the epochs, the auxiliary loss weighted in, and the test set
 * scored after every epoch. The run folder, checkpoints, bit-exact resume, NaN stop and abort are
 * ../runs/epochLoop.ts' (the search's machinery): the same folder layout as a search's.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { batches, DARTS_NORMALIZATION, mixSeed, stepsPerEpoch } from "../data/pipeline.ts";
import { createDartsNetwork, type DartsNetwork, dartsNetwork, dartsNetworkSize } from "../networks/darts.ts";
import { ParamStore } from "../ops/params.ts";
import {
  type History,
  type HistoryRow,
  runEpochs,
  type RunProgress,
  type RunStatus,
} from "../runs/epochLoop.ts";
import { type Optimizer, sgd } from "../search/optimizers.ts";
import { parseDartsGenotype } from "../spaces/darts.ts";
import { correctCount, crossEntropy } from "../tasks/classification.ts";
import { checkTrainConfig, type TrainConfig } from "./config.ts";
import { loadTrainData, type TrainData } from "./trainData.ts";

export { NonFiniteLossError, RunInterruptedError } from "../runs/epochLoop.ts";

/** One row of a training run's `metrics.csv` (epoch 0: the initial network on the test set). */
export interface TrainRow extends HistoryRow {
  /** Epochs done. */
  epoch: number;
  /** The epoch's learning rate and drop-path probability (null at epoch 0). */
  lr: number | null;
  dropPathProb: number | null;
  /** Mean loss (with the auxiliary term) and top-1 accuracy (%) of the epoch's training steps. */
  trainLoss: number | null;
  trainAcc: number | null;
  /** The network in eval mode on the test set after the epoch (null at epoch 0). */
  testLoss: number | null;
  testAcc: number | null;
  /** Wall-clock seconds of the epoch, and of the run so far. */
  seconds: number;
  elapsed: number;
}

/** Where a training run is, after every step. */
export interface TrainProgress {
  /** 0-based epoch, and the total. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch, and per epoch. */
  step: number;
  steps: number;
  /** Mean training loss of this epoch so far. */
  trainLoss: number;
}

/** What a training run reports (also `summary.json`). */
export interface TrainSummary {
  status: RunStatus;
  genotype: string;
  genotypeSource: string;
  dataset: string;
  preset: string;
  seed: number;
  epochsDone: number;
  epochs: number;
  /** The last epoch's test accuracy (%) and loss; the best test accuracy of any epoch. */
  testAcc: number | null;
  testLoss: number | null;
  bestTestAcc: number | null;
  /** Parameters outside the auxiliary head, and multiply-adds per image at the data's size. */
  parameters: number;
  multiplyAdds: number;
  seconds: number;
  backend: string;
  message?: string;
}

/** A training run's result. */
export interface TrainResult {
  config: TrainConfig;
  summary: TrainSummary;
  metrics: TrainRow[];
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Run folder (config, metrics.csv, summary.json, checkpoint.bin); absent: nothing is written. */
  out?: string;
  /** Continue the run in `out` from its checkpoint (a finished run is read back). */
  resume?: boolean;
  /** Images already loaded (default `loadTrainData(config)`). */
  data?: TrainData;
  /** Stop after this many epochs of the config (default all). */
  stopAfterEpochs?: number;
  /** Called after every step. */
  onProgress?: (p: TrainProgress) => void;
  /** Called after every epoch with its row. */
  onEpoch?: (row: TrainRow) => void;
  /** Messages (resuming, backend changes). */
  log?: (message: string) => void;
  /** Stops the run between two steps. */
  signal?: AbortSignal;
}

/** Purposes of the seeds mixed with (seed, epoch, step): drop-path masks, and noise ops (S4) in training and test passes. */
const DROP_PATH = 0x64726f70;
const NOISE = 0x6e6f6973;
const TEST_NOISE = 0x74657374;

/** The epoch's learning rate: torch's CosineAnnealingLR(T_max = epochs, eta_min = minLr), stepped per epoch. */
export function trainLr(config: TrainConfig, epoch: number): number {
  const { lr, minLr } = config.optimizer;
  return minLr + (lr - minLr) * (1 + Math.cos((Math.PI * epoch) / config.epochs)) / 2;
}

/** The epoch's drop-path probability: dropPathProb · epoch / epochs (train.py). */
export function trainDropPath(config: TrainConfig, epoch: number): number {
  return (config.model.dropPathProb * epoch) / config.epochs;
}

/** The network a config trains, in `store`. */
export function buildTrainNetwork(config: TrainConfig, store: ParamStore): DartsNetwork {
  return createDartsNetwork(store, parseDartsGenotype(config.genotype), {
    channels: config.model.channels,
    layers: config.model.layers,
    numClasses: config.dataset === "cifar100" ? 100 : 10,
    auxiliary: config.model.auxiliary,
    recompute: config.model.recompute,
  });
}

/** The training loss of one batch: CE(logits) + auxiliaryWeight · CE(auxiliary logits). */
export function trainLoss(
  net: DartsNetwork,
  config: TrainConfig,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  dropPath: { prob: number; seed: number },
  noiseSeed?: number,
): { loss: tf.Scalar; logits: tf.Tensor2D } {
  const out = dartsNetwork(net, x, { mode: "train", dropPath, noiseSeed });
  const main = crossEntropy(out.logits, y);
  const loss = out.auxLogits && config.model.auxiliaryWeight > 0
    ? tf.add(main, tf.mul(crossEntropy(out.auxLogits, y), config.model.auxiliaryWeight)) as tf.Scalar
    : main;
  return { loss, logits: out.logits };
}

function readScalar(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/**
 * Train `config`'s network (or resume it, or read it back when finished). Deterministic: the seed fixes
 * the initial weights, the batches, the augmentation and the drop-path masks, so a resumed run equals an
 * uninterrupted one bit for bit on one backend.
 * @example
 * ```ts
 * import { selectBackend } from "../backend/select.ts";
 * import { DARTS_GENOTYPES } from "../spaces/darts.ts";
 * import { trainConfig } from "./config.ts";
 * import { train } from "./train.ts";
 * await selectBackend("wasm"); // with sadarts' training kernels (dilated depthwise gradients among them)
 * const config = trainConfig({ genotype: DARTS_GENOTYPES.DARTS_V2, preset: "smoke", epochs: 1, data: { limit: 32, testLimit: 32 } });
 * const { summary, metrics } = await train(config);
 * console.assert(summary.status === "finished" && metrics.length === 2 && summary.testAcc! >= 0);
 * ```
 */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  checkTrainConfig(config);
  const data = options.data ?? await loadTrainData(config);
  const { train: trainSet, test } = data;
  const store = new ParamStore(config.seed);
  const net = buildTrainNetwork(config, store);
  const size = dartsNetworkSize(net, trainSet.height, trainSet.width);
  const vars = store.trainable;
  const opt: Optimizer = sgd(vars, {
    lr: config.optimizer.lr,
    momentum: config.optimizer.momentum,
    weightDecay: config.optimizer.weightDecay,
  });
  const { batchSize, pad, cutout } = config.data;
  // DARTS' loader keeps the last, smaller batch of an epoch.
  const steps = stepsPerEpoch(trainSet.count, batchSize, false);
  const augment = { pad, flip: true, cutout };

  const evaluate = async (epoch: number, pause: () => Promise<void>) => {
    let loss = 0, correct = 0;
    for (
      const b of batches({
        ...test,
        batchSize,
        shuffle: false,
        dropLast: false,
        normalize: DARTS_NORMALIZATION,
      })
    ) {
      try {
        const [l, c] = tf.tidy(() => {
          const noiseSeed = mixSeed(config.seed, epoch, b.step, TEST_NOISE);
          const logits = dartsNetwork(net, b.x, { mode: "eval", noiseSeed }).logits;
          return [tf.mul(crossEntropy(logits, b.y), b.y.shape[0]), correctCount(logits, b.y)];
        });
        loss += readScalar(l);
        correct += readScalar(c);
      } finally {
        tf.dispose([b.x, b.y]);
      }
      await pause();
    }
    return { testLoss: loss / test.count, testAcc: (100 * correct) / test.count };
  };

  const summary = (
    status: RunStatus,
    history: History<TrainRow>,
    progress: RunProgress,
    message?: string,
  ): TrainSummary => {
    const rows = history.metrics.filter((r) => r.epoch > 0);
    const last = rows.at(-1);
    return {
      status,
      genotype: config.genotype,
      genotypeSource: config.genotypeSource,
      dataset: config.dataset,
      preset: config.preset,
      seed: config.seed,
      epochsDone: progress.epochsDone,
      epochs: config.epochs,
      testAcc: last?.testAcc ?? null,
      testLoss: last?.testLoss ?? null,
      bestTestAcc: rows.length ? Math.max(...rows.map((r) => r.testAcc!)) : null,
      parameters: size.parameters,
      multiplyAdds: size.multiplyAdds,
      seconds: progress.seconds,
      backend: progress.backend,
      ...(message ? { message } : {}),
    };
  };

  // Epoch 0 records the start: nothing trained or scored yet.
  const initial: TrainRow = {
    epoch: 0,
    lr: null,
    dropPathProb: null,
    trainLoss: null,
    trainAcc: null,
    testLoss: null,
    testAcc: null,
    seconds: 0,
    elapsed: 0,
  };
  try {
    const { history, summary: s } = await runEpochs<TrainConfig, TrainRow, TrainSummary>({
      what: "training",
      config,
      out: options.out,
      resume: options.resume,
      stopAfterEpochs: options.stopAfterEpochs,
      log: options.log,
      signal: options.signal,
      nonFiniteAdvice: "Lower optimizer.lr, or check the data.",
      state: {
        tensors: () => ({
          ...Object.fromEntries(store.entries().map(([n, v]) => [`w/${n}`, v])),
          ...Object.fromEntries(Object.entries(opt.state()).map(([n, t]) => [`opt/${n}`, t])),
        }),
        // The momentum buffers are the optimizer's variables; its `started` flag is a fresh scalar.
        free: (tensors) => {
          for (const [k, t] of Object.entries(tensors)) {
            if (k.startsWith("opt/") && !(t instanceof tf.Variable)) t.dispose();
          }
        },
        restore: (saved) => {
          for (const [n, v] of store.entries()) v.assign(saved[`w/${n}`]);
          opt.load(
            Object.fromEntries(
              Object.entries(saved).filter(([k]) => k.startsWith("opt/")).map(([k, t]) => [k.slice(4), t]),
            ),
          );
        },
      },
      tables: {
        metrics: { rowsPerEpoch: 1, valid: (r) => "testAcc" in r && "trainLoss" in r },
        alpha: { rowsPerEpoch: 0, valid: () => true },
      },
      start: () => ({ metrics: [{ ...initial }], alpha: [] }),
      epoch: async (epoch, ctx) => {
        opt.lr = trainLr(config, epoch);
        const prob = trainDropPath(config, epoch);
        let lossSum = 0, correct = 0, seen = 0;
        const where = (step: number) => `at epoch ${epoch + 1}, step ${step + 1}`;
        for (
          const b of batches({
            ...trainSet,
            batchSize,
            seed: config.seed,
            epoch,
            augment,
            normalize: DARTS_NORMALIZATION,
            dropLast: false,
          })
        ) {
          try {
            const dropPath = { prob, seed: mixSeed(config.seed, epoch, b.step, DROP_PATH) };
            const noiseSeed = mixSeed(config.seed, epoch, b.step, NOISE);
            const [l, c] = tf.tidy(() => {
              let logits: tf.Tensor2D | undefined;
              const { value, grads } = tf.variableGrads(() => {
                const r = trainLoss(net, config, b.x, b.y, dropPath, noiseSeed);
                logits = tf.keep(r.logits);
                return r.loss;
              }, vars);
              // A variable the loss does not read (an op a genotype's concat leaves out, a preprocessing only noise
              // ops read, the auxiliary head at weight 0) has no gradient: zeros, which change no output.
              opt.step(vars.map((v) => grads[v.name] ?? tf.zerosLike(v)), {
                maxGradNorm: config.optimizer.gradClip,
              });
              // tf.keep let the logits out of variableGrads' scope, and out of this tidy's too.
              const c = correctCount(logits!, b.y);
              logits!.dispose();
              return [value, c];
            });
            const loss = readScalar(l);
            if (!Number.isFinite(loss)) throw ctx.stopped("training loss", loss, where(b.step));
            lossSum += loss * b.y.shape[0];
            correct += readScalar(c);
            seen += b.y.shape[0];
          } finally {
            tf.dispose([b.x, b.y]);
          }
          options.onProgress?.({
            epoch,
            epochs: config.epochs,
            step: b.step + 1,
            steps,
            trainLoss: lossSum / seen,
          });
          await ctx.pause();
        }
        const scored = await evaluate(epoch, ctx.pause);
        if (!Number.isFinite(scored.testLoss)) {
          throw ctx.stopped("test loss", scored.testLoss, `after epoch ${epoch + 1}`);
        }
        const { seconds, elapsed } = ctx.clock();
        return {
          metrics: [{
            epoch: epoch + 1,
            lr: opt.lr,
            dropPathProb: prob,
            trainLoss: lossSum / seen,
            trainAcc: (100 * correct) / seen,
            ...scored,
            seconds,
            elapsed,
          }],
          alpha: [],
        };
      },
      summary,
      onEpoch: (rows) => options.onEpoch?.(rows.metrics[0]),
    });
    return { config, summary: s, metrics: history.metrics };
  } finally {
    opt.dispose();
    store.dispose();
  }
}
