/**
 * The input pipeline of a search: seeded shuffling, the NAS-Bench-201 half/half split, 2x downsampling,
 * DARTS-style augmentation (pad-4 random crop, horizontal flip, cutout), normalisation and batching.
 *
 * Everything random comes from one documented generator (mulberry32) seeded by a hash of
 * (run seed, epoch, step, purpose), so a batch depends on those numbers only: two runs with the same seed
 * see the same batches, and a run resumed at (epoch, step) sees what it would have seen without stopping.
 * Augmentation runs on the uint8 pixels in plain JavaScript before any tensor exists: a few array
 * writes per pixel are much cheaper than the tfjs kernels (pad, slice, reverse, mask) it would take.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";

/** Images in memory: uint8 pixels in NHWC order and one integer label per image. */
export interface ImageSet {
  /** count × height × width × channels bytes, NHWC (channel fastest). */
  images: Uint8Array;
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

/** Per-channel mean and standard deviation on the [0, 1] scale (torchvision's `Normalize`). */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/** NAS-Bench-201 (xautodl) CIFAR statistics: mean [125.3, 123.0, 113.9]/255, std [63.0, 62.1, 66.7]/255. */
export const NB201_NORMALIZATION: Normalization = Object.freeze({
  mean: Object.freeze([125.3 / 255, 123.0 / 255, 113.9 / 255]),
  std: Object.freeze([63.0 / 255, 62.1 / 255, 66.7 / 255]),
});

/** The DARTS code's CIFAR-10 statistics. */
export const DARTS_NORMALIZATION: Normalization = Object.freeze({
  mean: Object.freeze([0.4914, 0.4822, 0.4465]),
  std: Object.freeze([0.2470, 0.2435, 0.2616]),
});

// ---------------------------------------------------------------------------------------------------
// Seeded randomness

/** A generator of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): one 32-bit state, period 2^32, statistically
 * adequate for shuffling and augmentation, and a few lines to reimplement elsewhere (e.g. to reproduce
 * a run's batches in Python). Returns floats in [0, 1) with 32 random bits.
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit seed from a list of integers, e.g. (run seed, epoch, step, purpose). Order matters, and
 * nearby inputs give unrelated outputs, so seeds for different epochs or steps never overlap in a
 * visible way.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) {
    if (!Number.isInteger(p)) throw new Error(`seed parts must be integers, got ${p}`);
    // Split p into 32-bit halves so seeds beyond 2^32 (and negative ones) still count.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = fmix32(Math.imul(h ^ fmix32(lo), 0x9e3779b1) ^ hi);
  }
  return h;
}

// Purposes, mixed into seeds so the split, the epoch order and the augmentation draw independent streams.
const SPLIT = 1;
const ORDER = 2;
const AUGMENT = 3;

/** An integer in [0, n) from `rng`. */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** A seeded permutation of 0..n−1 (Fisher–Yates with mulberry32(seed)). */
export function shuffle(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`shuffle: n must be a non-negative integer, got ${n}`);
  const rng = mulberry32(seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** The two halves of a search data set. */
export interface SearchSplit {
  /** Indices that train the weights w (sorted ascending). */
  train: Int32Array;
  /** Indices that train the architecture α (sorted ascending). */
  valid: Int32Array;
}

/**
 * NAS-Bench-201's search split: the training set cut at random into two halves, one for the weights
 * ("train") and one for the architecture ("valid"), deterministic in `seed`. With an odd count the
 * extra image goes to "valid". Both halves are sorted, so they read as sets; batches shuffle them.
 */
export function nb201Split(count: number, seed = 0): SearchSplit {
  const order = shuffle(count, mixSeed(seed, SPLIT));
  const half = Math.floor(count / 2);
  return { train: order.slice(0, half).sort(), valid: order.slice(half).sort() };
}

// ---------------------------------------------------------------------------------------------------
// Downsampling

/**
 * Average-pools every image 2x2 (stride 2): each output byte is the mean of its four inputs, rounded
 * to nearest with halves up, i.e. ⌊(a + b + c + d + 2) / 4⌋. Height and width must be even.
 */
export function downsample2x(set: ImageSet): ImageSet {
  const { count, height, width, channels, images } = set;
  if (height % 2 !== 0 || width % 2 !== 0) {
    throw new Error(`downsample2x: height and width must be even, got ${height}x${width}`);
  }
  checkImageSet(set, "downsample2x");
  const h = height / 2;
  const w = width / 2;
  const out = new Uint8Array(count * h * w * channels);
  const row = width * channels;
  let o = 0;
  for (let n = 0; n < count; n++) {
    const base = n * height * row;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = base + 2 * y * row + 2 * x * channels;
        for (let c = 0; c < channels; c++) {
          const q = p + c;
          out[o++] = (images[q] + images[q + channels] + images[q + row] + images[q + row + channels] + 2) >>
            2;
        }
      }
    }
  }
  return { images: out, labels: set.labels.slice(), count, height: h, width: w, channels };
}

