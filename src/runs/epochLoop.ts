/**
 * The epoch machinery of a run folder, for any loop that trains in epochs (the search; the trainer of
 * a derived network next): the folder held for the run, a checkpoint after every epoch (named tensors
 * plus the history so far), resume checked against the config, the checkpoint's fields and every
 * tensor's shape, a stop on NaN or infinity, an abort between steps, and a start that fails or is
 * interrupted before its first checkpoint leaving the folder as it found it.
 *
 * The loop supplies what is its own: its state as named tensors, its history tables and how to check
 * their rows, one epoch of work, and its summary. Nothing here names a space, a model or a task.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import {
  canonicalJson,
  configDifferences,
  openRunFolder,
  type RunFolder,
  runPaths,
  writeHistory,
  writeSummary,
} from "./runFolder.ts";
import type { AlphaRow } from "../spaces/space.ts";

/**
 * A loss or a state tensor became NaN or infinite: the run stopped, its last checkpoint is kept (or,
 * when no epoch had finished, nothing is).
 */
export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

/**
 * The run's `signal` was aborted (the CLI aborts on SIGINT / SIGTERM): the run stopped between two
 * steps; the checkpoint of the last finished epoch is kept and summary.json says "interrupted" (when no
 * epoch had finished in a fresh folder, nothing is kept). Resuming gives what an uninterrupted run gives.
 */
