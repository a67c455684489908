/**
 * Run folders: `runs/<name>/` holds `config.json`, the history as tidy CSV tables (`metrics.csv`, one
 * row per epoch; `alpha.csv`, one row per epoch × edge × op), `summary.json` and `checkpoint.bin`. Every
 * file is written atomically. A folder belongs to one config: opening it with another config is refused,
 * so nothing is ever overwritten by a different experiment; and to one process at a time (`lock`, see
 * `lock.ts`), which holds it from before config.json is read until the run ends. Opening removes the
 * temporary files a killed writer left.
 * @module
 */
import pl from "../deps/polars.ts";
import { TEMPORARY_FILE, writeFileAtomic } from "./checkpoint.ts";
import { lockRunFolder } from "./lock.ts";
import type { SearchConfig } from "../search/config.ts";
import type { AlphaRow, RecordValue } from "../spaces/space.ts";

/**
 * One row of `metrics.csv`: the record of one epoch. Epoch 0 is the initial architecture, before any
 * step, so its training columns are null. Accuracies are in percent. The loop's columns are below; the
 * space adds its own between `regLoss` and `seconds` (`SpaceRun.record`: `cell` first, then e.g. NB201's
 * benchmark accuracies, skip edges and α statistics, `Nb201Record`).
 */
export interface EpochColumns {
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
  /** The derived architecture (the space's genotype string). */
  cell: string;
  /** Wall-clock seconds of this epoch, and of the run so far. */
  seconds: number;
  elapsed: number;
}

/** A row of `metrics.csv`: the loop's columns and the space's. */
export type MetricsRow = EpochColumns & Record<string, RecordValue>;

/** A column of `metrics.csv` (the loop's, or a space's such as `cifar10`). */
export type MetricColumn = string;
export type { AlphaRow };

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

/** The differences of two JSON values as "path: a in <there>, b asked" (at most `max`, then "…"). */
export function configDifferences(there: unknown, asked: unknown, where: string, max = 3): string {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    const objects = a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) &&
      !Array.isArray(b);
    if (objects) {
      const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
      for (const k of keys) {
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      }
    } else if (canonicalJson(a) !== canonicalJson(b)) {
      const show = (v: unknown) => v === undefined ? "none" : JSON.stringify(v);
      out.push(`${path || "the config"}: ${show(a)} in ${where}, ${show(b)} asked`);
    }
  };
  walk(there, asked, "");
  return out.length > max ? [...out.slice(0, max), `${out.length - max} more`].join("; ") : out.join("; ");
}

/** The files a run folder may hold besides temporary ones. */
const RUN_FILES = ["config.json", "metrics.csv", "alpha.csv", "summary.json", "checkpoint.bin", "lock"];

/**
 * Delete the temporary files (`*.tmp-<pid>`) a killed writer left in `dir`; only safe while holding
 * its lock (nobody else writes there then). Returns their names.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && TEMPORARY_FILE.test(e.name) && RUN_FILES.includes(e.name.replace(TEMPORARY_FILE, ""))) {
      await Deno.remove(`${dir}/${e.name}`).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
      removed.push(e.name);
    }
  }
  return removed;
}

/** A run folder opened for one config, held by this process until `release` or `discard`. */
export interface RunFolder {
  dir: string;
  paths: RunPaths;
  /** config.json was there (and equal to the config): a run to resume or read back. */
  existed: boolean;
  /** Temporary files of a killed writer that the opening removed. */
  staleRemoved: string[];
  /** Write config.json (when it was missing beside a checkpoint of the same config). */
  writeConfig(): Promise<void>;
  /** Let go of the folder; everything in it stays. */
  release(): void;
  /**
   * Undo this opening: delete the run files that were not there when it opened (config.json and any
   * table written since), release, and remove the folder if the opening created it and it is empty.
   * For a start that failed or was interrupted before its first checkpoint: it leaves nothing behind.
   */
  discard(): Promise<void>;
}

/**
 * Open (creating if needed) the run folder `dir` for `config`, and hold it: the lock is taken before
 * config.json is read or written, so two processes never both think a folder is theirs. Throws, with
 * what to do: for an empty name (it would mean the filesystem root), a file, a folder in use (naming
 * the holder), a folder holding another config (naming the fields), and a non-empty folder that holds
 * no run. Removes stale temporary files. Writes config.json when the folder holds neither it nor a
 * checkpoint; with a checkpoint and no config.json, the caller decides (`writeConfig`).
 */
export async function openRunFolder(dir: string, config: unknown): Promise<RunFolder> {
  if (dir.trim() === "") {
    throw new Error(`run folder "${dir}" is empty: name a folder (--out DIR), e.g. runs/my-run`);
  }
  const paths = runPaths(dir);
  let createdFolder = false;
  try {
    if (!(await Deno.stat(dir)).isDirectory) {
      throw new Error(`${dir} is a file, not a folder: choose another --out`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    await Deno.mkdir(dir, { recursive: true });
    createdFolder = true;
  }
  const lock = lockRunFolder(dir);
  const present = new Set<string>();
  const released = () => {
    lock.release();
    if (createdFolder) {
      try {
        Deno.removeSync(dir); // only ever empty here: nothing else was written yet
      } catch { /* someone put a file there: leave it */ }
    }
  };
  try {
    const foreign: string[] = [];
    for await (const e of Deno.readDir(dir)) {
      const name = e.name.replace(TEMPORARY_FILE, "");
      // Whatever is there under a run file's name, a file or not, is not this opening's to delete.
      if (RUN_FILES.includes(name) && name === e.name) present.add(e.name);
      if (!(e.isFile && RUN_FILES.includes(name))) foreign.push(e.name);
    }
    present.delete("lock");
    const wanted = canonicalJson(config);
    let existing: unknown;
    if (present.has("config.json")) {
      try {
        existing = JSON.parse(await Deno.readTextFile(paths.config));
      } catch (e) {
        throw new Error(
          `${paths.config} is unreadable (${(e as Error).message}); move the folder away or fix the file`,
        );
      }
      if (canonicalJson(existing) !== wanted) {
        throw new Error(
          `${dir} holds a run with a different config (${
            configDifferences(existing, config, "config.json")
          }): ` +
            `choose another --out, or delete the folder to start over`,
        );
      }
    } else if (!present.has("checkpoint.bin") && foreign.length) {
      const names = foreign.sort().slice(0, 5).join(", ") + (foreign.length > 5 ? ", …" : "");
      throw new Error(
        `${dir} holds files that are not a run's (${names}): choose an empty or new folder for --out`,
      );
    }
    const staleRemoved = await removeStaleTemporaries(dir);
    const writeConfig = () => writeFileAtomic(paths.config, wanted + "\n");
    if (!present.has("config.json") && !present.has("checkpoint.bin")) await writeConfig();
    return {
      dir,
      paths,
      existed: present.has("config.json"),
      staleRemoved,
      writeConfig,
      release: () => lock.release(),
      async discard() {
        for (const name of RUN_FILES) {
          if (name === "lock" || present.has(name)) continue;
          await Deno.remove(`${dir}/${name}`).catch((e) => {
            if (!(e instanceof Deno.errors.NotFound)) throw e;
          });
        }
        lock.release();
        if (createdFolder) await Deno.remove(dir).catch(() => {}); // refused when not empty: fine
      },
    };
  } catch (e) {
    released();
    throw e;
  }
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
  metrics: readonly object[],
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
