/**
 * A sweep's comparison table: per group and table epoch, the runs and the mean ± std over seeds of the
 * space's comparison columns (`SearchSpace.comparisonColumns`), the supernet's validation accuracy and the
 * search minutes.
 * @module
 */
import pl from "../deps/polars.ts";
import { historyFrames, meanStdTable } from "../runs/frames.ts";
import { spaceByName } from "../spaces/mod.ts";
import type { SearchResult } from "../search/search.ts";
import { runName } from "../search/cache.ts";
import type { SweepRun } from "./grid.ts";

/** The columns of a sweep table, in order: the spaces' comparison columns, then `validAcc`, `minutes`. */
export function sweepColumns(runs: readonly SweepRun[]): string[] {
  const spaces = [...new Set(runs.map((r) => r.config.space))];
  return [...new Set([...spaces.flatMap((s) => spaceByName(s).comparisonColumns), "validAcc", "minutes"])];
}

/**
 * One row per group (in grid order) and epoch of `epochs` (default: each run's last): `group`, `epoch`,
 * `runs`, then `<column>Mean` and `<column>Std` (ddof 1: null for one run) of each column. Runs without
 * a result (failed, interrupted) are left out, so `runs` says how many seeds a row has.
 */
export function sweepTable(
  runs: readonly SweepRun[],
  results: readonly SearchResult[],
  epochs?: readonly number[],
): pl.DataFrame {
  if (results.length === 0) throw new Error("sweepTable: no finished runs");
  const groupOf = new Map(runs.map((r) => [r.name, r.group]));
  const { metrics } = historyFrames(results, (c) => groupOf.get(runName(c)) ?? c.method);
  const withMinutes = metrics.withColumns(pl.col("elapsed").div(60).alias("minutes"));
  const columns = sweepColumns(runs).filter((c) => withMinutes.columns.includes(c));
  const at = (epoch?: number) =>
    meanStdTable(withMinutes, columns, epoch).rename({ method: "group" }).select(
      pl.col("group"),
      epoch === undefined
        ? pl.lit(null).cast(pl.Int64).alias("epoch")
        : pl.lit(epoch).cast(pl.Int64).alias("epoch"),
      pl.col("*").exclude("group"),
    );
  if (!epochs?.length) {
    // Each run's last epoch: the epoch column says which, per group.
    const last = new Map<string, number>();
    for (const r of results) {
      const g = groupOf.get(runName(r.config)) ?? r.config.method;
      last.set(g, Math.max(last.get(g) ?? 0, r.summary.epochsDone));
    }
    const table = at();
    const groups = table.getColumn("group").toArray() as string[];
    return table.withColumns(pl.Series("epoch", groups.map((g) => last.get(g)!), pl.Int64));
  }
  return pl.concat(epochs.map((e) => at(e)));
}

/** `mean ± std` with `digits` decimals (just the mean for one run). */
function meanStd(mean: number | null, std: number | null, digits: number): string {
  if (mean === null || Number.isNaN(mean)) return "–";
  return std === null || Number.isNaN(std)
    ? mean.toFixed(digits)
    : `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}

/**
 * {@link sweepTable} as aligned text for a terminal: `group`, `epoch`, `runs`, then `mean ± std` per
 * measured column (every column shown, none elided).
 * @example
 * ```ts
 * import pl from "../deps/polars.ts";
 * import { formatSweepTable } from "./table.ts";
 * const t = pl.DataFrame({ group: ["sa"], epoch: [20], runs: [2], cifar10Mean: [93.5], cifar10Std: [0.25] });
 * console.assert(formatSweepTable(t).split("\n")[1] === "sa     20     2  93.50 ± 0.25");
 * ```
 */
export function formatSweepTable(table: pl.DataFrame): string {
  const measured = table.columns.filter((c) => c.endsWith("Mean")).map((c) => c.slice(0, -4));
  const records = table.toRecords() as Record<string, number | string | null>[];
  const digits = (c: string) => (/Skips$|Edges$|^minutes$/.test(c) ? 1 : c === "minTop2Gap" ? 3 : 2);
  const rows = [
    ["group", "epoch", "runs", ...measured],
    ...records.map((r) => [
      String(r.group),
      String(r.epoch),
      String(r.runs),
      ...measured.map((c) =>
        meanStd(r[`${c}Mean`] as number | null, r[`${c}Std`] as number | null, digits(c))
      ),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join("  "))
    .join("\n");
}
