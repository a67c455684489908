/**
 * The paper's figures over a search's history frames (`alpha.csv`: epoch × edge × op; `metrics.csv`:
 * one row per epoch), optionally several runs concatenated with `method` and `seed` columns
 * (`historyFrames`). Each function takes a frame and plain options and returns a {@link Figure}.
 * @module
 */
import * as Plot from "../deps/plot.ts";
import type pl from "../deps/polars.ts";
import { NB201_EDGES, NB201_OPS, parseGenotype } from "../spaces/nb201.ts";
import { paramRows } from "../runs/frames.ts";
import { type Figure, plotFigure } from "./render.ts";
import {
  type ColorChoice,
  epochTicks,
  labelColors,
  labelOrder,
  logTickLabelMargin,
  scientificTick,
  tickLabelMargin,
} from "./scales.ts";

/** Ops in a fixed order and colour across every figure. */
const OP_COLORS = { domain: [...NB201_OPS], range: ["#9e9e9e", "#e15759", "#4e79a7", "#59a14f", "#f28e2b"] };

type Row = Record<string, unknown>;

function opColor(op: string): string {
  return OP_COLORS.range[(OP_COLORS.domain as string[]).indexOf(op)] ?? "#333";
}

function records(df: pl.DataFrame): Row[] {
  return df.toRecords() as Row[];
}

function has(df: pl.DataFrame, column: string): boolean {
  return df.columns.includes(column);
}

/** Plot's default margins around the plot area (top + bottom with an x axis, and with facet labels). */
const MARGINS_Y = { plain: 50, faceted: 60 };

/**
 * An epoch x axis: integer ticks only (no "0.5" on short runs), about one per 80 px of each panel.
 * `epochs`: every epoch drawn, warm-up band included; `panelWidth`: the width of one panel.
 */
function epochAxis(epochs: Iterable<number>, panelWidth: number): Plot.ScaleOptions {
  return { label: "epoch", ticks: epochTicks(epochs, panelWidth), tickFormat: "d" };
}

function numbers(rows: Row[], column: string): number[] {
  return rows.map((r) => typeof r[column] === "bigint" ? Number(r[column]) : r[column])
    .filter((v): v is number => typeof v === "number");
}

/** A grey band over epochs 0 to `epochs`, where α stays at its initial value (warm-up: w only). */
function warmupBand(epochs: number | undefined): Plot.Markish[] {
  if (!epochs) return [];
  const band = [{ x1: 0, x2: epochs, label: "warm-up" }];
  return [
    Plot.rectX(band, { x1: "x1", x2: "x2", fill: "#eeeeee" }),
    Plot.text(band, {
      x: "x1",
      text: "label",
      frameAnchor: "top-left",
      dx: 4,
      dy: 4,
      fill: "#777",
      fontSize: 10,
    }),
  ];
}

/** Panels in order of first appearance (the order runs were given in), not alphabetical. */
function panels(rows: Row[], facet: string | undefined) {
  return facet ? { label: null, domain: [...new Set(rows.map((r) => r[facet]))] } : undefined;
}

/** The option of every per-epoch figure that marks a warm-up. */
export interface WarmupOption {
  /** Shade the first this many epochs (warm-up: the weights train, α stays put); default none. */
  warmupEpochs?: number;
}

/** Options of {@link betaTrajectories}. */
export interface BetaTrajectoryOptions extends WarmupOption {
  /**
   * The edge to plot, as in `alpha.csv` (e.g. "3<-0"; default "1<-0", the cell's first edge), or "all"
   * for one panel per edge (then pass a frame of one run).
   */
  edge?: string;
  /** Plot α instead of β = softmax(α) (default "beta"). */
  value?: "beta" | "alpha";
  /**
   * The architecture parameter (default the first recorded: the op weights, not PC-DARTS' edge weights;
   * see `paramRows`).
   */
  param?: string;
  /**
   * One panel per value of this column, in order of first appearance (default "edge" for edge "all",
   * else "method" when the frame has it, else one panel).
   */
  facet?: string;
  /** Title above the figure (default "β of every op on edge <edge>", or "… on every edge"). */
  title?: string;
  /** Width in pixels (default 720). */
  width?: number;
  /** Height in pixels (default 260). */
  height?: number;
}

