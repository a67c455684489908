import assert from "node:assert/strict";
import { mulberry32 } from "../../src/data/pipeline.ts";
import { cropImage } from "../../src/sr/image.ts";
import { imresize } from "../../src/sr/imresize.ts";
import { orientSquare, randomPatchPair } from "../../src/sr/patches.ts";

const ramp = (w: number, h: number) => ({
  width: w,
  height: h,
  channels: 1 as const,
  data: Uint8Array.from({ length: w * h }, (_, i) => i % 251),
});

Deno.test("orientSquare: the 8 symmetries of a 2×2 square, each by hand", () => {
  const img = { width: 2, height: 2, channels: 1 as const, data: Uint8Array.from([1, 2, 3, 4]) };
  const seen = new Set<string>();
  for (const flipX of [false, true]) {
    for (const flipY of [false, true]) {
      for (const transpose of [false, true]) {
        seen.add(orientSquare(img, { flipX, flipY, transpose }).data.join());
      }
    }
  }
  assert.equal(seen.size, 8);
  assert.equal(orientSquare(img, { flipX: true }).data.join(), "2,1,4,3");
  assert.equal(orientSquare(img, { flipY: true }).data.join(), "3,4,1,2");
});

Deno.test("randomPatchPair: aligned crops (the HR patch shrinks to the LR patch), seeded, augmented alike", () => {
  const hr = ramp(64, 48);
  const lr = imresize(hr, 0.5);
  for (const seed of [1, 2, 3, 4, 5]) {
    const a = randomPatchPair(lr, hr, mulberry32(seed), { patch: 8, scale: 2, augment: false });
    assert.deepEqual([a.lr.width, a.hr.width], [8, 16]);
    const again = randomPatchPair(lr, hr, mulberry32(seed), { patch: 8, scale: 2, augment: false });
    assert.deepEqual(again, a);
    // Augmented: the same crop (the rng's first two draws), then the same symmetry of both (the next three).
    const aug = randomPatchPair(lr, hr, mulberry32(seed), { patch: 8, scale: 2 });
    const r = mulberry32(seed);
    r(), r();
    const how = { flipX: r() < 0.5, flipY: r() < 0.5, transpose: r() < 0.5 };
    assert.deepEqual(aug.lr, orientSquare(a.lr, how));
    assert.deepEqual(aug.hr, orientSquare(a.hr, how));
  }
  // The pair is aligned: the LR crop at (x, y) drawn from the rng, the HR crop at (2x, 2y).
  const r = mulberry32(9);
  const x = Math.floor(r() * (32 - 8 + 1)), y = Math.floor(r() * (24 - 8 + 1));
  const p = randomPatchPair(lr, hr, mulberry32(9), { patch: 8, scale: 2, augment: false });
  assert.deepEqual(p.lr, cropImage(lr, x, y, 8, 8));
  assert.deepEqual(p.hr, cropImage(hr, 2 * x, 2 * y, 16, 16));
});

Deno.test("randomPatchPair: an image smaller than a patch, or a mismatched pair, is refused", () => {
  const hr = ramp(20, 12);
  const lr = imresize(hr, 0.5);
  assert.throws(
    () => randomPatchPair(lr, hr, mulberry32(0), { patch: 8, scale: 2 }),
    /the image is 10×6 at the input's size \(20×12 ground truth\), smaller than a 8×8 patch/,
  );
  assert.throws(
    () => randomPatchPair(lr, ramp(21, 12), mulberry32(0), { patch: 4, scale: 2 }),
    /not 2× the 10×6 input/,
  );
});
