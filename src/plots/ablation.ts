/**
 * Figures of a hyperparameter ablation: the SA term's shape per (μ, ν) (the paper's Fig. 9, from
 * `smoothActivationShapes`) and a heatmap of one measure over settings × rows (a sweep table's
 * accuracy, top-2 β gap or skip edges per setting, method and epoch), its values written in the cells.
 * @module
 */
import * as Plot from "../deps/plot.ts";
import type pl from "../deps/polars.ts";
import { type Figure, plotFigure } from "./render.ts";
import { type ColorChoice, labelColors, tickLabelMargin } from "./scales.ts";

type Row = Record<string, unknown>;

function rowsOf(frame: pl.DataFrame | readonly Row[]): Row[] {
  return Array.isArray(frame) ? [...frame] : (frame as pl.DataFrame).toRecords() as Row[];
}

function requireColumns(who: string, rows: Row[], columns: (string | undefined)[]): void {
  const have = Object.keys(rows[0] ?? {});
  const missing = columns.filter((c): c is string => c !== undefined && !have.includes(c));
  if (rows.length === 0) throw new Error(`${who}: no rows to draw`);
  if (missing.length) {
    throw new Error(
      `${who}: no column ${missing.map((c) => `"${c}"`).join(", ")} (columns: ${have.join(", ")})`,
    );
  }
}

/** Options of {@link saShapeFigure}. */
export interface SaShapeFigureOptions {
  /** Draw the term itself (default "term") or its slope, the push each α gets ("slope"). */
  value?: "term" | "slope";
  /** Title (default none). */
  title?: string;
  /** Colours of the settings (default `LABEL_COLORS` in the frame's order; see `labelColors`). */
  colors?: ColorChoice;
  /** Width and height in pixels (default 720 × 300: the legend of six settings fits on one line). */
  width?: number;
  height?: number;
}

/**
 * The SA term (or its slope) against α, a line per (μ, ν) setting, axes through the origin.
 * @example
 * ```ts
 * import pl from "../deps/polars.ts";
 * import { saShapeFigure } from "./ablation.ts";
 * const shapes = pl.DataFrame({ setting: ["a", "a"], alpha: [-1, 1], term: [-1, 1], slope: [1, 1] });
 * console.assert(saShapeFigure(shapes).svg.includes("<path"));
 * ```
 */
export function saShapeFigure(shapes: pl.DataFrame | readonly Row[], o: SaShapeFigureOptions = {}): Figure {
  const value = o.value ?? "term";
  const rows = rowsOf(shapes);
  requireColumns("saShapeFigure", rows, ["setting", "alpha", value]);
  const width = o.width ?? 720;
  const height = o.height ?? 300;
  return plotFigure({
    title: o.title,
    width,
    height,
    marginLeft: tickLabelMargin(rows.map((r) => Number(r[value])), height - 50),
    color: {
      legend: true,
      type: "categorical",
      ...labelColors(rows.map((r) => r.setting), o.colors, "saShapeFigure"),
    },
    x: { label: "α", grid: true },
    y: { label: value === "term" ? "SA term (without λ)" : "d(SA term)/dα", grid: true },
    marks: [
      Plot.ruleX([0], { stroke: "#bbb" }),
      Plot.ruleY([0], { stroke: "#bbb" }),
      Plot.lineY(rows, { x: "alpha", y: value, stroke: "setting", strokeWidth: 1.8 }),
    ],
  });
}

