import assert from "node:assert/strict";
import { DISPLAY_HTML_SCALE, DISPLAY_PNG_SCALE, JUPYTER_DISPLAY, svgFigure } from "../../src/plots/render.ts";
import { svgToPng } from "../../src/plots/png.ts";
import { betaTrajectories } from "../../src/plots/search.ts";
import { quickstartAlpha } from "./frames.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
}

const text = (s: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><text x="4" y="20" ` +
  `font-family="system-ui, sans-serif" font-size="14">${s}</text></svg>`;

Deno.test("svgToPng: a PNG at scale × the SVG's size, with the text drawn in a system font", async () => {
  const png = await svgToPng(text("β of skip"), { scale: 2 });
  assert.deepEqual([...png.slice(0, 8)], PNG_SIGNATURE);
  assert.deepEqual(pngSize(png), [240, 60]);
  assert.deepEqual(pngSize(await svgToPng(text("x"), { scale: 1 })), [120, 30]);
  // Without a font resvg silently draws no text: the two images would then be the same.
  const blank = await svgToPng(text(""), { scale: 2 });
  assert.notDeepEqual(png, blank, "the text changes the image");
  assert.ok(png.length > blank.length + 100, "drawn glyphs add detail");
});

Deno.test("svgToPng / Figure.save: bad scale, missing font and unknown file types are refused", async () => {
  await assert.rejects(() => svgToPng(text("x"), { scale: 0 }), /scale must be in \(0, 16\]/);
  await assert.rejects(
    () => svgToPng(text("x"), { fontFiles: ["/nonexistent/font.ttf"] }),
    /font file .* not found/,
  );
  const fig = svgFigure(text("figure"));
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => fig.save(`${dir}/x.jpg`), /choose a \.svg or \.png file name/);
  await fig.save(`${dir}/x.png`, { scale: 1 });
  const png = await Deno.readFile(`${dir}/x.png`);
  assert.deepEqual([...png.slice(0, 8)], PNG_SIGNATURE);
  assert.deepEqual(pngSize(png), [120, 30]);
  await fig.save(`${dir}/x.svg`);
  assert.equal(await Deno.readTextFile(`${dir}/x.svg`), text("figure") + "\n");
  await Deno.remove(dir, { recursive: true });
});

/** The display bundle's PNG as bytes. */
function decodePng(bundle: Record<string, string>): Uint8Array {
  return Uint8Array.from(atob(bundle["image/png"]), (c) => c.charCodeAt(0));
}

Deno.test("Figure display bundle: SVG, a PNG of the figure's size × DISPLAY_PNG_SCALE with its text drawn, and a line of text", async () => {
  const fig = betaTrajectories(quickstartAlpha(), { edge: "1<-0" });
  const bundle = await fig[JUPYTER_DISPLAY]();
  assert.deepEqual(Object.keys(bundle).sort(), ["image/png", "image/svg+xml", "text/html", "text/plain"]);
  assert.equal(bundle["image/svg+xml"], fig.svg);
  // The HTML image (what frontends show first): a sharper PNG, shown at the figure's size.
  const html = bundle["text/html"].match(
    /^<img src="data:image\/png;base64,([^"]+)" width="720" height="304" alt="[^"]+">$/,
  );
  assert.ok(html, bundle["text/html"].slice(0, 80));
  const sharp = Uint8Array.from(atob(html[1]), (c) => c.charCodeAt(0));
  assert.deepEqual(pngSize(sharp), [720 * DISPLAY_HTML_SCALE, 304 * DISPLAY_HTML_SCALE]);
  assert.equal(bundle["text/plain"], `figure 720×304: β of every op on edge 1<-0`);
  assert.deepEqual([fig.width, fig.height], [720, 304]);
  const png = decodePng(bundle);
  assert.deepEqual([...png.slice(0, 8)], PNG_SIGNATURE);
  assert.deepEqual(pngSize(png), [720 * DISPLAY_PNG_SCALE, 304 * DISPLAY_PNG_SCALE]);
  // The same figure with its text emptied: the glyphs are what tell the two apart.
  const untexted = svgFigure(fig.svg.replace(/(<text\b[^>]*>)[^<]*(<\/text>)/g, "$1$2"));
  const blank = decodePng(await untexted[JUPYTER_DISPLAY]());
  assert.deepEqual(pngSize(blank), pngSize(png));
  assert.ok(png.length > blank.length + 1000, "drawn tick labels, legend and title add detail");
  assert.equal(await fig[JUPYTER_DISPLAY](), bundle, "drawn once per figure");
  assert.equal((await svgFigure(text("x"))[JUPYTER_DISPLAY]())["text/plain"], "figure 120×30");
});

Deno.test("Figure display bundle: without a font to draw text with, SVG and text only, and no error", async () => {
  const fig = svgFigure(text("β"), { title: "t", displayPng: { fontFiles: ["/nonexistent/font.ttf"] } });
  const bundle = await fig[JUPYTER_DISPLAY]();
  assert.deepEqual(Object.keys(bundle).sort(), ["image/svg+xml", "text/plain"]);
  assert.match(bundle["text/plain"], /^figure 120×30: t \(SVG only, no PNG copy: .*not found\)$/);
});
