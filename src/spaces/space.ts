/**
 * What a search space is, for the loop that searches it: its architecture parameters by name, its
 * supernet, its derive rule and genotype strings, the columns it adds to each epoch's record and to the
 * summary, and an optional benchmark. The search loop, the run folders and the frames only ever see
 * this interface (NASLib's contract: the loop never names a space), so a new space is one new module
 * registered in `spaces/mod.ts`.
 * @module
 */
import type * as tf from "../deps/tfjs_core.ts";
import type { Mode, ParamStore } from "../ops/params.ts";
import { softmaxRows } from "../metrics/architecture.ts";
import type { DataConfig } from "../search/config.ts";
import type { SamplerContext } from "../samplers/sampler.ts";
import type { Task } from "../tasks/task.ts";

/**
 * One architecture parameter: a matrix with one row per edge.
 * - `role: "ops"`: each row scores the ops of one edge (α); the method's sampler turns it into op
 *   weights and the method's regularizers act on it (the SA term, Beta's decay).
 * - `role: "edges"`: one score per edge (rows = edges, one column) that the supernet normalizes itself
 *   (PC-DARTS' edge β, softmax over each node's incoming edges); neither sampled nor regularized.
 */
export interface ArchParamSpec {
  /** Name, unique in the space; also the name of its tensor in checkpoints (`arch/<name>`). */
  readonly name: string;
  readonly role: "ops" | "edges";
  /** Row labels (edges, e.g. `2<-1`); the matrix has `rows.length` rows. */
  readonly rows: readonly string[];
  /**
   * Column labels per row (the ops of each edge, in column order): rows may name different ops (S1)
   * but have the same count.
   */
  readonly columns: readonly (readonly string[])[];
}

/** The data a supernet is built for. */
export interface SupernetInput {
  /** Classes of the task (the logits' width). */
  numClasses: number;
  /** Channels of an input image. */
  inputChannels: number;
}

/** A supernet: its weights, and its output for a batch given every architecture parameter's weights. */
export interface Supernet {
  /** The weights (trained by the weight step; checkpointed as `w/<name>`). */
  readonly store: ParamStore;
  /**
   * The output for the NHWC batch `x`, what the space's task scores (classification: logits [batch,
   * classes]). `weights` holds, per architecture parameter name, the sampled op weights (`role: "ops"`)
   * or the raw parameter (`role: "edges"`). Called inside the caller's tidy.
   */
  forward(
    x: tf.Tensor4D,
    weights: Readonly<Record<string, tf.Tensor2D>>,
    mode: Mode,
    ctx?: SamplerContext,
  ): tf.Tensor;
}

/** Architecture parameters' values by name, as plain rows. */
export type ArchValues = Readonly<Record<string, readonly (readonly number[])[]>>;

/** A column value of an epoch's record. */
export type RecordValue = string | number | null;

/** One row of `alpha.csv`: an architecture parameter's entry at an epoch, and its softmax. */
export interface AlphaRow {
  epoch: number;
  /** The parameter's name, when the space has more than one (NB201's single α has none). */
  param?: string;
  edge: string;
  op: string;
  alpha: number;
  beta: number;
}

/**
 * A space bound to the run that searches it (its benchmark loaded, its model options resolved): what
 * the loop asks of it every epoch.
 */
export interface SpaceRun {
  /** The benchmark the run looks derived cells up in (NB201: its table), to share with another run. */
  readonly benchmark?: unknown;
  /** The architecture parameters, in the order they are created and checkpointed. */
  readonly archParams: readonly ArchParamSpec[];
  /** What the supernet's output is scored by: the loss both halves of a step minimize, the records' score. */
  readonly task: Task;
  /** Build the supernet's weights in `store`. */
  createSupernet(store: ParamStore, input: SupernetInput): Supernet;
  /** The derived architecture of `arch` as the space's genotype string. */
  derive(arch: ArchValues): string;
  /**
   * The space's columns of an epoch's record for `arch`, in column order; the first is `cell`, the
   * derived genotype string (e.g. NB201: the cell, its benchmark accuracies, skip edges, α statistics).
   */
  record(arch: ArchValues): { cell: string } & Record<string, RecordValue>;
  /** The rows of `alpha.csv` for `arch` at `epoch`. */
  alphaRows(epoch: number, arch: ArchValues): AlphaRow[];
  /** The space's fields of summary.json, from the last record and `arch` (e.g. NB201: accuracies, rank, α). */
  summary(last: Readonly<Record<string, unknown>>, arch: ArchValues): Record<string, unknown>;
  /**
   * A few words on a derived cell for progress displays, e.g. "NB201 CIFAR-10 93.76%"; undefined when
   * there is nothing to add.
   */
  describe(cell: string): string | undefined;
  /**
   * The space's figures of an epoch for a one-line report, most important first (NB201: the derived
   * cell's benchmark accuracy, its skip edges).
   */
  epochHighlights(row: Readonly<Record<string, unknown>>): string[];
  /** Lines on a finished run's summary for the command line, after "derived cell: …". */
  report(summary: Readonly<Record<string, unknown>>): string[];
}

