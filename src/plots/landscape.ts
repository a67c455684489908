/**
 * A loss landscape over two directions in α (`archLandscape`) as a filled contour map, α* at the centre:
 * the paper's Fig. 5 draws one per method, side by side.
 * @module
 */
import * as Plot from "../deps/plot.ts";
import type { Landscape } from "../analysis/landscape.ts";
import { type Figure, plotFigure } from "./render.ts";

/** Options of {@link landscapeFigure}. */
export interface LandscapeFigureOptions {
  /** Which value to draw: the loss (default) or the score (classification: accuracy in %). */
  value?: "loss" | "score";
  /** The figure's title (default none). */
  title?: string;
  /** The colour legend's label (default "validation loss" or "validation accuracy (%)"). */
  label?: string;
  /** The colour domain, shared by figures that are compared (default the landscape's own range). */
  domain?: [number, number];
  /** Contour levels (default 10). */
  thresholds?: number;
  /** Width and height in CSS pixels (default 340 × 340: two side by side fill a notebook's width). */
  width?: number;
  height?: number;
}

/**
 * Filled contours of `landscape`'s loss (or score) over the grid, axes in units of the normalized
 * directions, a cross at α*.
 * @example
 * ```ts
 * import { landscapeFigure } from "./landscape.ts";
 * const c = [-1, 0, 1];
 * const land = { coordinates: c, loss: c.map((x) => c.map((y) => x * x + y * y)), score: c.map(() => [0, 0, 0]), directions: [{}, {}] as [{}, {}] };
 * const fig = landscapeFigure(land, { title: "bowl" });
 * console.assert(fig.svg.includes("<path") && fig.text === "figure 340×340: bowl");
 * ```
 */
export function landscapeFigure(landscape: Landscape, o: LandscapeFigureOptions = {}): Figure {
  const value = o.value ?? "loss";
  const grid = landscape[value];
  const c = landscape.coordinates;
  const n = c.length;
  // Plot's contour reads a row-major grid whose first row is y1; [i][j] is (x = c[i], y = c[j]).
  const values = Array.from({ length: n * n }, (_, k) => grid[k % n][Math.floor(k / n)]);
  const step = c[1] - c[0];
  const [lo, hi] = [c[0] - step / 2, c[n - 1] + step / 2];
  const width = o.width ?? 340;
  const height = o.height ?? 340;
  return plotFigure({
    title: o.title,
    width,
    height,
    aspectRatio: 1,
    // Samples sit at cell centres (lo..hi spans the cells); the axes end at the outer samples.
    x: { label: "direction 1", domain: [c[0], c[n - 1]] },
    y: { label: "direction 2", domain: [c[0], c[n - 1]] },
    color: {
      // Discrete bands, one per contour level: a continuous legend is drawn on a canvas, which the
      // server-side DOM lacks.
      type: "quantize",
      n: o.thresholds ?? 10,
      scheme: value === "loss" ? "viridis" : "magma",
      reverse: value === "score",
      legend: true,
      ...({ width: width - 20 } as Plot.ScaleOptions), // the legend's width (Plot's types omit it)
      tickFormat: "~r",
      label: o.label ?? (value === "loss" ? "validation loss" : "validation accuracy (%)"),
      ...(o.domain ? { domain: o.domain } : {}),
    },
    marks: [
      Plot.contour(values, {
        width: n,
        height: n,
        x1: lo,
        x2: hi,
        y1: lo,
        y2: hi,
        fill: Plot.identity,
        stroke: "white",
        strokeOpacity: 0.4,
        thresholds: o.thresholds ?? 10,
        clip: true,
      }),
      Plot.dot([[0, 0]], { symbol: "plus", r: 6, stroke: "white", strokeWidth: 2 }),
    ],
  }, { title: o.title });
}
