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

/** A Jupyter display bundle: MIME type → content (base64 for images). */
export type DisplayBundle = Record<string, string>;

/** A rendered figure: its SVG text, shown inline in Jupyter, saveable as a file. */
export interface Figure {
  /** The figure as a standalone SVG document (with the SVG namespace and a white background). */
  readonly svg: string;
  /** Its width in SVG units (CSS pixels), from the root element's `width`. */
  readonly width: number;
  /** Its height in SVG units (CSS pixels), from the root element's `height`. */
  readonly height: number;
  /** A one-line description: "figure 720×282: <title>" ("figure 720×282" without a title). */
  readonly text: string;
  /** Write the figure to `path`: SVG for `.svg`, PNG for `.png` (see `svgToPng` for the options). */
  save(path: string, png?: PngOptions): Promise<void>;
  /**
   * What the Deno Jupyter kernel displays (it awaits the promise): `text/html` (an `<img>` of the figure
   * drawn at {@link DISPLAY_HTML_SCALE}× by {@link svgToPng}, shown at the figure's size), `image/png`
   * (drawn at {@link DISPLAY_PNG_SCALE}×, base64), `image/svg+xml` and `text/plain` ({@link Figure.text}).
   * Why the HTML: frontends show the richest type they trust, and every one of them shows an HTML image,
   * while an untrusted classic Notebook hides SVG and nbconvert's HTML export picks the SVG over the PNG
   * and strips its drawing (blank boxes). Never rejects: when no PNG can be drawn (no font installed) the
   * bundle holds the SVG and the text, which says so.
   */
  [JUPYTER_DISPLAY]: () => Promise<DisplayBundle>;
}

/**
 * Pixels per SVG unit of the PNG in a display bundle: 1, so that the PNG shows at the figure's size.
 * The Deno kernel (2.x) sends every display with empty metadata, so a bundle cannot carry the
 * `{ "image/png": { width, height } }` that would let a 2× PNG show at its CSS size; frontends show a
 * PNG without it at one CSS pixel per image pixel (a 2× image would show twice as large, up to the
 * output's width). For sharper images save a 2× PNG with {@link Figure.save}.
 */
export const DISPLAY_PNG_SCALE = 1;

/**
 * Pixels per SVG unit of the image in a display bundle's `text/html`: 2, sharp on high-density screens;
 * the `<img>` carries the figure's width and height, so it shows at the figure's size.
 */
export const DISPLAY_HTML_SCALE = 2;

/** Options of {@link svgFigure} and {@link plotFigure}. */
export interface FigureOptions {
  /** The title for {@link Figure.text} (default: none, the text is "figure W×H"). */
  title?: string;
  /**
   * How the display bundle's PNG is drawn (default `{ scale: DISPLAY_PNG_SCALE }` with the system font;
   * see {@link DISPLAY_PNG_SCALE} before raising the scale).
   */
  displayPng?: PngOptions;
}

let shared: unknown;

/** The DOM the figures are built in (one linkedom document per process). */
export function plotDocument(): unknown {
  shared ??=
    (parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as { document: unknown }).document;
  return shared;
}

/** Wrap an SVG document (with its root's `width` and `height` attributes) as a {@link Figure}. */
export function svgFigure(svg: string, o: FigureOptions = {}): Figure {
  const root = /^<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const size = (name: string) => Number(new RegExp(`\\s${name}="([\\d.]+)"`).exec(root)?.[1] ?? NaN);
  const width = size("width");
  const height = size("height");
  const text = `figure ${width}×${height}${o.title ? `: ${o.title}` : ""}`;
  let bundle: Promise<DisplayBundle> | undefined;
  return {
    svg,
    width,
    height,
    text,
    save: async (path, png) => {
      if (path.endsWith(".svg")) return await Deno.writeTextFile(path, svg + "\n");
      if (!path.endsWith(".png")) throw new Error(`Figure.save: ${path}: choose a .svg or .png file name`);
      await Deno.writeFile(path, await svgToPng(svg, png));
    },
    [JUPYTER_DISPLAY]: () => {
      bundle ??= Promise.all([
        svgToPng(svg, { scale: DISPLAY_PNG_SCALE, ...o.displayPng }),
        svgToPng(svg, {
          ...o.displayPng,
          scale: DISPLAY_HTML_SCALE * (o.displayPng?.scale ?? DISPLAY_PNG_SCALE),
        }),
      ]).then(
        ([png, sharp]) => ({
          "text/html":
            `<img src="data:image/png;base64,${base64(sharp)}" width="${width}" height="${height}" ` +
            `alt="${escapeAttribute(text)}">`,
          "image/png": base64(png),
          "image/svg+xml": svg,
          "text/plain": text,
        }),
        (e: unknown) => ({
          "image/svg+xml": svg,
          "text/plain": `${text} (SVG only, no PNG copy: ${e instanceof Error ? e.message : String(e)})`,
        }),
      );
      return bundle;
    },
  };
}

/**
 * `Plot.plot(options)` rendered to a {@link Figure}. A figure with a legend is a `<figure>` holding the
 * legend and the chart as SVG siblings; it is flattened into one SVG with the legend on top. Plot's
 * numbered ids (clip paths, markers, patterns) are renumbered per figure, so the SVG depends only on
 * the options, not on how many figures were drawn before.
 */
export function plotFigure(options: Plot.PlotOptions, o: FigureOptions = {}): Figure {
  const el = Plot.plot({
    ...options,
    document: plotDocument() as Plot.PlotOptions["document"],
    style: { background: "white", ...(typeof options.style === "object" ? options.style : {}) },
  }) as unknown as DomElement;
  const title = o.title ?? (typeof options.title === "string" ? options.title : undefined);
  return svgFigure(stableIds(standalone(el)), { ...o, title });
}

/**
 * Plot numbers its ids with process-wide counters (`plot-clip-7`). Renumber them from 1 in order of
 * appearance, under a prefix from a hash of the figure, so that equal figures have equal SVG and
 * different figures inlined on one page keep distinct ids.
 */
export function stableIds(svg: string): string {
  const pattern = /\bplot-(clip|pattern|marker)-(\d+)\b/g;
  const ids = new Map<string, string>();
  const stripped = svg.replace(pattern, (_, kind) => `plot-${kind}`);
  if (stripped === svg) return svg;
  const tag = hash(stripped);
  return svg.replace(pattern, (id, kind) => {
    if (!ids.has(id)) ids.set(id, `plot-${kind}-${tag}-${ids.size + 1}`);
    return ids.get(id)!;
  });
}

/** FNV-1a, 32 bits, as 8 hex digits. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
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

function escapeAttribute(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
