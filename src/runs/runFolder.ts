/**
 * Run folders: `runs/<name>/` holds `config.json`, the history as tidy CSV tables (`metrics.csv`, one
 * row per epoch; `alpha.csv`, one row per epoch × edge × op), `summary.json` and `checkpoint.bin`. Every
 * file is written atomically. A folder belongs to one config: opening it with another config is refused,
 * so nothing is ever overwritten by a different experiment.
 * @module
 */
import pl from "../deps/polars.ts";
import { writeFileAtomic } from "./checkpoint.ts";
import type { SearchConfig } from "../search/config.ts";

/**
 * One row of `metrics.csv`: the record of one epoch. Epoch 0 is the initial α, before any step, so its
 * training columns are null. Accuracies are in percent; NB201 accuracies are named as
 * `Nb201Accuracy` names them.
 */
export interface MetricsRow {
  /** Epochs done (0: the initial α). */
  epoch: number;
  /** The weights' learning rate during the epoch. */
  lr: number | null;
  /** Mean training loss and accuracy of the weight steps. */
  trainLoss: number | null;
  trainAcc: number | null;
  /** Mean loss and accuracy of the α steps (validation batches, before the α update); null in warm-up. */
  archLoss: number | null;
  archAcc: number | null;
  /** The supernet in eval mode on the whole α half after the epoch (null with `evaluate: false`). */
  validLoss: number | null;
  validAcc: number | null;
  /** The regularizers' value on α at the end of the epoch (0 without regularizers). */
  regLoss: number | null;
  /** The derived cell (NB201 string) and its NB201 test accuracies (200 epochs). */
  cell: string;
  cifar10: number;
  cifar100: number;
  imagenet16: number;
  /** Share of all NB201 cells worse than the derived one on CIFAR-10 (%). */
  cifar10Percentile: number;
  /** Edges of the derived cell that are skip_connect / none. */
  skipEdges: number;
  noneEdges: number;
  /** Mean, median and standard deviation of α over every edge and op. */
  alphaMean: number;
  alphaMedian: number;
  alphaStd: number;
  /** The smallest gap between an edge's two largest β, and that edge ("to<-from"). */
  minTop2Gap: number;
  closestEdge: string;
  /** Wall-clock seconds of this epoch, and of the run so far. */
  seconds: number;
  elapsed: number;
}

/** A column of `metrics.csv`. */
export type MetricColumn = keyof MetricsRow;
/** One row of `alpha.csv`: epoch, edge, op, alpha, beta. */
export interface AlphaRow {
  epoch: number;
  edge: string;
  op: string;
  alpha: number;
  beta: number;
}

/** The paths of the files of a run folder. */
export interface RunPaths {
  config: string;
  metrics: string;
  alpha: string;
  summary: string;
  checkpoint: string;
}

/** The files of the run folder `dir`. */
export function runPaths(dir: string): RunPaths {
  return {
    config: `${dir}/config.json`,
    metrics: `${dir}/metrics.csv`,
    alpha: `${dir}/alpha.csv`,
    summary: `${dir}/summary.json`,
    checkpoint: `${dir}/checkpoint.bin`,
  };
}

/** Canonical JSON (sorted keys), so equal configs compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === "object"
      ? Object.fromEntries(
        Object.keys(v as object).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      )
      : v;
  return JSON.stringify(sort(value), null, 2);
}

/**
 * Open (creating if needed) the run folder `dir` for `config`. Returns whether it already held this
 * config (a run to resume or read back). Throws when it holds another config.
 */
export async function openRunFolder(dir: string, config: unknown): Promise<{ existed: boolean }> {
  const paths = runPaths(dir);
  const wanted = canonicalJson(config);
  let existing: string | undefined;
  try {
    existing = canonicalJson(JSON.parse(await Deno.readTextFile(paths.config)));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(
        `${paths.config} is unreadable (${(e as Error).message}); move the folder away or fix the file`,
      );
    }
  }
  if (existing !== undefined && existing !== wanted) {
    throw new Error(
      `${dir} holds a run with a different config: choose another --out, or delete the folder to start over`,
    );
  }
  if (existing === undefined) {
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomic(paths.config, wanted + "\n");
  }
  return { existed: existing !== undefined };
}

/** Columns that hold counts: written as integers (JavaScript numbers would make them floats). */
export const INTEGER_COLUMNS: readonly string[] = ["epoch", "step", "skipEdges", "noneEdges"];

/** `rows` as a frame, count columns as Int64. */
export function historyFrame(rows: readonly object[]): pl.DataFrame {
  const df = pl.DataFrame(rows as Record<string, unknown>[]);
  const ints = df.columns.filter((c) => INTEGER_COLUMNS.includes(c));
  return ints.length ? df.withColumns(...ints.map((c) => pl.col(c).cast(pl.Int64))) : df;
}

/** Rewrite the history tables from the full history (cheap: tens of epochs). */
export async function writeHistory(
  dir: string,
  metrics: readonly Partial<MetricsRow>[],
  alpha: readonly AlphaRow[],
): Promise<void> {
  const paths = runPaths(dir);
  if (metrics.length) await writeFileAtomic(paths.metrics, historyFrame(metrics).writeCSV().toString());
  if (alpha.length) await writeFileAtomic(paths.alpha, historyFrame(alpha).writeCSV().toString());
}

/** Write `summary.json`. */
export async function writeSummary(dir: string, summary: unknown): Promise<void> {
  await writeFileAtomic(runPaths(dir).summary, JSON.stringify(summary, null, 2) + "\n");
}

/** A finished or partial run read back as frames. */
export interface RunTables {
  /**
   * The run's `config.json` as `search` wrote it (read as is: `checkSearchConfig(run.config)` checks it;
   * `deno task search --config <folder>` runs it again).
   */
  config: SearchConfig;
  metrics?: pl.DataFrame;
  alpha?: pl.DataFrame;
  summary?: unknown;
}

/**
 * Read the run folder `dir` back: its config (typed), `metrics.csv` and `alpha.csv` as frames and
 * `summary.json`, each absent when the run has not written it yet.
 */
export async function readRun(dir: string): Promise<RunTables> {
  const paths = runPaths(dir);
  const optional = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  };
  return {
    config: JSON.parse(await Deno.readTextFile(paths.config)) as SearchConfig,
    metrics: await optional(async () => pl.readCSV(await Deno.readTextFile(paths.metrics))),
    alpha: await optional(async () => pl.readCSV(await Deno.readTextFile(paths.alpha))),
    summary: await optional(async () => JSON.parse(await Deno.readTextFile(paths.summary))),
  };
}
