/**
 * DARTS-space genotypes drawn as DARTS' papers draw them: the normal and the reduction cell side by side,
 * each a DAG from its inputs c_{k-2}, c_{k-1} through nodes 0–3 to its output c_{k}, one arrow per kept
 * edge in its op's colour and labelled with the op, and grey arrows from the concatenated nodes to the
 * output.
 *
 * Every cell is drawn on one fixed layout ({@link DARTS_CELL_LAYOUT}), unlike graphviz, which places
 * nodes anew for each genotype: a node sits in the same place in every figure, so cells of different runs
 * compare at a glance, and each of the 14 possible edges has its own label slot, chosen so that no two
 * slots overlap and no edge crosses a node it does not join: whichever 8 edges a genotype keeps, their
 * labels stay apart.
 * @module
 */
import * as Plot from "../deps/plot.ts";
import {
  checkDartsGenotype,
  DARTS_EDGES,
  dartsEdgeIndex,
  type DartsGenotype,
  type DartsGenotypeOptions,
  parseDartsGenotype,
} from "../spaces/darts.ts";
import { type Figure, plotFigure } from "./render.ts";

/**
 * One colour per DARTS op, the same in every figure; the ops NAS-Bench-201 shares keep `cellDiagram`'s
 * colours (none grey, skip_connect red, avg_pool_3x3 orange), and every colour is dark enough for text.
 */
export const DARTS_OP_COLORS: Readonly<Record<string, string>> = {
  none: "#9e9e9e",
  max_pool_3x3: "#b6992d",
  avg_pool_3x3: "#f28e2b",
  skip_connect: "#e15759",
  sep_conv_3x3: "#59a14f",
  sep_conv_5x5: "#4e79a7",
  dil_conv_3x3: "#b07aa1",
  dil_conv_5x5: "#9c755f",
  noise: "#499894",
};

/** The colour of `op` in the DARTS figures ({@link DARTS_OP_COLORS}; dark grey for an op without one). */
export function dartsOpColor(op: string): string {
  return Object.hasOwn(DARTS_OP_COLORS, op) ? DARTS_OP_COLORS[op] : "#333333";
}

/** A point of the layout, in pixels of one cell's panel at the default width (y grows downwards). */
export interface LayoutPoint {
  readonly x: number;
  readonly y: number;
}

/**
 * The fixed layout of a cell's panel (460 × 282 pixels at the default width): the states' centres
 * (c_{k-2}, c_{k-1}, nodes 0–3), the output's, the half sizes of their boxes, and where along each of the
 * 14 edges (DARTS' edge order) its label sits, as a fraction of the way from its input's centre to its
 * node's. Nodes 0–3 lie on an arc, so no edge between two nodes passes through a third; the positions
 * and slots come from a search over symmetric layouts that keeps the 14 label slots apart (and off the
 * boxes) and every edge clear of the boxes it does not join (tested in `test/plots/dartsCell_test.ts`).
 */
export const DARTS_CELL_LAYOUT: {
  readonly panel: { readonly width: number; readonly height: number };
  readonly states: readonly LayoutPoint[];
  readonly output: LayoutPoint;
  readonly half: {
    readonly input: { readonly w: number; readonly h: number };
    readonly node: { readonly w: number; readonly h: number };
    readonly output: { readonly w: number; readonly h: number };
  };
  readonly labelAt: readonly number[];
} = {
  panel: { width: 460, height: 282 },
  states: [
    { x: 34, y: 95 }, // c_{k-2}
    { x: 34, y: 205 }, // c_{k-1}
    { x: 190, y: 45 }, // node 0
    { x: 290, y: 115 }, // node 1
    { x: 290, y: 185 }, // node 2
    { x: 190, y: 255 }, // node 3
  ],
  output: { x: 428, y: 150 },
  half: { input: { w: 25, h: 12 }, node: { w: 12, h: 12 }, output: { w: 20, h: 12 } },
  labelAt: [0.5, 0.35, 0.3, 0.75, 0.5, 0.35, 0.3, 0.45, 0.6, 0.5, 0.5, 0.55, 0.55, 0.5],
};

