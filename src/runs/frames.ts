/**
 * Several runs' histories as one pair of polars frames, with `method` and `seed` columns, for the
 * figures (`src/plots`) and for tables of mean ± std over seeds.
 * @module
 */
import pl from "../deps/polars.ts";
import type { SearchConfig } from "../search/config.ts";
import { type AlphaRow, historyFrame, type MetricsRow } from "./runFolder.ts";

/** A run's history: a `SearchResult`, or rows/frames read back from its folder. */
export interface RunHistory {
  config: SearchConfig;
  metrics: readonly Partial<MetricsRow>[] | pl.DataFrame;
  alpha: readonly AlphaRow[] | pl.DataFrame;
}

/** The runs' `metrics` and `alpha` frames stacked, each row tagged with its run's method label and seed. */
export function historyFrames(
  runs: readonly RunHistory[],
  label: (c: SearchConfig) => string = (c) => c.method,
): { metrics: pl.DataFrame; alpha: pl.DataFrame } {
  if (runs.length === 0) throw new Error("historyFrames: no runs");
  const tag = (df: pl.DataFrame | readonly object[], c: SearchConfig) =>
    (Array.isArray(df) ? historyFrame(df) : df as pl.DataFrame).select(
      pl.lit(label(c)).alias("method"),
      pl.lit(c.seed).cast(pl.Int64).alias("seed"),
      pl.col("*"),
    );
  return {
    metrics: pl.concat(runs.map((r) => tag(r.metrics as never, r.config)), { how: "diagonal" }),
    alpha: pl.concat(runs.map((r) => tag(r.alpha as never, r.config)), { how: "diagonal" }),
  };
}

/**
 * Mean and standard deviation (over seeds, ddof 1 as the paper's ± ) of `columns` at `epoch` (default:
 * each run's last), one row per method.
 */
export function meanStdTable(
  metrics: pl.DataFrame,
  columns: readonly string[],
  epoch?: number,
): pl.DataFrame {
  const at = epoch === undefined
    ? metrics.filter(pl.col("epoch").eq(pl.col("epoch").max().over("method", "seed")))
    : metrics.filter(pl.col("epoch").eq(pl.lit(epoch)));
  // One frame per method in order of appearance (polars' groupBy would order them at random).
  const methods = [...new Set(at.getColumn("method").toArray() as string[])];
  return pl.concat(methods.map((m) =>
    at.filter(pl.col("method").eq(pl.lit(m))).select(
      pl.lit(m).alias("method"),
      pl.col("seed").count().alias("runs"),
      ...columns.flatMap((c) => [pl.col(c).mean().alias(`${c}Mean`), pl.col(c).std().alias(`${c}Std`)]),
    )
  ));
}

/**
 * One architecture parameter at `epoch` as rows (edges, in the order the history records them) of
 * columns (ops in `ops` order; default: as recorded for each edge), from a run's α history. `param`
 * picks the parameter of a space with several (e.g. DARTS' `alpha_normal`); NB201's single α has none.
 */
export function alphaAtEpoch(
  rows: readonly AlphaRow[],
  epoch: number,
  ops?: readonly string[],
  param?: string,
): number[][] {
  const at = rows.filter((r) => r.epoch === epoch && r.param === param);
  if (at.length === 0) {
    throw new Error(
      `alphaAtEpoch: no α${param === undefined ? "" : ` (${param})`} recorded at epoch ${epoch}`,
    );
  }
  const edges = [...new Set(at.map((r) => r.edge))];
  return edges.map((edge) => {
    const recorded = at.filter((x) => x.edge === edge);
    return (ops ?? recorded.map((x) => x.op)).map((op) => {
      const r = recorded.find((x) => x.op === op);
      if (!r) throw new Error(`alphaAtEpoch: no α for edge ${edge}, op ${op} at epoch ${epoch}`);
      return r.alpha;
    });
  });
}

/**
 * The rows of one architecture parameter of an α history (a frame's records): `param`, by default the
 * first one recorded, the op weights (`alpha`; PC-DARTS' edge weights, recorded after them as `beta`, and
 * DARTS' `alpha_reduce` are left out). Rows without a `param` (a run of one parameter) are all kept.
 */
export function paramRows<T extends object>(rows: readonly T[], param?: string): T[] {
  const of = (r: T) => (r as { param?: unknown }).param;
  const chosen = param ?? rows.map(of).find((p) => p != null);
  return rows.filter((r) => of(r) == null || of(r) === chosen);
}

/** Options of {@link betaMargin}. */
export interface BetaMarginOptions {
  /** The edge, as in `alpha.csv` (e.g. "1<-0"). */
  edge: string;
  /** The op whose lead is measured. */
  op: string;
  /** The ops it is measured against. */
  rivals: readonly string[];
  /** The architecture parameter (default the first recorded: the op weights; see {@link paramRows}). */
  param?: string;
}

/**
 * Per run and epoch, β of `op` minus the largest β among `rivals` on one edge: positive where `op` is
 * ahead of every rival (e.g. a convolution over `skip_connect` in the recovery study, Fig. 4). Rows keep
 * the frame's order and its `method` and `seed` columns.
 */
export function betaMargin(alpha: pl.DataFrame, o: BetaMarginOptions): pl.DataFrame {
  const rows = paramRows(
    alpha.filter(pl.col("edge").eq(pl.lit(o.edge))).toRecords() as Record<string, unknown>[],
    o.param,
  );
  if (rows.length === 0) throw new Error(`betaMargin: no rows for edge "${o.edge}"`);
  const ops = new Set(rows.map((r) => r.op as string));
  for (const op of [o.op, ...o.rivals]) {
    if (!ops.has(op)) throw new Error(`betaMargin: no op "${op}" (ops: ${[...ops].join(", ")})`);
  }
  const keys = ["method", "seed", "epoch"].filter((c) => alpha.columns.includes(c));
  const groups = new Map<string, { key: Record<string, unknown>; beta: Map<string, number> }>();
  for (const r of rows) {
    const id = JSON.stringify(keys.map((k) => r[k]));
    if (!groups.has(id)) {
      groups.set(id, { key: Object.fromEntries(keys.map((k) => [k, r[k]])), beta: new Map() });
    }
    groups.get(id)!.beta.set(r.op as string, r.beta as number);
  }
  return pl.DataFrame([...groups.values()].map(({ key, beta }) => {
    const rival = o.rivals.reduce((best, op) => beta.get(op)! > beta.get(best)! ? op : best);
    return {
      ...key,
      leader: [...beta].reduce((a, b) => b[1] > a[1] ? b : a)[0],
      rival,
      margin: beta.get(o.op)! - beta.get(rival)!,
    };
  }));
}