/** β (or α) of every op on one edge against the epoch, one panel per method (the paper's Fig. 2/3). */
export function betaTrajectories(alpha: pl.DataFrame, o: BetaTrajectoryOptions = {}): Figure {
  const edge = o.edge ?? "1<-0";
  const value = o.value ?? "beta";
  const facet = o.facet ?? (edge === "all" ? "edge" : has(alpha, "method") ? "method" : undefined);
  const rows = paramRows(records(alpha), o.param).filter((r) => edge === "all" || r.edge === edge);
  if (rows.length === 0) {
    throw new Error(
      `betaTrajectories: no rows for edge "${edge}" (edges: ${
        [...new Set(records(alpha).map((r) => r.edge))].join(", ")
      })`,
    );
  }
  const width = o.width ?? 720;
  const height = o.height ?? 260;
  const fx = panels(rows, facet);
  const reference = value === "beta" ? 1 / NB201_OPS.length : 0;
  // Room for tick labels such as "0.2000" (β barely moving off 1/5) that Plot's default 40 px clips.
  const marginLeft = tickLabelMargin(
    [...numbers(rows, value), reference],
    height - (fx ? MARGINS_Y.faceted : MARGINS_Y.plain),
  );
  const marginRight = 20;
  const epochs = [...numbers(rows, "epoch"), ...(o.warmupEpochs ? [0, o.warmupEpochs] : [])];
  return plotFigure({
    title: o.title ??
      `${value === "beta" ? "β" : "α"} of every op ${edge === "all" ? "on every edge" : `on edge ${edge}`}`,
    width,
    height,
    marginLeft,
    marginRight,
    color: { ...OP_COLORS, legend: true },
    x: epochAxis(epochs, (width - marginLeft - marginRight) / (fx?.domain.length ?? 1)),
    y: { label: value === "beta" ? "β" : "α", grid: true },
    fx,
    marks: [
      ...warmupBand(o.warmupEpochs),
      Plot.ruleY([reference], { stroke: "#ccc" }),
      Plot.lineY(rows, {
        x: "epoch",
        y: value,
        stroke: "op",
        fx: facet,
        z: has(alpha, "seed") ? (r: Row) => `${r.op}/${r.seed}` : "op",
      }),
    ],
  });
}

/** Options of the per-epoch line figures. */
export interface EpochFigureOptions {
  /**
   * Colour by this column ({@link byEpoch}; one panel per value in {@link alphaStatistics}); default
   * "method" when the frame has it, else none.
   */
  color?: string;
  /**
   * Colours of the `color` column's labels in {@link byEpoch} ({@link alphaStatistics} colours its three
   * statistics and ignores this). Default: each method name its fixed colour of `METHOD_COLORS`, other
   * labels `LABEL_COLORS`, in the order of `labelOrder` (numeric when every label ends in a number, else
   * the order the runs were given), from the whole frame, so figures of one frame agree. A label →
   * colour map overrides some labels; `{ domain, range }` also fixes the legend's order and must name
   * every label.
   */
  colors?: ColorChoice;
  /**
   * Title above the figure (default "α statistics over all edges and ops" for {@link alphaStatistics},
   * none for {@link byEpoch}).
   */
  title?: string;
  /** Width in pixels (default 720). */
  width?: number;
  /** Height in pixels (default 240 for {@link alphaStatistics}, 260 for {@link byEpoch}). */
  height?: number;
}

function colorColumn(df: pl.DataFrame, o: EpochFigureOptions): string | undefined {
  return o.color ?? (has(df, "method") ? "method" : undefined);
}

/** α mean, median and standard deviation against the epoch, one panel per method. */
export function alphaStatistics(metrics: pl.DataFrame, o: EpochFigureOptions = {}): Figure {
  const missing = ["epoch", "alphaMean", "alphaMedian", "alphaStd"].filter((c) => !has(metrics, c));
  if (missing.length) {
    throw new Error(
      `alphaStatistics: no column ${missing.map((c) => `"${c}"`).join(", ")} (columns: ` +
        `${metrics.columns.join(", ")}): pass a metrics frame (metrics.csv, or historyFrames' metrics)`,
    );
  }
  const facet = colorColumn(metrics, o);
  if (facet !== undefined && !has(metrics, facet)) {
    throw new Error(
      `alphaStatistics: no column "${facet}" to split panels by (columns: ${metrics.columns.join(", ")}): ` +
        "pass one of them as color",
    );
  }
  const long = records(metrics).flatMap((r) =>
    (["alphaMean", "alphaMedian", "alphaStd"] as const).map((k) => ({
      ...r,
      statistic: { alphaMean: "mean", alphaMedian: "median", alphaStd: "std" }[k],
      value: r[k],
    }))
  );
  const width = o.width ?? 720;
  const height = o.height ?? 240;
  const fx = panels(long, facet);
  const marginLeft = tickLabelMargin(
    [...numbers(long, "value"), 0],
    height - (fx ? MARGINS_Y.faceted : MARGINS_Y.plain),
  );
  return plotFigure({
    title: o.title ?? "α statistics over all edges and ops",
    width,
    height,
    marginLeft,
    color: { legend: true, domain: ["mean", "median", "std"], range: ["#4e79a7", "#f28e2b", "#59a14f"] },
    x: epochAxis(numbers(long, "epoch"), (width - marginLeft - 20) / (fx?.domain.length ?? 1)),
    y: { label: "α", grid: true },
    fx,
    marks: [
      Plot.ruleY([0], { stroke: "#ccc" }),
      Plot.lineY(long, {
        x: "epoch",
        y: "value",
        stroke: "statistic",
        fx: facet,
        z: has(metrics, "seed") ? (r: Row) => `${r.statistic}/${r.seed}` : "statistic",
      }),
    ],
  });
}

