import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { loadCifarFile } from "../../src/data/cifar.ts";
import {
  type AugmentDraw,
  type Batch,
  batches,
  DARTS_NORMALIZATION,
  downsample2x,
  drawAugmentation,
  type ImageSet,
  mixSeed,
  mulberry32,
  NB201_NORMALIZATION,
  nb201Split,
  normalizationTable,
  renderImage,
  shuffle,
  stepsPerEpoch,
} from "../../src/data/pipeline.ts";
import { onBackend, values } from "../helpers.ts";

const CIFAR10_20 = new URL("../fixtures/cifar10_20.bin", import.meta.url);

/** A table that maps byte v of any channel to v + 1, so only cutout writes zeros. */
function plusOneTable(channels: number): Float32Array {
  return Float32Array.from({ length: channels * 256 }, (_, i) => (i % 256) + 1);
}

/** A small image whose pixels all differ: value (y·W + x)·C + c (mod 256). */
function ramp(h: number, w: number, c: number): Uint8Array {
  return Uint8Array.from({ length: h * w * c }, (_, i) => i & 255);
}

function render(src: Uint8Array, h: number, w: number, c: number, draw: AugmentDraw | null, options = {}) {
  const out = new Float32Array(h * w * c);
  renderImage(src, 0, { height: h, width: w, channels: c }, draw, options, plusOneTable(c), out, 0);
  return Array.from(out, (v) => v - 1); // back to bytes; −1 marks cutout
}

const NO_CUTOUT = { cutoutY: 0, cutoutX: 0 };

// ---------------------------------------------------------------------------------------------------
// Randomness, shuffling, split

Deno.test("mulberry32 / mixSeed: deterministic, in [0, 1), seeds decorrelated", () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 10000 }, () => a());
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  assert.notEqual(mulberry32(43)(), mulberry32(42)());
  assert.equal(mixSeed(1, 2, 3), mixSeed(1, 2, 3));
  assert.notEqual(mixSeed(1, 2, 3), mixSeed(1, 3, 2), "order matters");
  assert.notEqual(mixSeed(0, 2 ** 32), mixSeed(0, 0), "high bits count");
  assert.throws(() => mixSeed(1.5), /integers/);
});

Deno.test("shuffle: a permutation, same seed → same, other seed → different", () => {
  const p = shuffle(1000, 7);
  assert.deepEqual(Array.from(p).sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(shuffle(1000, 7), p);
  assert.notDeepEqual(shuffle(1000, 8), p);
  assert.deepEqual(Array.from(shuffle(1, 3)), [0]);
  assert.equal(shuffle(0, 3).length, 0);
  assert.throws(() => shuffle(-1, 0), /non-negative/);
});

Deno.test("nb201Split: halves disjoint, covering, deterministic, seed-dependent", () => {
  const { train, valid } = nb201Split(10000, 0);
  assert.equal(train.length, 5000);
  assert.equal(valid.length, 5000);
  const seen = new Uint8Array(10000);
  for (const i of [...train, ...valid]) seen[i]++;
  assert.ok(seen.every((s) => s === 1), "every index exactly once");
  assert.ok(train.every((v, i) => i === 0 || train[i - 1] < v), "sorted");
  assert.deepEqual(nb201Split(10000, 0), { train, valid });
  assert.notDeepEqual(nb201Split(10000, 1).train, train);
  const odd = nb201Split(11, 3);
  assert.deepEqual([odd.train.length, odd.valid.length], [5, 6]);
  // train_10k is interleaved by class: a random half is close to balanced.
  for (let k = 0; k < 10; k++) {
    const n = train.filter((i) => i % 10 === k).length;
    assert.ok(n > 430 && n < 570, `class ${k}: ${n}`);
  }
});

// ---------------------------------------------------------------------------------------------------
// Downsampling, augmentation, normalisation

Deno.test("downsample2x: 2x2 mean rounded to nearest, halves up, NHWC", () => {
  // One 2x4 image, 2 channels: channel 0 windows {1,2,3,4} → 2.5 → 3 and {0,0,0,1} → 0.25 → 0;
  // channel 1 windows {0,0,1,2} → 0.75 → 1 and {255,255,255,254} → 254.75 → 255.
  const c0 = [[1, 2, 0, 0], [3, 4, 0, 1]];
  const c1 = [[0, 0, 255, 255], [1, 2, 255, 254]];
  const images = new Uint8Array(2 * 4 * 2);
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 4; x++) {
      images[(y * 4 + x) * 2] = c0[y][x];
      images[(y * 4 + x) * 2 + 1] = c1[y][x];
    }
  }
  const set: ImageSet = { images, labels: Int32Array.of(5), count: 1, height: 2, width: 4, channels: 2 };
  const small = downsample2x(set);
  assert.deepEqual([small.height, small.width, small.channels, small.count], [1, 2, 2, 1]);
  assert.deepEqual(Array.from(small.images), [3, 1, 0, 255]);
  assert.deepEqual(Array.from(small.labels), [5]);
  assert.throws(
    () => downsample2x({ ...set, width: 3, images: images.subarray(0, 12) }),
    /must be even, got 2x3/,
  );
});

