/**
 * The paper's figures over a search's history frames (`alpha.csv`: epoch × edge × op; `metrics.csv`:
 * one row per epoch), optionally several runs concatenated with `method` and `seed` columns
 * (`historyFrames`). Each function takes a frame and plain options and returns a {@link Figure}.
 * @module
 */
import * as Plot from "../deps/plot.ts";
import type pl from "../deps/polars.ts";
import { NB201_EDGES, NB201_OPS, parseGenotype } from "../spaces/nb201.ts";
import { type Figure, plotFigure } from "./render.ts";

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
  /** Shade the first this many epochs (warm-up: the weights train, α stays put). */
  warmupEpochs?: number;
}

/** Options of {@link betaTrajectories}. */
export interface BetaTrajectoryOptions extends WarmupOption {
  /**
   * The edge to plot, as in `alpha.csv` (e.g. "3<-0"; default "1<-0", the cell's first edge), or "all"
   * for one panel per edge (then pass a frame of one run).
   */
  edge?: string;
  /** Plot α instead of β = softmax(α). */
  value?: "beta" | "alpha";
  /** One panel per value of this column (default "method" when the frame has it). */
  facet?: string;
  title?: string;
  width?: number;
  height?: number;
}

/** β (or α) of every op on one edge against the epoch, one panel per method (the paper's Fig. 2/3). */
export function betaTrajectories(alpha: pl.DataFrame, o: BetaTrajectoryOptions = {}): Figure {
  const edge = o.edge ?? "1<-0";
  const value = o.value ?? "beta";
  const facet = o.facet ?? (edge === "all" ? "edge" : has(alpha, "method") ? "method" : undefined);
  const rows = records(alpha).filter((r) => edge === "all" || r.edge === edge);
  if (rows.length === 0) {
    throw new Error(
      `betaTrajectories: no rows for edge "${edge}" (edges: ${
        [...new Set(records(alpha).map((r) => r.edge))].join(", ")
      })`,
    );
  }
  return plotFigure({
    title: o.title ??
      `${value === "beta" ? "β" : "α"} of every op ${edge === "all" ? "on every edge" : `on edge ${edge}`}`,
    width: o.width ?? 720,
    height: o.height ?? 260,
    marginRight: 20,
    color: { ...OP_COLORS, legend: true },
    x: { label: "epoch" },
    y: { label: value === "beta" ? "β" : "α", grid: true },
    fx: panels(rows, facet),
    marks: [
      ...warmupBand(o.warmupEpochs),
      Plot.ruleY([value === "beta" ? 1 / NB201_OPS.length : 0], { stroke: "#ccc" }),
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
  /** Colour by this column (default "method" when present). */
  color?: string;
  title?: string;
  width?: number;
  height?: number;
}

function colorColumn(df: pl.DataFrame, o: EpochFigureOptions): string | undefined {
  return o.color ?? (has(df, "method") ? "method" : undefined);
}

/** α mean, median and standard deviation against the epoch, one panel per method. */
export function alphaStatistics(metrics: pl.DataFrame, o: EpochFigureOptions = {}): Figure {
  const facet = colorColumn(metrics, o);
  const long = records(metrics).flatMap((r) =>
    (["alphaMean", "alphaMedian", "alphaStd"] as const).map((k) => ({
      ...r,
      statistic: { alphaMean: "mean", alphaMedian: "median", alphaStd: "std" }[k],
      value: r[k],
    }))
  );
  return plotFigure({
    title: o.title ?? "α statistics over all edges and ops",
    width: o.width ?? 720,
    height: o.height ?? 240,
    color: { legend: true, domain: ["mean", "median", "std"], range: ["#4e79a7", "#f28e2b", "#59a14f"] },
    x: { label: "epoch" },
    y: { label: "α", grid: true },
    fx: panels(long, facet),
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
  /** y label. */
  label?: string;
  /** A horizontal reference line (e.g. the benchmark's optimum). */
  reference?: number;
  /** Mark every epoch with a dot as well as the line. */
  dots?: boolean;
  /** y scale type (default linear; "log" for gaps that span decades). */
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
  const rows = records(metrics).filter((r) => r[column] !== null);
  const z = has(metrics, "seed") ? (r: Row) => `${color ? r[color] : ""}/${r.seed}` : color;
  return plotFigure({
    title: o.title,
    width: o.width ?? 720,
    height: o.height ?? 260,
    // Room for tick labels such as "−0.020" or "54.2967" (Plot's default 40 px clips them).
    marginLeft: 56,
    color: color ? { legend: true } : undefined,
    x: { label: "epoch" },
    y: { label: o.label ?? column, grid: true, type: o.yType ?? "linear" },
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
  title?: string;
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
  title?: string;
  width?: number;
  height?: number;
}

/**
 * NB201 accuracy of the cell with each edge's op replaced by its rank-r op by β (an `opSwapTable`
 * frame): a line per edge, and the mean over edges per rank in black.
 */
export function betaRankAccuracy(swaps: pl.DataFrame, o: BetaRankOptions = {}): Figure {
  const metric = o.metric ?? "cifar100";
  const rows = records(swaps);
  return plotFigure({
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 300,
    color: { legend: true },
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