function checkImageSet(set: ImageSet, where: string): void {
  const per = set.height * set.width * set.channels;
  if (set.images.length !== set.count * per) {
    throw new Error(
      `${where}: ${set.images.length} pixel bytes do not make ${set.count} images of ` +
        `${set.height}x${set.width}x${set.channels} (${set.count * per} bytes)`,
    );
  }
  if (set.labels.length !== set.count) {
    throw new Error(`${where}: ${set.labels.length} labels for ${set.count} images`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Augmentation

/** DARTS / NAS-Bench-201 training augmentation. */
export interface AugmentOptions {
  /** Zero padding on each side before the random crop back to the original size (default 4; 0 = no crop). */
  pad?: number;
  /** Random horizontal flip with probability 1/2 (default true). */
  flip?: boolean;
  /** Cutout length L (default 0 = off): see `renderImage`. DARTS' evaluation uses 16 at 32x32. */
  cutout?: number;
}

/** The random choices for one image. */
export interface AugmentDraw {
  /** Crop offset in the padded image, 0..2·pad. */
  dy: number;
  dx: number;
  flip: boolean;
  /** Cutout centre, 0..height−1 and 0..width−1. */
  cutoutY: number;
  cutoutX: number;
}

function augmentDefaults(options: AugmentOptions): Required<AugmentOptions> {
  const o = { pad: 4, flip: true, cutout: 0, ...options };
  if (!Number.isInteger(o.pad) || o.pad < 0) {
    throw new Error(`augment.pad must be an integer ≥ 0, got ${o.pad}`);
  }
  if (!Number.isInteger(o.cutout) || o.cutout < 0) {
    throw new Error(`augment.cutout must be an integer ≥ 0, got ${o.cutout}`);
  }
  return o;
}

/**
 * Draws one image's augmentation from `rng`. Always five draws in the same order (crop y, crop x,
 * flip, cutout y, cutout x), whatever is switched off, so turning cutout on does not change the
 * crops and flips of a run.
 */
export function drawAugmentation(
  rng: Rng,
  height: number,
  width: number,
  options: AugmentOptions = {},
): AugmentDraw {
  const { pad, flip, cutout } = augmentDefaults(options);
  const dy = randomInt(rng, 2 * pad + 1);
  const dx = randomInt(rng, 2 * pad + 1);
  const flipped = rng() < 0.5;
  const cutoutY = randomInt(rng, height);
  const cutoutX = randomInt(rng, width);
  return {
    dy,
    dx,
    flip: flip && flipped,
    cutoutY: cutout > 0 ? cutoutY : 0,
    cutoutX: cutout > 0 ? cutoutX : 0,
  };
}

/**
 * Per-channel lookup table byte → network input: (v/255 − mean)/std, or v/255 without normalisation.
 * A table makes the value of a byte exactly the same wherever it appears.
 */
export function normalizationTable(channels: number, normalize: Normalization | false): Float32Array {
  const table = new Float32Array(channels * 256);
  if (normalize) {
    if (normalize.mean.length !== channels || normalize.std.length !== channels) {
      throw new Error(
        `normalize: mean and std need one value per channel (${channels} channels), got ` +
          `${normalize.mean.length} and ${normalize.std.length}`,
      );
    }
    if (normalize.std.some((s) => !(s > 0))) {
      throw new Error(`normalize: std must be > 0, got ${normalize.std}`);
    }
  }
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) {
      table[c * 256 + v] = normalize ? (v / 255 - normalize.mean[c]) / normalize.std[c] : v / 255;
    }
  }
  return table;
}

/** Shape of one image. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * Writes one image, augmented and normalised, as float32 into `out` at `outOffset` (NHWC).
 *
 * With a draw: the image is zero-padded by `pad` on each side (zero bytes, i.e. black, as torchvision's
 * RandomCrop pads the unnormalised image), cropped back to height × width at (dy, dx), then mirrored
 * left-right if `flip`. Cutout (DARTS' `Cutout`, which comes after normalisation) then sets rows
 * [cy − ⌊L/2⌋, cy + ⌊L/2⌋) × columns [cx − ⌊L/2⌋, cx + ⌊L/2⌋), clipped at the borders, to 0 in all
 * channels: as in DARTS, the square is 2⌊L/2⌋ wide. Without a draw (`null`) the image is only normalised.
 */
export function renderImage(
  src: Uint8Array,
  srcOffset: number,
  shape: ImageShape,
  draw: AugmentDraw | null,
  options: AugmentOptions,
  table: Float32Array,
  out: Float32Array,
  outOffset: number,
): void {
  const { height: H, width: W, channels: C } = shape;
  if (!draw) {
    const n = H * W * C;
    for (let i = 0; i < n; i++) out[outOffset + i] = table[(i % C) * 256 + src[srcOffset + i]];
    return;
  }
  const { pad, cutout } = augmentDefaults(options);
  for (let y = 0; y < H; y++) {
    const sy = y + draw.dy - pad;
    for (let x = 0; x < W; x++) {
      const cx = draw.flip ? W - 1 - x : x; // column in the crop
      const sx = cx + draw.dx - pad;
      const o = outOffset + (y * W + x) * C;
      if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
        for (let c = 0; c < C; c++) out[o + c] = table[c * 256]; // padding: a zero byte
      } else {
        const s = srcOffset + (sy * W + sx) * C;
        for (let c = 0; c < C; c++) out[o + c] = table[c * 256 + src[s + c]];
      }
    }
  }
  if (cutout > 0) {
    const half = Math.floor(cutout / 2);
    const y1 = Math.max(0, draw.cutoutY - half), y2 = Math.min(H, draw.cutoutY + half);
    const x1 = Math.max(0, draw.cutoutX - half), x2 = Math.min(W, draw.cutoutX + half);
    for (let y = y1; y < y2; y++) out.fill(0, outOffset + (y * W + x1) * C, outOffset + (y * W + x2) * C);
  }
}