/** Options of {@link byEpoch}. */
export interface ByEpochOptions extends EpochFigureOptions, WarmupOption {
  /** y label (default: the column's name). */
  label?: string;
  /** A dashed horizontal reference line at this value, e.g. the benchmark's optimum (default none). */
  reference?: number;
  /** Mark every epoch with a dot as well as the line (default true). */
  dots?: boolean;
  /**
   * y scale type (default "linear"; "log" for gaps that span decades, labelled "1e-3", "4.7e-3" as
   * the text writes numbers; rows whose value is not positive are not drawn on a log axis).
   */
  yType?: "linear" | "log";
}

/**
 * One metrics column against the epoch, a line per run coloured by method: e.g. the derived cell's
 * NB201 CIFAR-10 accuracy (`cifar10`) or its number of skip edges (`skipEdges`).
 */
export function byEpoch(metrics: pl.DataFrame, column: string, o: ByEpochOptions = {}): Figure {
  if (!has(metrics, column)) {
    throw new Error(`byEpoch: no column "${column}" (columns: ${metrics.columns.join(", ")})`);
  }
  const color = colorColumn(metrics, o);
  if (color !== undefined && !has(metrics, color)) {
    throw new Error(
      `byEpoch: no column "${color}" to colour by (columns: ${metrics.columns.join(", ")}): ` +
        "pass one of them as color",
    );
  }
  const all = records(metrics);
  const rows = all.filter((r) => r[column] !== null);
  const z = has(metrics, "seed") ? (r: Row) => `${color ? r[color] : ""}/${r.seed}` : color;
  const width = o.width ?? 720;
  const height = o.height ?? 260;
  const log = (o.yType ?? "linear") === "log";
  const values = [...numbers(rows, column), ...(o.reference !== undefined ? [o.reference] : [])];
  // Room for tick labels such as "−0.020" or "54.2967" (Plot's default 40 px clips them).
  const marginLeft = log
    ? logTickLabelMargin(values, 56)
    : tickLabelMargin(values, height - MARGINS_Y.plain, 56);
  const epochs = [...numbers(rows, "epoch"), ...(o.warmupEpochs ? [0, o.warmupEpochs] : [])];
  return plotFigure({
    title: o.title,
    width,
    height,
    marginLeft,
    // Colours from the whole frame, so figures of one frame agree even where a column has gaps.
    color: color
      ? { legend: true, type: "categorical", ...labelColors(all.map((r) => r[color]), o.colors, "byEpoch") }
      : undefined,
    x: epochAxis(epochs, width - marginLeft - 20),
    y: {
      label: o.label ?? column,
      grid: true,
      type: log ? "log" : "linear",
      // "1e-3", "4.7e-3" as the text writes them, not d3's SI prefixes ("1m", "100µ").
      ...(log ? { tickFormat: scientificTick } : {}),
    },
    marks: [
      ...warmupBand(o.warmupEpochs),
      ...(o.reference !== undefined
        ? [Plot.ruleY([o.reference], { stroke: "#999", strokeDasharray: "4,3" })]
        : []),
      Plot.lineY(rows, { x: "epoch", y: column, stroke: color, z, strokeOpacity: 0.85 }),
      ...(o.dots ?? true ? [Plot.dot(rows, { x: "epoch", y: column, fill: color, r: 2 })] : []),
    ],
  });
}

/** Options of {@link cellDiagram}. */
export interface CellDiagramOptions {
  /** Title above the cell (default none). */
  title?: string;
  /** Width in pixels (default 560); the height follows, as both axes share one scale. */
  width?: number;
}

/**
 * The derived NB201 cell as a small DAG: nodes 0–3 left to right, one arrow per edge labelled with its
 * op (`none` edges dashed and grey, as they carry nothing).
 */
