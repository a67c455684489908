import assert from "node:assert/strict";
import { contributions, cubicKernel, imresize } from "../../src/sr/imresize.ts";
import { readPng } from "../../src/sr/image.ts";

Deno.test("cubicKernel: Keys' a = -0.5 at hand-computed points", () => {
  assert.deepEqual([0, 0.25, 0.75, 1, 1.25, 1.75, 2, 2.5].map(cubicKernel), [
    1,
    0.8671875,
    0.2265625,
    0,
    -0.0703125,
    -0.0234375,
    0,
    0,
  ]);
});

Deno.test("contributions: the first output of a x2 upscale, by hand, mirrored or clamped at the edge", () => {
  // Output pixel 1 of 8 sits at u = 1/2 + (1 - 1/2)/2 = 0.75; it reads inputs -2..3 (1-based).
  const sym = contributions(4, 8, 2);
  assert.equal(sym.taps, 6);
  assert.deepEqual([...sym.weights.slice(0, 6)], [0, -0.0234375, 0.2265625, 0.8671875, -0.0703125, 0]);
  assert.deepEqual([...sym.indices.slice(0, 6)], [2, 1, 0, 0, 1, 2]);
  assert.deepEqual([...contributions(4, 8, 2, "replicate").indices.slice(0, 6)], [0, 0, 0, 0, 1, 2]);
  // Halving widens the kernel to 8 and scales it by 1/2: 10 taps whose weights sum to 1.
  const half = contributions(8, 4, 0.5);
  assert.equal(half.taps, 10);
  for (let x = 0; x < 4; x++) {
    const sum = half.weights.slice(x * 10, x * 10 + 10).reduce((a, b) => a + b);
    assert.ok(Math.abs(sum - 1) < 1e-12);
  }
});

Deno.test("imresize: a ramp doubled, each value by hand (8-bit rounding, mirrored edges)", () => {
  const ramp = { width: 4, height: 1, channels: 1 as const, data: Uint8Array.from([10, 20, 30, 40]) };
  const up = imresize(ramp, 2);
  assert.deepEqual([up.width, up.height], [8, 2]);
  // Output x sits at u = x/2 + 1/4. Outputs 4 and 5 read inputs 1-4 only, where the cubic reproduces
  // the ramp: 22.5 -> 23, 27.5 -> 28. Output 1 (u = 0.75) reads input 0, mirrored to input 1:
  // 10·(0.2265625 + 0.8671875) + 20·(-0.0234375 - 0.0703125) = 9.0625 -> 9; output 2 (u = 1.25):
  // 10·(-0.0703125 + 0.8671875) + 20·0.2265625 - 30·0.0234375 = 11.796875 -> 12; output 3 (u = 1.75):
  // 10·(-0.0234375 + 0.2265625) + 20·0.8671875 - 30·0.0703125 = 17.265625 -> 17; 6-8 mirror 3-1 (50 - v).
  const row = [9, 12, 17, 23, 28, 33, 38, 41];
  assert.deepEqual([...up.data], [...row, ...row]);
});

Deno.test("imresize: bad scale or border is refused", () => {
  const img = { width: 2, height: 2, channels: 1 as const, data: new Uint8Array(4) };
  assert.throws(() => imresize(img, 0), /scale must be a positive number, got 0/);
  assert.throws(
    () => imresize(img, 2, { border: "wrap" as never }),
    /border must be "symmetric" or "replicate"/,
  );
});

/** Mean absolute difference of our x1/2 bicubic of each HR image from the shipped LR, and where they differ. */
async function lrDifference(dir: URL, border: "symmetric" | "replicate") {
  let sum = 0, count = 0, images = 0, farFromEdge = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith("_HR.png")) continue;
    const hr = await readPng(new URL(e.name, dir));
    const lr = await readPng(new URL(e.name.replace("_HR", "_LR"), dir));
    const ours = imresize(hr, 0.5, { border });
    assert.deepEqual([ours.width, ours.height, ours.channels], [lr.width, lr.height, lr.channels], e.name);
    for (let i = 0; i < lr.data.length; i++) {
      const d = Math.abs(lr.data[i] - ours.data[i]);
      sum += d;
      const p = Math.floor(i / lr.channels), x = p % lr.width, y = Math.floor(p / lr.width);
      if (d && x >= 3 && y >= 3 && x < lr.width - 3 && y < lr.height - 3) farFromEdge++;
    }
    count += lr.data.length;
    images++;
  }
  return { images, mean: sum / count, farFromEdge };
}

const SHARED_SR = new URL("../../../shared/data/sr/", import.meta.url);
const haveShared = (() => {
  try {
    return Deno.statSync(new URL("BSD100/x2/", SHARED_SR)).isDirectory;
  } catch {
    return false;
  }
})();

Deno.test("imresize x1/2 reproduces the shipped Set5 LR images: bit for bit with the edge repeated, MATLAB's mirror differs only within 3 px of the edges", async () => {
  const set5 = new URL("../../data/sr/Set5/x2/", import.meta.url);
  assert.deepEqual(await lrDifference(set5, "replicate"), { images: 5, mean: 0, farFromEdge: 0 });
  const sym = await lrDifference(set5, "symmetric");
  assert.equal(sym.farFromEdge, 0);
  assert.ok(sym.mean > 0.005 && sym.mean < 0.01, `mean ${sym.mean}`);
});

Deno.test({
  name: "imresize x1/2 reproduces the shipped Set14 and BSD100 LR images bit for bit (edge repeated)",
  ignore: !haveShared,
  fn: async () => {
    for (const [set, images] of [["Set14", 14], ["BSD100", 100]] as const) {
      const r = await lrDifference(new URL(`${set}/x2/`, SHARED_SR), "replicate");
      assert.deepEqual(r, { images, mean: 0, farFromEdge: 0 }, set);
    }
  },
});
