/**
 * Training patches for super-resolution, as EDSR, IMDN and DLSR draw them: an aligned pair of a random
 * `patch` × `patch` crop of the low-resolution image and the `scale`·`patch` crop of the ground truth over
 * the same area, then (optionally) one of the 8 flips and transposes of the square, the same for both.
 * @module
 */
import { type Rng } from "../data/pipeline.ts";
import { cropImage, type SrImage } from "./image.ts";

/** Options of {@link randomPatchPair}. */
export interface PatchOptions {
  /** Side of the low-resolution patch in pixels (the ground-truth patch is `scale` times larger). */
  patch: number;
  /** The upscaling factor between the pair (e.g. 2). */
  scale: number;
  /** Apply a random horizontal flip, vertical flip and transpose (default true). */
  augment?: boolean;
}

/** An aligned low-resolution / ground-truth patch. */
export interface PatchPair {
  readonly lr: SrImage;
  readonly hr: SrImage;
}

/**
 * One of the 8 symmetries of a square image: output pixel (x, y) reads input (x', y') where x' and y' are
 * x and y mirrored left-right (`flipX`) and top-bottom (`flipY`), then swapped (`transpose`), each when
 * asked.
 * @example
 * ```ts
 * import { orientSquare } from "./patches.ts";
 * const img = { width: 2, height: 2, channels: 1 as const, data: Uint8Array.from([1, 2, 3, 4]) };
 * console.assert(orientSquare(img, { transpose: true }).data.join() === "1,3,2,4");
 * ```
 */
export function orientSquare(
  img: SrImage,
  o: { flipX?: boolean; flipY?: boolean; transpose?: boolean },
): SrImage {
  const n = img.width;
  if (img.height !== n) throw new Error(`orientSquare: the image is ${img.width}×${img.height}, not square`);
  const c = img.channels;
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let sx = o.flipX ? n - 1 - x : x, sy = o.flipY ? n - 1 - y : y;
      if (o.transpose) [sx, sy] = [sy, sx];
      for (let k = 0; k < c; k++) data[(y * n + x) * c + k] = img.data[(sy * n + sx) * c + k];
    }
  }
  return { width: n, height: n, channels: c, data };
}

/**
 * A random aligned patch pair of `lr` and its ground truth `hr` (which must be exactly `scale` times its
 * size), drawn with `rng`. Throws, with both sizes, when the image is smaller than a patch.
 */
export function randomPatchPair(lr: SrImage, hr: SrImage, rng: Rng, o: PatchOptions): PatchPair {
  const { patch, scale } = o;
  if (!Number.isInteger(patch) || patch < 1) {
    throw new Error(`patch must be a positive integer, got ${patch}`);
  }
  if (hr.width !== lr.width * scale || hr.height !== lr.height * scale) {
    throw new Error(
      `the ground truth is ${hr.width}×${hr.height}, not ${scale}× the ${lr.width}×${lr.height} input`,
    );
  }
  if (lr.width < patch || lr.height < patch) {
    throw new Error(
      `the image is ${lr.width}×${lr.height} at the input's size (${hr.width}×${hr.height} ground truth), ` +
        `smaller than a ${patch}×${patch} patch: use a smaller patch or leave the image out`,
    );
  }
  const x = Math.floor(rng() * (lr.width - patch + 1)), y = Math.floor(rng() * (lr.height - patch + 1));
  let pair = {
    lr: cropImage(lr, x, y, patch, patch),
    hr: cropImage(hr, x * scale, y * scale, patch * scale, patch * scale),
  };
  if (o.augment ?? true) {
    const how = { flipX: rng() < 0.5, flipY: rng() < 0.5, transpose: rng() < 0.5 };
    pair = { lr: orientSquare(pair.lr, how), hr: orientSquare(pair.hr, how) };
  }
  return pair;
}