export function cellDiagram(cell: string | readonly string[], o: CellDiagramOptions = {}): Figure {
  const ops = typeof cell === "string" ? parseGenotype(cell) : cell;
  const width = o.width ?? 560;
  // Equal pixels per unit on both axes, so the arcs' midpoints below are where Plot draws them.
  const xDomain = [-0.35, 3.35];
  const unit = (width - 20) / (xDomain[1] - xDomain[0]);
  const yDomain = [-0.55, 0.95];
  const height = Math.round(unit * (yDomain[1] - yDomain[0]) + 20 + (o.title ? 30 : 0));
  // bend (degrees) per span of nodes; the arc bulges by chord/2 · tan(bend/2) on the left of travel.
  const bends: Record<number, number> = { 1: 0, 2: 36, 3: 56 };
  const edges = NB201_EDGES.map((e, i) => {
    const span = e.to - e.from;
    const up = !(e.from === 1 && e.to === 3);
    const bend = up ? bends[span] : -bends[span];
    const sagitta = (span / 2) * Math.tan((Math.abs(bend) * Math.PI) / 360);
    return {
      x1: e.from,
      y1: 0,
      x2: e.to,
      y2: 0,
      bend,
      op: ops[i],
      lx: (e.from + e.to) / 2,
      ly: span === 1 ? 0.09 : up ? sagitta + 0.07 : -sagitta - 0.09,
    };
  });
  const nodes = [0, 1, 2, 3].map((n) => ({ x: n, y: 0, label: String(n) }));
  return plotFigure({
    title: o.title,
    width,
    height,
    margin: 10,
    marginTop: o.title ? 40 : 10,
    x: { domain: xDomain, axis: null },
    y: { domain: yDomain, axis: null },
    marks: [
      // One mark per edge: an arrow's bend is a constant of its mark, not a channel.
      ...edges.map((e) =>
        Plot.arrow([e], {
          x1: "x1",
          y1: "y1",
          x2: "x2",
          y2: "y2",
          bend: e.bend,
          stroke: opColor(e.op), // a constant: "none" as a channel value would read as CSS "no colour"
          strokeWidth: 2,
          strokeDasharray: e.op === "none" ? "4,3" : undefined,
          inset: 14,
          headLength: 8,
        })
      ),
      Plot.dot(nodes, { x: "x", y: "y", r: 11, fill: "white", stroke: "#333" }),
      Plot.text(nodes, { x: "x", y: "y", text: "label", fontSize: 12, fontWeight: "bold" }),
      Plot.text(edges, {
        x: "lx",
        y: "ly",
        text: "op",
        fill: (d: Row) => opColor(d.op as string),
        fontSize: 11,
        stroke: "white",
        strokeWidth: 3,
        paintOrder: "stroke",
      }),
    ],
  });
}

/** Options of {@link betaRankAccuracy}. */
export interface BetaRankOptions {
  /** Accuracy column (default "cifar100", as the paper's §6.6). */
  metric?: string;
  /** Title above the figure (default none). */
  title?: string;
  /** Width in pixels (default 560). */
  width?: number;
  /** Height in pixels (default 300). */
  height?: number;
}

/**
 * NB201 accuracy of the cell with each edge's op replaced by its rank-r op by β (an `opSwapTable`
 * frame): a line per edge, and the mean over edges per rank in black.
 */
export function betaRankAccuracy(swaps: pl.DataFrame, o: BetaRankOptions = {}): Figure {
  const metric = o.metric ?? "cifar100";
  for (const c of ["rank", "edge", metric]) {
    if (!has(swaps, c)) {
      throw new Error(
        `betaRankAccuracy: no column "${c}" (columns: ${swaps.columns.join(", ")}): pass an opSwapTable ` +
          "frame, and as metric one of its accuracy columns",
      );
    }
  }
  const rows = records(swaps);
  return plotFigure({
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 300,
    // Edges in the order given (NB201's), not sorted as strings.
    color: { legend: true, type: "categorical", domain: labelOrder(rows.map((r) => r.edge)) },
    x: { label: "rank of the op by β on its edge (1 = the derived op)", ticks: 5, tickFormat: "d" },
    y: { label: `NB201 ${metric} test accuracy (%)`, grid: true },
    marks: [
      Plot.lineY(rows, { x: "rank", y: metric, stroke: "edge", strokeOpacity: 0.6 }),
      Plot.dot(rows, { x: "rank", y: metric, fill: "edge", r: 3, title: (d: Row) => `${d.edge}: ${d.op}` }),
      Plot.lineY(
        rows,
        Plot.groupX({ y: "mean" }, { x: "rank", y: metric, stroke: "black", strokeWidth: 2.5 }),
      ),
    ],
  });
}