/** The centre of edge `edge`'s label (0–13, DARTS' edge order) in a panel of {@link DARTS_CELL_LAYOUT}. */
export function dartsLabelSlot(edge: number): LayoutPoint {
  const { node, input } = DARTS_EDGES[edge];
  const a = DARTS_CELL_LAYOUT.states[input];
  const b = DARTS_CELL_LAYOUT.states[node + 2];
  const t = DARTS_CELL_LAYOUT.labelAt[edge];
  return { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
}

/** Options of {@link dartsCellDiagram}. */
export interface DartsCellDiagramOptions extends DartsGenotypeOptions {
  /** Title above both cells (default none). */
  title?: string;
  /** Titles of the two cells (default "normal cell", "reduction cell"). */
  cellTitles?: readonly [string, string];
  /**
   * Width in pixels (default 920: two panels of 460); the height follows, as both axes share one scale.
   * Text keeps its size, so below about 800 pixels labels of neighbouring edges may touch.
   */
  width?: number;
}

/** DARTS' figures' fills (graphviz names): inputs darkseagreen2, nodes lightblue, output palegoldenrod. */
const FILLS = { input: "#b4eeb4", node: "#add8e6", output: "#eee8aa" };

type Box = { x: number; y: number; w: number; h: number };

/** The point where the segment from the centre of `box` towards (tx, ty) leaves the box. */
function exit(box: Box, tx: number, ty: number): [number, number] {
  const dx = tx - box.x;
  const dy = ty - box.y;
  const s = Math.min(dx === 0 ? Infinity : box.w / Math.abs(dx), dy === 0 ? Infinity : box.h / Math.abs(dy));
  // Rounded to 1/100 pixel, so that the SVG holds short numbers.
  const round = (v: number) => Math.round(v * 100) / 100;
  return [round(box.x + dx * Math.min(1, s)), round(box.y + dy * Math.min(1, s))];
}

/** A state's box in the panel offset by `dx` pixels: states 0–5, or the output. */
function stateBox(s: number | "output", dx: number): Box {
  const { states, output, half } = DARTS_CELL_LAYOUT;
  if (s === "output") return { x: output.x + dx, y: output.y, ...half.output };
  return { x: states[s].x + dx, y: states[s].y, ...(s < 2 ? half.input : half.node) };
}

/** One cell to draw: its kept edges (op, input, node), its concat, its title. */
interface CellDrawing {
  genes: readonly (readonly [op: string, input: number])[];
  concat: readonly number[];
  title: string;
}

/** The marks of one cell in the panel offset by `dx` pixels. */
function cellMarks(cell: CellDrawing, dx: number): Plot.Markish[] {
  const opEdges = cell.genes.map(([op, input], k) => {
    const edge = dartsEdgeIndex(k >> 1, input);
    const slot = dartsLabelSlot(edge);
    return { from: input, to: (k >> 1) + 2, op, lx: slot.x + dx, ly: slot.y };
  });
  const concatEdges = cell.concat.map((s) => ({ from: s, to: "output" as const, op: undefined }));
  const arrows = [...concatEdges, ...opEdges].map((e) => {
    const a = stateBox(e.from, dx);
    const b = stateBox(e.to, dx);
    const [x1, y1] = exit(a, b.x, b.y);
    const [x2, y2] = exit(b, a.x, a.y);
    return { x1, y1, x2, y2, op: e.op };
  });
  const inputs = [0, 1].map((s) => ({ ...stateBox(s, dx), sub: s === 0 ? "k−2" : "k−1" }));
  const nodes = [2, 3, 4, 5].map((s) => ({ ...stateBox(s, dx), label: String(s - 2) }));
  const output = [{ ...stateBox("output", dx), sub: "k" }];
  const boxes = (data: Box[], fill: string) =>
    Plot.rect(data, {
      x1: (d: Box) => d.x - d.w,
      x2: (d: Box) => d.x + d.w,
      y1: (d: Box) => d.y - d.h,
      y2: (d: Box) => d.y + d.h,
      fill,
      stroke: "#333",
      rx: 4,
    });
  // "c" with its subscript, as DARTS' figures name the cell's inputs and output.
  const subscripted = (data: (Box & { sub: string })[]) => [
    Plot.text(data, { x: (d: Box) => d.x - 5, y: "y", text: () => "c", fontSize: 13, fontStyle: "italic" }),
    Plot.text(data, {
      x: (d: Box) => d.x - 1,
      y: (d: Box) => d.y + 4,
      text: "sub",
      fontSize: 9,
      fontStyle: "italic",
      textAnchor: "start",
    }),
  ];
  return [
    Plot.text([{ x: dx + DARTS_CELL_LAYOUT.panel.width / 2, y: 14, title: cell.title }], {
      x: "x",
      y: "y",
      text: "title",
      fontSize: 12,
      fontWeight: "bold",
    }),
    // One mark per arrow: its colour is a constant, not a channel, as an op could be named like a CSS
    // colour ("none" would read as no colour at all).
    ...arrows.map((a) =>
      Plot.arrow([a], {
        x1: "x1",
        y1: "y1",
        x2: "x2",
        y2: "y2",
        stroke: a.op === undefined ? "#bbbbbb" : dartsOpColor(a.op),
        strokeWidth: a.op === undefined ? 1.5 : 2,
        headLength: 7,
      })
    ),
    boxes(inputs, FILLS.input),
    boxes(nodes, FILLS.node),
    boxes(output, FILLS.output),
    ...subscripted(inputs),
    ...subscripted(output),
    Plot.text(nodes, { x: "x", y: "y", text: "label", fontSize: 12, fontWeight: "bold" }),
    Plot.text(opEdges, {
      x: "lx",
      y: "ly",
      text: "op",
      fill: (d: { op: string }) => dartsOpColor(d.op),
      fontSize: 10,
      stroke: "white",
      strokeWidth: 3,
      paintOrder: "stroke",
    }),
  ];
}

/**
 * A DARTS-space genotype (an object, or DARTS' Python form, which is parsed with
 * {@link parseDartsGenotype}; checked against `o.space` when given) as DARTS' figures draw it: the normal
 * and the reduction cell side by side, inputs c_{k-2} and c_{k-1} on the left, nodes 0–3, the output
 * c_{k} on the right; one arrow per kept edge in its op's colour ({@link DARTS_OP_COLORS}) labelled with
 * the op, grey arrows from the concatenated states to the output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DARTS_GENOTYPES } from "../spaces/darts.ts";
 * import { dartsCellDiagram } from "./dartsCell.ts";
 * const figure = dartsCellDiagram(DARTS_GENOTYPES.DARTS_V2, { title: "DARTS (second order)" });
 * assert.ok(figure.svg.includes(">dil_conv_3x3<"));
 * assert.equal(figure.text, "figure 920×304: DARTS (second order)");
 * ```
 */
export function dartsCellDiagram(genotype: DartsGenotype | string, o: DartsCellDiagramOptions = {}): Figure {
  const g = typeof genotype === "string"
    ? parseDartsGenotype(genotype, { space: o.space })
    : checkDartsGenotype(genotype, { space: o.space }, "dartsCellDiagram");
  const [normalTitle, reduceTitle] = o.cellTitles ?? ["normal cell", "reduction cell"];
  const { panel } = DARTS_CELL_LAYOUT;
  const width = o.width ?? 2 * panel.width;
  if (!(width > 0)) {
    throw new Error(`dartsCellDiagram: width must be a positive number of pixels, got ${width}`);
  }
  const cells: CellDrawing[] = [
    { genes: g.normal, concat: g.normalConcat, title: normalTitle },
    { genes: g.reduce, concat: g.reduceConcat, title: reduceTitle },
  ];
  return plotFigure({
    title: o.title,
    width,
    height: Math.round((panel.height * width) / (2 * panel.width)),
    margin: 0,
    x: { domain: [0, 2 * panel.width], axis: null },
    y: { domain: [panel.height, 0], axis: null },
    marks: cells.flatMap((c, i) => cellMarks(c, i * panel.width)),
  });
}
