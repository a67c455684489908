/**
 * Training batches for super-resolution, as `data/pipeline.ts` makes them for classification: an epoch
 * visits the images in a seeded order (`epochOrder`), and step s of epoch e draws its patches (position,
 * flips, transpose) from a generator seeded by (seed, e, s) alone, so a resumed run draws the same
 * batches. Inputs are the low-resolution patches, targets the ground-truth ones, both RGB in [0, 1]
 * (a grey image's channel repeated three times, as SR networks take RGB).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { epochOrder, mixSeed, mulberry32, stepsPerEpoch } from "../data/pipeline.ts";
import type { SrImage } from "./image.ts";
import { randomPatchPair } from "./patches.ts";

/** An image pair to draw patches from: the input and its `scale`× ground truth. */
export interface SrTrainingPair {
  readonly lr: SrImage;
  readonly hr: SrImage;
}

/** Options of {@link srBatches}. */
export interface SrBatchOptions {
  pairs: readonly SrTrainingPair[];
  /** Which pairs this split uses (indices into `pairs`). */
  indices: readonly number[];
  batchSize: number;
  /** Side of the low-resolution patch. */
  patch: number;
  scale: number;
  seed: number;
  epoch: number;
  /** Random flips and transposes (default true). */
  augment?: boolean;
}

/** One batch: [B, p, p, 3] inputs and [B, s·p, s·p, 3] targets, float32 in [0, 1]; the caller disposes them. */
export interface SrBatch {
  x: tf.Tensor4D;
  y: tf.Tensor4D;
  step: number;
  indices: Int32Array;
}

const PATCHES = 4; // a purpose mixed into the seed, apart from the classification pipeline's

function toRgbFloats(img: SrImage, out: Float32Array, at: number): void {
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[at + 3 * i + c] = img.data[img.channels === 3 ? 3 * i + c : i] / 255;
  }
}

/** The batches of one epoch (the last partial batch dropped). */
export function* srBatches(o: SrBatchOptions): Generator<SrBatch> {
  const { batchSize: B, patch: p, scale: s } = o;
  if (!Number.isInteger(B) || B < 1) throw new Error(`batchSize must be a positive integer, got ${B}`);
  const steps = stepsPerEpoch(o.indices.length, B);
  if (steps === 0) {
    throw new Error(`batch size ${B} is larger than the ${o.indices.length} training images: no step to run`);
  }
  const order = epochOrder(o.indices, o.seed, o.epoch);
  const lrSize = p * p * 3, hrSize = p * s * p * s * 3;
  for (let step = 0; step < steps; step++) {
    const rng = mulberry32(mixSeed(o.seed, o.epoch, step, PATCHES));
    const x = new Float32Array(B * lrSize), y = new Float32Array(B * hrSize);
    const picked = order.slice(step * B, (step + 1) * B);
    picked.forEach((i, b) => {
      const pair = randomPatchPair(o.pairs[i].lr, o.pairs[i].hr, rng, {
        patch: p,
        scale: s,
        augment: o.augment ?? true,
      });
      toRgbFloats(pair.lr, x, b * lrSize);
      toRgbFloats(pair.hr, y, b * hrSize);
    });
    yield {
      x: tf.tensor4d(x, [B, p, p, 3]),
      y: tf.tensor4d(y, [B, p * s, p * s, 3]),
      step,
      indices: picked,
    };
  }
}
