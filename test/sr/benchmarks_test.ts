import assert from "node:assert/strict";
import { join } from "node:path";
import { encodePngBytes } from "../../src/deps/fast_png.ts";
import { bicubicModel, loadBenchmarkSet, scoreSet } from "../../src/sr/benchmarks.ts";
import { cropImage, readPng } from "../../src/sr/image.ts";
import { imresize } from "../../src/sr/imresize.ts";

const DATA = new URL("../../data/sr/", import.meta.url).pathname;

Deno.test("loadBenchmarkSet: the shipped Set5 pairs, sorted, LR as shipped", async () => {
  const pairs = await loadBenchmarkSet(DATA, "Set5");
  assert.deepEqual(pairs.map((p) => p.name), [1, 2, 3, 4, 5].map((i) => `img_00${i}_SRF_2_HR`));
  assert.ok(pairs.every((p) => !p.lrMade && p.lr.width * 2 === p.hr.width));
});

Deno.test("loadBenchmarkSet: a ground-truth-only set is mod-cropped and its input made by bicubic x1/2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const hr = await readPng(join(DATA, "Set5/x2/img_002_SRF_2_HR.png"));
    const odd = cropImage(hr, 0, 0, 101, 75);
    await Deno.mkdir(join(dir, "Urban100/HR"), { recursive: true });
    await Deno.writeFile(
      join(dir, "Urban100/HR/img_001_HR.png"),
      encodePngBytes({ width: 101, height: 75, channels: 3, depth: 8, data: odd.data }),
    );
    const [pair] = await loadBenchmarkSet(dir, "Urban100");
    assert.deepEqual([pair.name, pair.lrMade, pair.hr.width, pair.hr.height], ["img_001_HR", true, 100, 74]);
    assert.deepEqual(pair.lr, imresize(cropImage(odd, 0, 0, 100, 74), 0.5));
    const score = await scoreSet("Urban100", [pair], bicubicModel(2), 2);
    assert.equal(score.images, 1);
    assert.ok(score.psnr > 20 && score.ssim > 0.5 && score.ssim < 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadBenchmarkSet: unknown and missing sets are refused, naming what was looked for", async () => {
  await assert.rejects(
    () => loadBenchmarkSet(DATA, "set5x"),
    /unknown SR benchmark set "set5x" \(did you mean "Set5"\?\)/,
  );
  await assert.rejects(() => loadBenchmarkSet(DATA, "B100"), /no B100 under .*looked for .*BSD100\/x2/);
  await assert.rejects(() => loadBenchmarkSet(DATA, "Set5", 3), /no Set5 under .*Set5\/x3/);
});

Deno.test("scoreSet: a model whose output has the wrong size is reported with the image's name", async () => {
  const pairs = (await loadBenchmarkSet(DATA, "Set5")).slice(0, 1);
  await assert.rejects(
    () => scoreSet("Set5", pairs, (lr) => imresize(lr, 1), 2),
    /the model made 256×256 from img_001_SRF_2_HR's 256×256 input; the ground truth is 512×512/,
  );
});

Deno.test("scoreSet: a grey pair scores on its own values; an image the metrics refuse is named", async () => {
  const hr = {
    width: 24,
    height: 24,
    channels: 1 as const,
    data: Uint8Array.from({ length: 576 }, (_, i) => (i * 13) % 200),
  };
  const pair = { name: "grey", hr, lr: imresize(hr, 0.5), lrMade: true };
  const score = await scoreSet("Set14", [pair], bicubicModel(2), 2);
  assert.ok(Number.isFinite(score.psnr) && score.ssim > 0 && score.ssim < 1);
  const rgb = (lr: { width: number; height: number }) => ({
    width: lr.width * 2,
    height: lr.height * 2,
    channels: 3 as const,
    data: new Uint8Array(lr.width * lr.height * 12),
  });
  await assert.rejects(
    () => scoreSet("Set14", [pair], rgb, 2),
    /Set14\/grey: the output has 3 channel\(s\) and the ground truth 1/,
  );
});
