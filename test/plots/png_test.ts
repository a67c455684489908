import assert from "node:assert/strict";
import { svgFigure } from "../../src/plots/render.ts";
import { svgToPng } from "../../src/plots/png.ts";

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
