/**
 * `sweep(grid)`: expand a grid, run it on an executor (default: this machine's processes), show progress,
 * and return every run's outcome with the comparison table.
 * @module
 */
import type pl from "../deps/polars.ts";
import type { SearchResult } from "../search/search.ts";
import { expandGrid, type SweepGrid, type SweepRun } from "./grid.ts";
import {
  localExecutor,
  type LocalExecutorOptions,
  type SweepEvent,
  type SweepExecutor,
  type SweepOutcome,
} from "./local.ts";
import { jupyterDisplay, SweepBoard, terminalDisplay } from "./progress.ts";
import { sweepTable } from "./table.ts";

/** Options of {@link sweep}: the local executor's, or another executor, and how to show progress. */
export interface SweepOptions extends LocalExecutorOptions {
  /** Who runs the runs (default `localExecutor(options)`). */
  executor?: SweepExecutor;
  /**
   * Progress: `true` shows it (a Jupyter display in a kernel, else stderr), `false` shows nothing, a
   * function gets every event (default `true`).
   */
  progress?: boolean | ((e: SweepEvent) => void);
  /** Stops the sweep: running searches stop after their current step, keeping their checkpoints. */
  signal?: AbortSignal;
}

/** What a sweep did: its runs, each one's outcome, the finished runs' results, and their table. */
export interface SweepReport {
  runs: SweepRun[];
  outcomes: SweepOutcome[];
  /** The finished runs' results (found or ran), in run order. */
  results: SearchResult[];
  /** `sweepTable` of the finished runs at the grid's `tableEpochs`; undefined when none finished. */
  table?: pl.DataFrame;
  /** The outcomes that failed (the others may have finished). */
  failed: SweepOutcome[];
}

/**
 * Run every run of `grid` (finished ones are read back, interrupted ones resume), then tabulate.
 * @example
 * ```ts
 * import { sweep } from "./sweep.ts";
 * const root = await Deno.makeTempDir();
 * const grid = { methods: ["darts"], seeds: [0], preset: "smoke", base: { epochs: 1, data: { limit: 64 } } };
 * const report = await sweep(grid, { root, records: false, progress: false });
 * console.assert(report.outcomes[0].status === "ran" && report.table!.height === 1);
 * const again = await sweep(grid, { root, records: false, progress: false });
 * console.assert(again.outcomes[0].status === "found");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function sweep(grid: SweepGrid, options: SweepOptions = {}): Promise<SweepReport> {
  const runs = expandGrid(grid);
  const executor = options.executor ?? localExecutor(options);
  const board = new SweepBoard(grid.name ?? "sweep", runs.length, executor.workers);
  const display = typeof options.progress === "function"
    ? { onEvent: options.progress, close: () => {} }
    : options.progress === false
    ? { onEvent: () => {}, close: () => {} }
    : jupyterDisplay(board) ?? terminalDisplay(board);
  let outcomes: SweepOutcome[];
  try {
    outcomes = await executor.run(runs, display.onEvent, options.signal);
  } finally {
    display.close();
  }
  const results = outcomes.flatMap((o) => (o.result ? [o.result] : []));
  return {
    runs,
    outcomes,
    results,
    table: results.length ? sweepTable(runs, results, grid.tableEpochs) : undefined,
    failed: outcomes.filter((o) => o.status === "failed"),
  };
}