Deno.test("augmentation: flip mirrors, crop shifts within the padding (zeros outside), no draw = identity", () => {
  const [H, W, C] = [6, 5, 3];
  const src = ramp(H, W, C);
  const at = (img: number[], y: number, x: number, c: number) => img[(y * W + x) * C + c];
  const srcAt = (y: number, x: number, c: number) => src[(y * W + x) * C + c];
  assert.deepEqual(render(src, H, W, C, null), Array.from(src));
  // Crop offset = pad: the image itself; with flip, mirrored left-right.
  assert.deepEqual(render(src, H, W, C, { dy: 4, dx: 4, flip: false, ...NO_CUTOUT }), Array.from(src));
  const flipped = render(src, H, W, C, { dy: 4, dx: 4, flip: true, ...NO_CUTOUT });
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) assert.equal(at(flipped, y, x, c), srcAt(y, W - 1 - x, c));
    }
  }
  // Every crop offset 0..8: out(y, x) = src(y + dy − 4, x + dx − 4), or 0 in the padding.
  for (let dy = 0; dy <= 8; dy++) {
    for (let dx = 0; dx <= 8; dx++) {
      const out = render(src, H, W, C, { dy, dx, flip: false, ...NO_CUTOUT });
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const sy = y + dy - 4, sx = x + dx - 4;
          const inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
          for (let c = 0; c < C; c++) assert.equal(at(out, y, x, c), inside ? srcAt(sy, sx, c) : 0);
        }
      }
    }
  }
  // Draws stay within the padding, and flips come up about half the time.
  const rng = mulberry32(1);
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const d = drawAugmentation(rng, H, W, { pad: 4 });
    assert.ok(d.dy >= 0 && d.dy <= 8 && d.dx >= 0 && d.dx <= 8);
    flips += d.flip ? 1 : 0;
  }
  assert.ok(flips > 900 && flips < 1100, `${flips} flips`);
  assert.equal(drawAugmentation(mulberry32(1), H, W, { flip: false }).flip, false);
  assert.deepEqual([drawAugmentation(mulberry32(1), H, W, { pad: 0 }).dy], [0]);
});

Deno.test("augmentation: cutout zeroes the DARTS square (2⌊L/2⌋ wide, clipped at the borders, all channels)", () => {
  const [H, W, C] = [16, 16, 3];
  const src = ramp(H, W, C);
  const zeroed = (img: number[]) => {
    const cells: string[] = [];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const z = [0, 1, 2].map((c) => img[(y * W + x) * C + c] === -1);
        if (z.some(Boolean)) {
          assert.ok(z.every(Boolean), "all channels together");
          cells.push(`${y},${x}`);
        }
      }
    }
    return cells;
  };
  const square = (y1: number, y2: number, x1: number, x2: number) => {
    const cells: string[] = [];
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) cells.push(`${y},${x}`);
    return cells;
  };
  const draw = { dy: 4, dx: 4, flip: false };
  assert.deepEqual(
    zeroed(render(src, H, W, C, { ...draw, cutoutY: 8, cutoutX: 5 }, { cutout: 8 })),
    square(4, 12, 1, 9),
  );
  assert.deepEqual(
    zeroed(render(src, H, W, C, { ...draw, cutoutY: 1, cutoutX: 15 }, { cutout: 8 })),
    square(0, 5, 11, 16),
  );
  assert.deepEqual(
    zeroed(render(src, H, W, C, { ...draw, cutoutY: 8, cutoutX: 8 }, { cutout: 5 })),
    square(6, 10, 6, 10),
  );
  assert.deepEqual(zeroed(render(src, H, W, C, { ...draw, cutoutY: 8, cutoutX: 8 }, { cutout: 0 })), []);
  // Outside the square the image is untouched.
  const cut = render(src, H, W, C, { ...draw, cutoutY: 8, cutoutX: 5 }, { cutout: 8 });
  assert.equal(cut[0], src[0]);
  // Turning cutout on does not change the crops and flips drawn.
  const a = drawAugmentation(mulberry32(9), H, W, {});
  const b = drawAugmentation(mulberry32(9), H, W, { cutout: 16 });
  assert.deepEqual([a.dy, a.dx, a.flip], [b.dy, b.dx, b.flip]);
  assert.ok(b.cutoutY >= 0 && b.cutoutY < H && b.cutoutX >= 0 && b.cutoutX < W);
});

