import assert from "node:assert/strict";
import { readPng } from "../../src/sr/image.ts";
import { imresize } from "../../src/sr/imresize.ts";
import { lumaY, psnrY, ssimY } from "../../src/sr/quality.ts";

const grey = (width: number, height: number, f: (x: number, y: number) => number) => ({
  width,
  height,
  channels: 1 as const,
  data: Uint8Array.from({ length: width * height }, (_, i) => f(i % width, Math.floor(i / width))),
});

Deno.test("lumaY: BT.601 in [16, 235] as MATLAB's rgb2ycbcr on doubles (unrounded); grey as it is", () => {
  const rgb = {
    width: 4,
    height: 1,
    channels: 3 as const,
    data: Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255]),
  };
  // black 16, white 16 + 219 = 235, red 16 + 65.481, blue 16 + 24.966.
  const y = [...lumaY(rgb)];
  [16, 235, 81.481, 40.966].forEach((want, i) =>
    assert.ok(Math.abs(y[i] - want) < 1e-9, `${y[i]} vs ${want}`)
  );
  assert.deepEqual([...lumaY(grey(2, 1, (x) => 3 * x + 1))], [1, 4]);
});

Deno.test("psnrY: a constant error of 10 is 20·log10(25.5) dB; errors only in the shaved border do not count", () => {
  const a = grey(8, 8, () => 100);
  assert.equal(psnrY(a, grey(8, 8, () => 110), 2), 20 * Math.log10(255 / 10));
  // Errors in the two outermost rows and columns on all four sides: shaved off by 2, not by 1.
  const border = grey(8, 8, (x, y) => (x < 2 || y < 2 || x > 5 || y > 5 ? 0 : 100));
  assert.equal(psnrY(a, border, 2), Infinity);
  for (const [x, y] of [[1, 4], [6, 4], [4, 1], [4, 6]]) {
    const one = grey(8, 8, (u, v) => (u === x && v === y ? 0 : 100));
    assert.ok(Number.isFinite(psnrY(a, one, 1)), `an error at (${x}, ${y}) counts with shave 1`);
  }
});

Deno.test("ssimY: flat images by hand, (2·μ1·μ2 + C1) / (μ1² + μ2² + C1); identical textures 1", () => {
  const c1 = (0.01 * 255) ** 2;
  const got = ssimY(grey(12, 12, () => 100), grey(12, 12, () => 110), 0);
  const want = (2 * 100 * 110 + c1) / (100 ** 2 + 110 ** 2 + c1);
  assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
  const texture = grey(20, 20, (x, y) => (x * 37 + y * 91) % 256);
  assert.ok(Math.abs(ssimY(texture, texture, 2) - 1) < 1e-12);
  assert.ok(ssimY(texture, grey(20, 20, (x, y) => (x * 37 + y * 91 + 40) % 256), 2) < 0.9);
});

Deno.test("psnrY / ssimY: mismatched images and impossible shaves are refused", () => {
  assert.throws(
    () => psnrY(grey(8, 8, () => 0), grey(8, 6, () => 0), 2),
    /the output is 8×8 and the ground truth 8×6/,
  );
  assert.throws(() => psnrY(grey(8, 8, () => 0), grey(8, 8, () => 0), 4), /shave must be a whole number/);
  assert.throws(
    () => ssimY(grey(12, 12, () => 0), grey(12, 12, () => 0), 1),
    /smaller than SSIM's 11×11 window/,
  );
});

/** Mean PSNR and SSIM of the bicubic x2 baseline: each shipped LR image grown by imresize, against its HR. */
async function bicubicBaseline(dir: URL) {
  let psnr = 0, ssim = 0, n = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith("_HR.png")) continue;
    const hr = await readPng(new URL(e.name, dir));
    const up = imresize(await readPng(new URL(e.name.replace("_HR", "_LR"), dir)), 2);
    psnr += psnrY(up, hr, 2);
    ssim += ssimY(up, hr, 2);
    n++;
  }
  return { n, psnr: psnr / n, ssim: ssim / n };
}

Deno.test("bicubic x2 on Set5 matches the SR literature's 33.66 dB / 0.9299 (SPECS §11) within 0.1 dB / 0.002", async () => {
  const r = await bicubicBaseline(new URL("../../data/sr/Set5/x2/", import.meta.url));
  assert.equal(r.n, 5);
  assert.ok(Math.abs(r.psnr - 33.66) < 0.1, `PSNR ${r.psnr}`);
  assert.ok(Math.abs(r.ssim - 0.9299) < 0.002, `SSIM ${r.ssim}`);
});

const B100 = new URL("../../../shared/data/sr/BSD100/x2/", import.meta.url);
const haveB100 = (() => {
  try {
    return Deno.statSync(B100).isDirectory;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "bicubic x2 on B100 matches the SR literature's 29.56 dB / 0.8431 within 0.1 dB / 0.002",
  ignore: !haveB100,
  fn: async () => {
    const r = await bicubicBaseline(B100);
    assert.equal(r.n, 100);
    assert.ok(Math.abs(r.psnr - 29.56) < 0.1, `PSNR ${r.psnr}`);
    assert.ok(Math.abs(r.ssim - 0.8431) < 0.002, `SSIM ${r.ssim}`);
  },
});
