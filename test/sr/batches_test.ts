import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { mixSeed, mulberry32 } from "../../src/data/pipeline.ts";
import { srBatches } from "../../src/sr/batches.ts";
import { imresize } from "../../src/sr/imresize.ts";
import { randomPatchPair } from "../../src/sr/patches.ts";
import { onBackend, values } from "../helpers.ts";

const image = (w: number, h: number, channels: 1 | 3, k: number) => ({
  width: w,
  height: h,
  channels,
  data: Uint8Array.from({ length: w * h * channels }, (_, i) => (i * k) % 256),
});
const pairs = [image(40, 30, 3, 7), image(36, 36, 1, 11), image(48, 32, 3, 13), image(30, 40, 3, 17)].map((
  hr,
) => ({
  hr,
  lr: imresize(hr, 0.5),
}));

Deno.test("srBatches: shapes, [0, 1] RGB, grey repeated; the same (seed, epoch) gives the same batches", async () => {
  await onBackend("cpu", () => {
    const o = { pairs, indices: [0, 1, 2, 3], batchSize: 2, patch: 6, scale: 2, seed: 3, epoch: 1 };
    const first = [...srBatches(o)];
    assert.equal(first.length, 2);
    assert.deepEqual([first[0].x.shape, first[0].y.shape], [[2, 6, 6, 3], [2, 12, 12, 3]]);
    const again = [...srBatches(o)];
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(values(again[i].x), values(first[i].x));
      assert.deepEqual(values(again[i].y), values(first[i].y));
    }
    assert.notDeepEqual(values([...srBatches({ ...o, epoch: 2 })][0].y), values(first[0].y));
    // Image b of step s is the patch randomPatchPair draws with the generator of (seed, epoch, s).
    const b0 = first[0];
    const rng = mulberry32(mixSeed(3, 1, 0, 4));
    const want = randomPatchPair(pairs[b0.indices[0]].lr, pairs[b0.indices[0]].hr, rng, {
      patch: 6,
      scale: 2,
    });
    const got = values(tf.slice(b0.y, [0, 0, 0, 0], [1, 12, 12, 3]));
    const rgb = want.hr.channels === 3 ? [...want.hr.data] : [...want.hr.data].flatMap((v) => [v, v, v]);
    assert.deepEqual(got.map((v) => Math.round(v * 255)), rgb);
    tf.dispose([...first, ...again].flatMap((b) => [b.x, b.y]));
  });
});

Deno.test("srBatches: a batch larger than the split, or an image smaller than a patch, is refused", () => {
  assert.throws(
    () => [...srBatches({ pairs, indices: [0], batchSize: 2, patch: 6, scale: 2, seed: 0, epoch: 0 })],
    /batch size 2 is larger than the 1 training images/,
  );
  assert.throws(
    () => [...srBatches({ pairs, indices: [0, 1], batchSize: 2, patch: 40, scale: 2, seed: 0, epoch: 0 })],
    /smaller than a 40×40 patch/,
  );
});
