/**
 * Observable Plot outside a browser: figures are built against linkedom's DOM, kept as SVG text, shown
 * inline by the Deno Jupyter kernel (they carry Jupyter's display hook) and saved as standalone SVG files.
 * @module
 */
import * as Plot from "../deps/plot.ts";
import { parseHTML } from "../deps/linkedom.ts";
import { type PngOptions, svgToPng } from "./png.ts";

/** The key under which the Deno Jupyter kernel looks for an object's rich display. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** The bits of the DOM the renderer touches (Deno's type library has no DOM). */
interface DomElement {
  tagName: string;
  outerHTML: string;
  textContent: string | null;
  parentElement: DomElement | null;
  closest(selector: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
}

/** A rendered figure: its SVG text, shown inline in Jupyter, saveable as a file. */
export interface Figure {
  /** The figure as a standalone SVG document (with the SVG namespace and a white background). */
  readonly svg: string;
  /** Write the figure to `path`: SVG for `.svg`, PNG for `.png` (see `svgToPng` for the options). */
  save(path: string, png?: PngOptions): Promise<void>;
  /** What the Deno Jupyter kernel displays. */
  [JUPYTER_DISPLAY]: () => Record<string, string>;
}

let shared: unknown;

/** The DOM the figures are built in (one linkedom document per process). */
export function plotDocument(): unknown {
  shared ??=
    (parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as { document: unknown }).document;
  return shared;
}

/** Wrap an SVG string as a {@link Figure}. */
export function svgFigure(svg: string): Figure {
  return {
    svg,
    save: async (path, png) => {
      if (path.endsWith(".svg")) return await Deno.writeTextFile(path, svg + "\n");
      if (!path.endsWith(".png")) throw new Error(`Figure.save: ${path}: choose a .svg or .png file name`);
      await Deno.writeFile(path, await svgToPng(svg, png));
    },
    [JUPYTER_DISPLAY]: () => ({ "image/svg+xml": svg }),
  };
}

/**
 * `Plot.plot(options)` rendered to a {@link Figure}. A figure with a legend is a `<figure>` holding the
 * legend and the chart as SVG siblings; it is flattened into one SVG with the legend on top.
 */
export function plotFigure(options: Plot.PlotOptions): Figure {
  const el = Plot.plot({
    ...options,
    document: plotDocument() as Plot.PlotOptions["document"],
    style: { background: "white", ...(typeof options.style === "object" ? options.style : {}) },
  }) as unknown as DomElement;
  return svgFigure(standalone(el));
}

function standalone(el: DomElement): string {
  const ns = 'xmlns="http://www.w3.org/2000/svg"';
  if (el.tagName.toLowerCase() === "svg") return el.outerHTML.replace(/^<svg /, `<svg ${ns} `);
  // <figure>: swatch legends are HTML; keep the SVG parts (the chart and any ramp legend) stacked.
  const parts = [...el.querySelectorAll("svg")].filter((s) => !s.parentElement?.closest("svg"));
  const swatches = [...el.querySelectorAll("span")].map((s) => ({
    label: s.textContent?.trim() ?? "",
    color: s.querySelector("svg")?.getAttribute("fill") ?? s.querySelector("rect")?.getAttribute("fill") ??
      "gray",
  })).filter((s) => s.label);
  const charts = parts.filter((s) => !s.closest("span"));
  let y = 0;
  const body: string[] = [];
  let width = 0;
  // Titles and subtitles are HTML headings in a <figure>: set them as SVG text.
  for (const h of el.querySelectorAll("h2, h3")) {
    const title = h.tagName.toLowerCase() === "h2";
    y += title ? 22 : 18;
    body.push(
      `<text x="0" y="${y - 6}" font-size="${title ? 15 : 12}" font-weight="${title ? "bold" : "normal"}" ` +
        `font-family="system-ui, sans-serif">${escape(h.textContent?.trim() ?? "")}</text>`,
    );
  }
  if (swatches.length) {
    let x = 0;
    for (const s of swatches) {
      body.push(
        `<rect x="${x}" y="${y + 4}" width="10" height="10" fill="${s.color}"/>` +
          `<text x="${x + 14}" y="${y + 13}" font-size="10" font-family="system-ui, sans-serif">` +
          `${escape(s.label)}</text>`,
      );
      x += 24 + 6 * s.label.length;
    }
    y += 22;
    width = Math.max(width, x);
  }
  for (const c of charts) {
    const w = Number(c.getAttribute("width") ?? 640);
    const h = Number(c.getAttribute("height") ?? 400);
    c.setAttribute("y", String(y));
    body.push(c.outerHTML);
    y += h;
    width = Math.max(width, w);
  }
  return `<svg ${ns} width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" style="background: white">` +
    body.join("") + "</svg>";
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