// ---------------------------------------------------------------------------------------------------
// Batches

/** Options of `batches`: the image set's fields (spread an `ImageSet` in) plus how to batch it. */
export interface BatchOptions {
  images: Uint8Array;
  labels: Int32Array;
  height: number;
  width: number;
  channels: number;
  /** Which images to use (e.g. one half of `nb201Split`); default all. */
  indices?: Int32Array | readonly number[];
  batchSize: number;
  /** Run seed (default 0). */
  seed?: number;
  /** Epoch number: each epoch has its own order and augmentation (default 0). */
  epoch?: number;
  /** New order every epoch (default true); false keeps `indices` order (evaluation). */
  shuffle?: boolean;
  /** Augmentation: false (default), true (pad 4 + flip) or options. */
  augment?: boolean | AugmentOptions;
  /** Normalisation (default NAS-Bench-201's CIFAR statistics); false gives v/255. */
  normalize?: Normalization | false;
  /**
   * Drop the last, incomplete batch (default true): every batch then has exactly `batchSize` images
   * (fixed shapes for the kernels, equal weight per step), and the images that fall off differ from
   * epoch to epoch when shuffling. False yields it, smaller.
   */
  dropLast?: boolean;
  /** First step to yield (default 0): resumes an epoch where it stopped, with identical batches. */
  startStep?: number;
}