export class RunInterruptedError extends Error {
  override name = "RunInterruptedError";
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
 * at most that plus one step.
 */
const YIELD_EVERY_MS = 500;

/** A row of a history table: `epoch` (epochs done when it was recorded) and the loop's columns. */
export type HistoryRow = { epoch: number } & Record<string, unknown>;

/**
 * The history of a run: `metrics.csv`'s rows (one per epoch, epoch 0 the start) and `alpha.csv`'s (a
 * fixed number per epoch; none for a loop without architecture parameters).
 */
export interface History<M extends HistoryRow = HistoryRow> {
  metrics: M[];
  alpha: AlphaRow[];
}

/** How the rows of a saved history table are checked before a resume trusts them. */
export interface HistoryTableCheck {
  /** Rows per epoch (epoch 0 included). */
  rowsPerEpoch: number;
  /** Whether a saved row has the table's fields (besides `epoch`, which is checked for every table). */
  valid(row: Readonly<Record<string, unknown>>): boolean;
}

/** Where the run stands, for the summary. */
export interface RunProgress {
  epochsDone: number;
  /** Wall-clock seconds of the epochs done. */
  seconds: number;
  /** The backend the run is on now. */
  backend: string;
}

/** What an epoch gets from the machinery. */
export interface EpochContext {
  /**
   * Call between steps: turns the event loop now and then (so that signals and a notebook's messages are
   * handled) and throws {@link RunInterruptedError} when the run's signal is aborted.
   */
  pause(): Promise<void>;
  /**
   * The error that stops the run on a non-finite `value` of `what` (e.g. "training loss") found `where`
   * (e.g. "at epoch 3, step 7"), saying what was kept.
   */
  stopped(what: string, value: number, where: string): NonFiniteLossError;
  /**
   * Stops this epoch's clock and gives its wall-clock seconds and the run's so far (for the epoch's
   * record); the machinery stops it when the epoch returns otherwise.
   */
  clock(): { seconds: number; elapsed: number };
}

/** A loop run by {@link runEpochs}: its config, state, history and one epoch of work. */
export interface EpochLoop<C extends { epochs: number }, M extends HistoryRow, S> {
  /** What runs, for messages: "search", "training". */
  what: string;
  /** The run's config: recorded in the folder and in every checkpoint, and compared on resume. */
  config: C;
  /** Run folder (absent: nothing is written). */
  out?: string;
  /** Continue the run in `out` from its checkpoint (default false: a checkpoint there is refused). */
  resume?: boolean;
  /** Stop after this many of the config's epochs (default: all of them). */
  stopAfterEpochs?: number;
  /** Messages for the user (resuming, backend changes). */
  log?: (message: string) => void;
  /** Stops the run between two steps when aborted; a string `reason` is named in the message. */
  signal?: AbortSignal;
  /** The advice of a stop on NaN or infinity (e.g. "Lower the learning rates."). */
  nonFiniteAdvice: string;
  /**
   * The state as named tensors: `tensors()` gives what a checkpoint saves (variables as they are;
   * `free` disposes what `tensors()` made fresh), `restore` assigns checked saved tensors (same names,
   * shapes and dtypes), `upgrade` renames the tensors of an older checkpoint before they are checked.
   */
  state: {
    tensors(): Record<string, tf.Tensor>;
    free(tensors: Record<string, tf.Tensor>): void;
    restore(saved: Readonly<Record<string, tf.Tensor>>): void;
    upgrade?(saved: Record<string, tf.Tensor>): void;
  };
  /** How saved history rows are checked, per table. */
  tables: Record<keyof History, HistoryTableCheck>;
  /** The history's epoch-0 rows (the state before any step), for a fresh start. */
  start(): History<M>;
  /** Runs epoch `epoch` (0-based) and gives its rows. */
  epoch(epoch: number, ctx: EpochContext): Promise<History<M>>;
  /** Called after a resume restored the state, before the next epoch or the read-back. */
  resumed?(): void;
  /** The summary of the recorded history (summary.json). */
  summary(status: RunStatus, history: History<M>, progress: RunProgress, message?: string): S;
  /** Called after every epoch is recorded (and, with a folder, saved) with its rows. */
  onEpoch?(rows: History<M>): void;
}

/** The status a summary records. */
export type RunStatus = "running" | "finished" | "failed" | "interrupted";

/**
 * What a checkpoint's JSON state holds besides the tensors. Version 2 adds the config, so a checkpoint
 * can be checked against the run it is resumed as (version 1, before it, is still read).
 */
interface CheckpointState<C, M extends HistoryRow> extends History<M> {
  version: 1 | 2;
  config?: C;
  epochsDone: number;
  seconds: number;
  backend: string;
}

/**
 * Run `loop` (or resume it, or read it back when it is finished). With `out`, the folder is held
 * (`openRunFolder`'s lock) from before its config.json is read until this returns or throws, and
 * everything the run produces is written there atomically after every epoch: checkpoint first, then
 * the history tables and the summary. A checkpoint is resumed only if its checksum, its recorded config
 * (config.json is rewritten from it when missing), its state's fields and every tensor's shape fit;
 * each refusal names the file and what to do. On an error the last checkpoint is kept and summary.json
 * says "failed" or "interrupted"; a start with no finished epoch removes what it created (only that),
 * so a corrected command is not refused.
 */
export async function runEpochs<C extends { epochs: number }, M extends HistoryRow, S>(
  loop: EpochLoop<C, M, S>,
): Promise<{ history: History<M>; progress: RunProgress; summary: S }> {
  const { config, out, log = () => {}, signal, what } = loop;
  const backend = tf.getBackend();
  let history: History<M> = { metrics: [], alpha: [] };
  let epochsDone = 0;
  let seconds = 0;
  let folder: RunFolder | undefined;
  /** Epochs in the folder's checkpoint of this run (found on opening or written since); 0: none. */
  let savedEpochs = 0;
  /** The folder is this run's and the loop has started: a failure is recorded in its summary. */
  let running = false;
  const progress = (): RunProgress => ({ epochsDone, seconds, backend });
  const kept = () =>
    out === undefined
      ? "no run folder"
      : savedEpochs > 0
      ? `the checkpoint of epoch ${savedEpochs} in ${out} is kept`
      : "no epoch had finished: nothing was kept";
  const stopped = (name: string, value: number, where: string) =>
    new NonFiniteLossError(
      `the ${name} became ${value} ${where}: the run stopped (${kept()}). ${loop.nonFiniteAdvice}`,
    );
  const interrupted = (epoch: number) => {
    const reason = typeof signal?.reason === "string" ? signal.reason : undefined;
    const at = `the ${what} was interrupted${reason ? ` (${reason})` : ""} in epoch ${
      epoch + 1
    } of ${config.epochs}`;
    return new RunInterruptedError(
      out === undefined
        ? `${at} (no run folder: nothing was kept)`
        : savedEpochs > 0
        ? `${at}: the checkpoint of epoch ${savedEpochs} in ${out} is kept; resume it with resume: true`
        : `${at}, before any epoch had finished: nothing was kept in ${out}`,
      savedEpochs,
      out,
      reason,
    );
  };
  let lastYield = performance.now();
  try {
    let saved: CheckpointState<C, M> | undefined;
    if (out !== undefined) {
      folder = await openRunFolder(out, config);
      const source = folder.paths.checkpoint;
      if (folder.staleRemoved.length) log(`removed ${folder.staleRemoved.join(", ")}, left by a killed run`);
      const c = await loadCheckpoint<unknown>(source);
      if (c) {
        loop.state.upgrade?.(c.tensors);
        const expected = loop.state.tensors();
        try {
          checkState(c, config, folder.existed, loop.tables, source);
          saved = c.state as CheckpointState<C, M>;
          checkTensors(c.tensors, expected, source);
          if (!loop.resume) {
            throw new Error(
              `${out} already holds this run (${c.state.epochsDone} of ${config.epochs} epochs done): ` +
                `pass --resume (resume: true) to continue or read it, or choose another --out`,
            );
          }
          loop.state.restore(c.tensors);
        } finally {
          loop.state.free(expected);
          Object.values(c.tensors).forEach((x) => x.dispose());
        }
        if (!folder.existed) {
          await folder.writeConfig();
          log(
            `${folder.paths.config} was missing: rewritten from checkpoint.bin, which records the same config`,
          );
        }
        savedEpochs = saved!.epochsDone;
      }
    }
    if (saved) {
      history = { metrics: saved.metrics, alpha: saved.alpha };
      ({ epochsDone, seconds } = saved);
      loop.resumed?.();
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
    } else history = loop.start();

    running = true;
    const lastEpoch = Math.min(config.epochs, loop.stopAfterEpochs ?? config.epochs);
    for (let epoch = epochsDone; epoch < lastEpoch; epoch++) {
      const t0 = performance.now();
      let clocked: { seconds: number; elapsed: number } | undefined;
      const clock = () => {
        if (!clocked) {
          const s = (performance.now() - t0) / 1000;
          clocked = { seconds: s, elapsed: seconds + s };
        }
        return clocked;
      };
      const pause = async () => {
        if (performance.now() - lastYield >= YIELD_EVERY_MS) {
          await new Promise((r) => setTimeout(r, 0));
          lastYield = performance.now();
        }
        if (signal?.aborted) throw interrupted(epoch);
      };
      const rows = await loop.epoch(epoch, { pause, stopped, clock });
      seconds = clock().elapsed;
      epochsDone = epoch + 1;
      history.metrics.push(...rows.metrics);
      history.alpha.push(...rows.alpha);
      if (out !== undefined) {
        const state: CheckpointState<C, M> = { version: 2, config, epochsDone, seconds, backend, ...history };
        const tensors = loop.state.tensors();
        try {
          await saveCheckpoint(runPaths(out).checkpoint, { tensors, state });
        } finally {
          loop.state.free(tensors);
        }
        savedEpochs = epochsDone;
        await writeHistory(out, history.metrics, history.alpha);
        await writeSummary(
          out,
          loop.summary(epochsDone < config.epochs ? "running" : "finished", history, progress()),
        );
      }
      loop.onEpoch?.(rows);
    }
    const summary = loop.summary(epochsDone < config.epochs ? "running" : "finished", history, progress());
    if (out !== undefined) {
      await writeHistory(out, history.metrics, history.alpha);
      await writeSummary(out, summary);
    }
    return { history, progress: progress(), summary };
  } catch (e) {
    if (folder && savedEpochs === 0) {
      // Nothing of this start is worth keeping (no epoch finished): it leaves the folder as it found it,
      // so the corrected command is not refused as "a different config".
      await folder.discard().catch(() => {});
    } else if (folder && running) {
      const status = e instanceof RunInterruptedError ? "interrupted" : "failed";
      await writeSummary(out!, loop.summary(status, history, progress(), (e as Error).message))
        .catch(() => {}); // the error in hand is the one to report
    }
    throw e;
  } finally {
    folder?.release();
  }
}

/**
 * Refuse a checkpoint state that is not this run's: another config (version 2 names it), a version-1
 * state with no config.json to vouch for it, or fields that do not add up. Every message names the file.
 */
function checkState<C extends { epochs: number }>(
  c: Checkpoint<unknown>,
  config: C,
  configJsonMatched: boolean,
  tables: Record<keyof History, HistoryTableCheck>,
  source: string,
): asserts c is Checkpoint<CheckpointState<C, HistoryRow>> {
  const s = c.state as Partial<CheckpointState<C, HistoryRow>> | null;
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
  for (const [name, check] of Object.entries(tables) as [keyof History, HistoryTableCheck][]) {
    const rows: unknown = s[name];
    const expected = (done + 1) * check.rowsPerEpoch;
    if (!Array.isArray(rows) || rows.length !== expected) {
      throw bad(
        `${name} has ${
          Array.isArray(rows) ? rows.length : "no"
        } rows for ${done} epochs, ${expected} expected`,
      );
    }
    rows.forEach((row, i) => {
      const ok = row && typeof row === "object" && row.epoch === Math.floor(i / check.rowsPerEpoch) &&
        check.valid(row);
      if (!ok) throw bad(`${name} row ${i} is ${JSON.stringify(row)?.slice(0, 60)}`);
    });
  }
}

/** Refuse saved tensors that do not fit the live state (`expected`): missing, extra, or of another shape. */
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
      const shape = (x: tf.Tensor) =>
        `${x.dtype === t.dtype && x.dtype === got.dtype ? "" : `${x.dtype} `}[${x.shape}]`;
      throw new Error(
        `${source}: tensor "${name}" has shape ${shape(got)}, the model's is ${
          shape(t)
        }: it was written for ` +
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
