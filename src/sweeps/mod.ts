/**
 * Sweeps: a grid of search configs (spaces × methods × method options × variants × seeds) as data, run by
 * an executor (this machine's processes: `localExecutor`), with progress and a comparison table.
 * @module
 */
export { expandGrid, loadGrid, type SweepGrid, type SweepRun, type SweepVariant } from "./grid.ts";
export {
  localExecutor,
  type LocalExecutorOptions,
  type SweepEvent,
  type SweepExecutor,
  type SweepOutcome,
} from "./local.ts";
export { formatSweepTable, sweepColumns, sweepTable } from "./table.ts";
export { sweep, type SweepOptions, type SweepReport } from "./sweep.ts";