/** One batch. The caller owns (and disposes) the tensors. */
export interface Batch {
  /** [batch, height, width, channels] float32. */
  x: tf.Tensor4D;
  /** [batch] int32 labels. */
  y: tf.Tensor1D;
  /** Step within the epoch, from 0. */
  step: number;
  /** Which images (indices into the set) are in the batch, in order. */
  indices: Int32Array;
}

/** Number of batches in an epoch of `n` images. */
export function stepsPerEpoch(n: number, batchSize: number, dropLast = true): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** The order in which an epoch visits `indices`: a seeded permutation per (seed, epoch). */
export function epochOrder(indices: Int32Array | readonly number[], seed: number, epoch: number): Int32Array {
  const perm = shuffle(indices.length, mixSeed(seed, epoch, ORDER));
  const out = new Int32Array(indices.length);
  for (let i = 0; i < out.length; i++) out[i] = indices[perm[i]];
  return out;
}

/**
 * Yields the batches of one epoch as tensors: images in a seeded order, augmented with a generator
 * seeded by (seed, epoch, step), normalised. Tensors are created only when a batch is yielded, so
 * stopping early leaks nothing; every yielded tensor is the caller's to dispose.
 */
export function* batches(options: BatchOptions): Generator<Batch> {
  const {
    images,
    labels,
    height,
    width,
    channels,
    batchSize,
    seed = 0,
    epoch = 0,
    shuffle: reorder = true,
    augment = false,
    normalize = NB201_NORMALIZATION,
    dropLast = true,
    startStep = 0,
  } = options;
  const count = labels.length;
  checkImageSet({ images, labels, count, height, width, channels }, "batches");
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batches: batchSize must be a positive integer, got ${batchSize}`);
  }
  const indices = options.indices ?? Int32Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!Number.isInteger(k) || k < 0 || k >= count) {
      throw new Error(`batches: indices[${i}] = ${k} is outside the set (0..${count - 1})`);
    }
  }
  const steps = stepsPerEpoch(indices.length, batchSize, dropLast);
  if (steps === 0 && indices.length > 0) {
    throw new Error(
      `batches: batchSize ${batchSize} is larger than the ${indices.length} images, so dropLast leaves no batch`,
    );
  }
  if (!Number.isInteger(startStep) || startStep < 0) {
    throw new Error(`batches: startStep must be an integer ≥ 0, got ${startStep}`);
  }
  const augmentOptions = augment === true ? {} : augment === false ? null : augment;
  if (augmentOptions) augmentDefaults(augmentOptions); // fail before the first batch
  const order = reorder ? epochOrder(indices, seed, epoch) : Int32Array.from(indices);
  const table = normalizationTable(channels, normalize);
  const shape = { height, width, channels };
  const per = height * width * channels;
  for (let step = startStep; step < steps; step++) {
    const picked = order.slice(step * batchSize, Math.min((step + 1) * batchSize, order.length));
    const rng = augmentOptions ? mulberry32(mixSeed(seed, epoch, step, AUGMENT)) : null;
    const x = new Float32Array(picked.length * per);
    const y = new Int32Array(picked.length);
    for (let b = 0; b < picked.length; b++) {
      const k = picked[b];
      const draw = rng ? drawAugmentation(rng, height, width, augmentOptions!) : null;
      renderImage(images, k * per, shape, draw, augmentOptions ?? {}, table, x, b * per);
      y[b] = labels[k];
    }
    yield {
      x: tf.tensor4d(x, [picked.length, height, width, channels], "float32"),
      y: tf.tensor1d(y, "int32"),
      step,
      indices: picked,
    };
  }
}