Deno.test("normalisation: (v/255 − mean)/std with xautodl's statistics by default, DARTS' on request", () => {
  const t = normalizationTable(3, NB201_NORMALIZATION);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
  close(t[0], -125.3 / 63.0);
  close(t[255], (255 - 125.3) / 63.0);
  close(t[256 + 128], (128 - 123.0) / 62.1);
  close(t[2 * 256 + 255], (255 - 113.9) / 66.7);
  const d = normalizationTable(3, DARTS_NORMALIZATION);
  close(d[256 + 10], (10 / 255 - 0.4822) / 0.2435);
  const plain = normalizationTable(3, false);
  close(plain[2 * 256 + 51], 0.2);
  assert.throws(
    () => normalizationTable(1, NB201_NORMALIZATION),
    /one value per channel \(1 channels\), got 3 and 3/,
  );
  assert.throws(() => normalizationTable(1, { mean: [0], std: [0] }), /std must be > 0/);
});

// ---------------------------------------------------------------------------------------------------
// Batches

async function fixture(): Promise<ImageSet> {
  return await loadCifarFile(CIFAR10_20, { variant: "cifar10" });
}

function collect(it: Iterable<Batch>): { x: number[]; y: number[]; indices: number[]; step: number }[] {
  const out = [];
  for (const b of it) {
    out.push({ x: values(b.x), y: values(b.y), indices: Array.from(b.indices), step: b.step });
    b.x.dispose();
    b.y.dispose();
  }
  return out;
}

Deno.test("batches: shapes, dtypes, drop-last, labels and normalised pixels of the chosen images", async () => {
  await onBackend("cpu", async () => {
    const set = await fixture();
    const before = tf.memory().numTensors;
    const it = batches({ ...set, batchSize: 6, shuffle: false });
    const first = it.next().value as Batch;
    assert.deepEqual(first.x.shape, [6, 32, 32, 3]);
    assert.equal(first.x.dtype, "float32");
    assert.deepEqual(first.y.shape, [6]);
    assert.equal(first.y.dtype, "int32");
    assert.deepEqual(values(first.y), [0, 1, 2, 3, 4, 5]);
    const x = first.x.dataSync();
    const table = normalizationTable(3, NB201_NORMALIZATION);
    for (const i of [0, 1000, 3 * 3072 + 77]) assert.equal(x[i], table[(i % 3) * 256 + set.images[i]]);
    tf.dispose([first.x, first.y]);
    const rest = collect(it);
    assert.deepEqual(rest.map((b) => b.step), [1, 2], "20 images / 6: 3 full batches, the last 2 dropped");
    assert.equal(stepsPerEpoch(20, 6), 3);
    const all = collect(batches({ ...set, batchSize: 6, dropLast: false, seed: 3 }));
    assert.deepEqual(all.map((b) => b.y.length), [6, 6, 6, 2]);
    assert.deepEqual(
      all.flatMap((b) => b.indices).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(all.flatMap((b) => b.y), all.flatMap((b) => b.indices).map((i) => set.labels[i]));
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  });
});

Deno.test("batches: same seed → same batches, other seed or epoch → different; resumable at any step", async () => {
  await onBackend("cpu", async () => {
    const set = downsample2x(await fixture());
    const { train, valid } = nb201Split(set.count, 5);
    const options = { ...set, indices: train, batchSize: 4, seed: 11, epoch: 2, augment: { cutout: 4 } };
    const a = collect(batches(options));
    const b = collect(batches(options));
    assert.deepEqual(a, b);
    assert.equal(a.length, 2);
    assert.deepEqual(a[0].x.length, 4 * 16 * 16 * 3);
    assert.ok(
      a.flatMap((s) => s.indices).every((i) => train.includes(i) && !valid.includes(i)),
      "train half only",
    );
    assert.notDeepEqual(collect(batches({ ...options, seed: 12 })), a);
    assert.notDeepEqual(collect(batches({ ...options, epoch: 3 })), a);
    // Resuming at step 1 gives exactly what step 1 was.
    assert.deepEqual(collect(batches({ ...options, startStep: 1 })), a.slice(1));
    // Same order without augmentation, but different pixels: augmentation did something.
    const plain = collect(batches({ ...options, augment: false }));
    assert.deepEqual(plain.map((s) => s.indices), a.map((s) => s.indices));
    assert.notDeepEqual(plain.map((s) => s.x), a.map((s) => s.x));
  });
});

Deno.test("batches: clear errors for bad options; stopping early leaks nothing", async () => {
  await onBackend("cpu", async () => {
    const set = await fixture();
    const run = (o: object) => () => batches({ ...set, batchSize: 4, ...o }).next();
    assert.throws(run({ batchSize: 0 }), /batchSize must be a positive integer/);
    assert.throws(run({ batchSize: 21 }), /batchSize 21 is larger than the 20 images/);
    assert.throws(run({ indices: [0, 20] }), /indices\[1\] = 20 is outside the set \(0\.\.19\)/);
    assert.throws(run({ images: set.images.subarray(1) }), /do not make 20 images of 32x32x3/);
    assert.throws(run({ augment: { pad: -1 } }), /augment.pad/);
    const before = tf.memory().numTensors;
    for (const batch of batches({ ...set, batchSize: 4, augment: true })) {
      tf.dispose([batch.x, batch.y]);
      if (batch.step === 1) break;
    }
    assert.equal(tf.memory().numTensors, before);
  });
});