/** Relative luminance (0 black … 1 white) of a colour as Plot's scales give it: `rgb(r, g, b)` or `#rrggbb`. */
function luminance(color: string): number {
  const rgb =
    /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color)?.slice(1).map((h) => parseInt(h, 16)) ??
      /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(color)?.slice(1).map(Number);
  if (!rgb) return 0;
  const [r, g, b] = rgb.map((v) => v / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Options of {@link heatmapFigure}. */
export interface HeatmapOptions {
  /** Column of the x categories (columns of cells), in order of first appearance. */
  x: string;
  /** Column of the y categories (rows of cells), in order of first appearance. */
  y: string;
  /** Column of the value that colours a cell; rows where it is null are left blank. */
  fill: string;
  /** The text in each cell (default the value with `digits` decimals). */
  text?: string | ((row: Row) => string);
  /** Decimals of the default cell text (default 2). */
  digits?: number;
  /** One panel per value of this column (default none). */
  fx?: string;
  /** A d3 colour scheme (default "viridis"); `reverse` flips it (default false). */
  scheme?: Plot.ColorScheme;
  reverse?: boolean;
  /** The colour domain, shared by compared heatmaps (default the values' range). */
  domain?: [number, number];
  /** Axis labels (default none: the categories say what they are). */
  xLabel?: string;
  yLabel?: string;
  /** Title (default none). */
  title?: string;
  /** Width in pixels (default 720); height (default 34 px per row plus the axes). */
  width?: number;
  height?: number;
  /** Room for the y labels (default from their length). */
  marginLeft?: number;
  /** Room for the x labels, which are drawn slanted when long (default from their length). */
  marginBottom?: number;
}

/**
 * A heatmap: one cell per (x, y), coloured by `fill` and labelled with its value, so the numbers are
 * read, not guessed from a legend (a continuous legend needs a canvas, which the server DOM lacks).
 * @example
 * ```ts
 * import { heatmapFigure } from "./ablation.ts";
 * const rows = [{ nu: "0", method: "sa", acc: 93.1 }, { nu: "1", method: "sa", acc: 94.4 }];
 * const fig = heatmapFigure(rows, { x: "nu", y: "method", fill: "acc" });
 * console.assert(fig.svg.includes(">94.40<") && fig.svg.includes(">93.10<"));
 * ```
 */
export function heatmapFigure(frame: pl.DataFrame | readonly Row[], o: HeatmapOptions): Figure {
  const all = rowsOf(frame);
  requireColumns("heatmapFigure", all, [
    o.x,
    o.y,
    o.fill,
    typeof o.text === "string" ? o.text : undefined,
    o.fx,
  ]);
  const rows = all.filter((r) =>
    r[o.fill] !== null && r[o.fill] !== undefined && !Number.isNaN(Number(r[o.fill]))
  );
  if (rows.length === 0) throw new Error(`heatmapFigure: every "${o.fill}" is null: nothing to draw`);
  const order = (c: string) => [...new Set(all.map((r) => r[c]))];
  const xs = order(o.x), ys = order(o.y);
  const values = rows.map((r) => Number(r[o.fill]));
  const domain = o.domain ?? [Math.min(...values), Math.max(...values)];
  const digits = o.digits ?? 2;
  const text = typeof o.text === "function"
    ? o.text
    : (r: Row) => o.text ? String(r[o.text as string]) : Number(r[o.fill]).toFixed(digits);
  const color: Plot.ScaleOptions = {
    type: "linear",
    scheme: o.scheme ?? "viridis",
    reverse: o.reverse ?? false,
    domain,
  };
  // Black text on light cells, white on dark ones, whichever end of the scheme is light.
  const scale = Plot.scale({ color });
  const light = (r: Row) => luminance(String(scale.apply(Number(r[o.fill])))) > 0.45;
  const longestX = Math.max(...xs.map((v) => String(v).length));
  const slanted = longestX * 7 > (o.width ?? 720) / Math.max(1, xs.length) / (o.fx ? order(o.fx).length : 1);
  const marginBottom = o.marginBottom ?? (slanted ? Math.min(160, 20 + longestX * 5) : 40);
  const marginLeft = o.marginLeft ?? Math.min(220, 16 + Math.max(...ys.map((v) => String(v).length)) * 7);
  const height = o.height ?? 34 * ys.length + marginBottom + (o.fx ? 50 : 30);
  return plotFigure({
    title: o.title,
    width: o.width ?? 720,
    height,
    marginLeft,
    marginBottom,
    x: { domain: xs, label: o.xLabel ?? null, tickRotate: slanted ? -30 : 0 },
    y: { domain: ys, label: o.yLabel ?? null },
    fx: o.fx ? { domain: order(o.fx), label: null } : undefined,
    color,
    marks: [
      Plot.cell(rows, { x: o.x, y: o.y, fx: o.fx, fill: o.fill, inset: 0.5 }),
      // Two marks with constant fills: a fill channel would go through the colour scale.
      ...[true, false].map((onLight) =>
        Plot.text(rows.filter((r) => light(r) === onLight), {
          x: o.x,
          y: o.y,
          fx: o.fx,
          text,
          fill: onLight ? "black" : "white",
          fontSize: 11,
        })
      ),
    ],
  });
}