/** A preset of a space: what it fixes of a config (method and seed are chosen separately). */
export interface SpacePreset<ModelOptions = Readonly<Record<string, unknown>>> {
  /** One line for `--help`: what the preset runs, and how long it takes. */
  description: string;
  epochs: number;
  model: ModelOptions;
  data: DataConfig;
  /** Evaluate the supernet in eval mode on the whole α half after every epoch. */
  evaluate: boolean;
}

/** A check of one config value that throws an error naming the field (`name`). */
export type ValueCheck = (name: string, value: unknown) => void;

/** A search space: a name, its presets and model options, and a run of it per config. */
export interface SearchSpace<ModelOptions = Readonly<Record<string, unknown>>> {
  /** The name configs and the CLI use (`--space`). */
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** The presets `smoke`, `cpu` and `paper` (`SCALES`), and any others. */
  readonly presets: Readonly<Record<string, Readonly<SpacePreset<ModelOptions>>>>;
  /** The model option that counts cells (the CLI's `--cells`): NB201 `cellsPerStage`, DARTS `layers`. */
  readonly cellsOption: string;
  /**
   * The numeric columns of its epoch records that compare runs, most important first: what a sweep's
   * table shows per group, as mean ± std (NB201: the derived cell's benchmark accuracies, its skip
   * edges, the smallest top-2 β gap).
   */
  readonly comparisonColumns: readonly string[];
  /** The type check of each model option (`config.model`), by field. */
  readonly modelChecks: Readonly<Record<string, ValueCheck>>;
  /** Every op an edge of the space can hold (for config checks, e.g. `alphaInit.bias`). */
  readonly ops: readonly string[];
  /**
   * Refuse, with a message naming the option, what the space cannot take: model options, or a PC-DARTS
   * K (`partialChannels`) it does not support or that does not divide its channels. `open` checks too.
   */
  check(o: { model: ModelOptions; partialChannels?: number }): void;
  /**
   * Bind the space to a run: `model` is the config's model options (the space checks them), `benchmark`
   * a preloaded lookup table (e.g. NB201's; default: the space loads its own, if it has one),
   * `partialChannels` the method's PC-DARTS K.
   */
  open(o: { model: ModelOptions; benchmark?: unknown; partialChannels?: number }): SpaceRun;
}

/**
 * The `alpha.csv` rows of `arch` at `epoch`, parameters in `specs` order; rows carry `param` when there
 * are several parameters. β is the softmax of each row unless `betaOf` says otherwise (e.g. PC-DARTS'
 * edge scores, normalized over each node's incoming edges).
 */
export function archTable(
  epoch: number,
  specs: readonly ArchParamSpec[],
  arch: ArchValues,
  betaOf: (spec: ArchParamSpec, values: readonly (readonly number[])[]) => number[][] = (_, v) =>
    softmaxRows(v),
): AlphaRow[] {
  const named = specs.length > 1;
  return specs.flatMap((spec) => {
    const values = arch[spec.name];
    const beta = betaOf(spec, values);
    return values.flatMap((row, e) =>
      row.map((alpha, o) => ({
        epoch,
        ...(named ? { param: spec.name } : {}),
        edge: spec.rows[e],
        op: spec.columns[e][o],
        alpha,
        beta: beta[e][o],
      }))
    );
  });
}
