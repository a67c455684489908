/**
 * MATLAB's `imresize(img, scale, 'bicubic')` for 8-bit images, as the super-resolution literature makes its
 * low-resolution inputs and bicubic baselines (SPECS §8c): Keys' cubic kernel with a = −0.5, widened by
 * 1/scale when shrinking (antialiasing), weights normalized per output pixel, borders mirrored
 * (symmetric), rows resized before columns, and each pass rounded to 8 bits as MATLAB does for uint8.
 *
 * The ×2 LR images shipped with Set5, Set14 and BSD100 (../shared/data/sr) were made the same way except
 * at the borders, which they extend by repeating the edge pixel: `{ border: "replicate" }` reproduces all
 * 119 of them bit for bit; MATLAB's symmetric border differs from them only within 3 pixels of an edge
 * (mean absolute difference 0.007–0.013 per set).
 * @module
 */
import type { SrImage } from "./image.ts";

/** Keys' cubic convolution kernel with a = −0.5 (MATLAB's `cubic`). */
export function cubicKernel(x: number): number {
  const a = Math.abs(x), a2 = a * a, a3 = a2 * a;
  if (a <= 1) return 1.5 * a3 - 2.5 * a2 + 1;
  if (a <= 2) return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
  return 0;
}

/** How positions past an edge are read: MATLAB's mirror (…, 2, 1, 1, 2, …), or the edge pixel repeated. */
export type ResizeBorder = "symmetric" | "replicate";

/** Options of {@link imresize}. */
export interface ImresizeOptions {
  /** Default "symmetric" (MATLAB's). */
  border?: ResizeBorder;
}

/** For each output position, the input positions (0-based, mirrored into range) and their weights. */
export interface Contributions {
  readonly indices: Int32Array;
  readonly weights: Float64Array;
  /** Taps per output position. */
  readonly taps: number;
}

/**
 * MATLAB's `contributions`: output pixel x (1-based) sits at input coordinate u = x/scale + (1 − 1/scale)/2;
 * it reads ⌈kernel width⌉ + 2 inputs from ⌊u − width/2⌋ on, weighted by the kernel (scaled when shrinking)
 * and normalized to sum 1; indices past an edge are mirrored (…, 2, 1, 1, 2, …) or clamped to it.
 * @example
 * ```ts
 * import { contributions } from "./imresize.ts";
 * const c = contributions(4, 2, 0.5); // halving: 8 taps of a kernel twice as wide
 * console.assert(c.taps === 10 && Math.abs(c.weights.slice(0, 10).reduce((a, b) => a + b) - 1) < 1e-12);
 * ```
 */
export function contributions(
  inLength: number,
  outLength: number,
  scale: number,
  border: ResizeBorder = "symmetric",
): Contributions {
  const shrink = scale < 1;
  const kernelWidth = shrink ? 4 / scale : 4;
  const kernel = shrink ? (x: number) => scale * cubicKernel(scale * x) : cubicKernel;
  const taps = Math.ceil(kernelWidth) + 2;
  const indices = new Int32Array(outLength * taps);
  const weights = new Float64Array(outLength * taps);
  const period = 2 * inLength;
  for (let x = 1; x <= outLength; x++) {
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const w = kernel(u - (left + j));
      weights[(x - 1) * taps + j] = w;
      sum += w;
      const i = left + j - 1; // 0-based
      const m = ((i % period) + period) % period;
      indices[(x - 1) * taps + j] = border === "replicate"
        ? Math.min(inLength - 1, Math.max(0, i))
        : m < inLength
        ? m
        : period - 1 - m;
    }
    for (let j = 0; j < taps; j++) weights[(x - 1) * taps + j] /= sum;
  }
  return { indices, weights, taps };
}

/** MATLAB's rounding of a double to uint8: to nearest, halves away from zero, saturated. */
function toUint8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/**
 * Resize by `scale` (e.g. 0.5 to make a ×2 input, 2 for the bicubic ×2 baseline): the output is
 * ⌈scale · side⌉ pixels a side, as MATLAB's.
 * @example
 * ```ts
 * import { imresize } from "./imresize.ts";
 * const flat = { width: 4, height: 4, channels: 1 as const, data: new Uint8Array(16).fill(77) };
 * const half = imresize(flat, 0.5);
 * console.assert(half.width === 2 && half.data.every((v) => v === 77));
 * ```
 */
export function imresize(img: SrImage, scale: number, o: ImresizeOptions = {}): SrImage {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new Error(`imresize: scale must be a positive number, got ${scale}`);
  }
  const border = o.border ?? "symmetric";
  if (border !== "symmetric" && border !== "replicate") {
    throw new Error(`imresize: border must be "symmetric" or "replicate", got ${JSON.stringify(border)}`);
  }
  const outW = Math.ceil(img.width * scale), outH = Math.ceil(img.height * scale);
  const c = img.channels;
  // Rows first (MATLAB resizes along the dimension of the smaller scale first; with equal ones, dim 1).
  const rows = contributions(img.height, outH, scale, border);
  const tall = new Uint8Array(img.width * outH * c);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < img.width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let j = 0; j < rows.taps; j++) {
          v += rows.weights[y * rows.taps + j] *
            img.data[(rows.indices[y * rows.taps + j] * img.width + x) * c + ch];
        }
        tall[(y * img.width + x) * c + ch] = toUint8(v);
      }
    }
  }
  const cols = contributions(img.width, outW, scale, border);
  const data = new Uint8Array(outW * outH * c);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let j = 0; j < cols.taps; j++) {
          v += cols.weights[x * cols.taps + j] *
            tall[(y * img.width + cols.indices[x * cols.taps + j]) * c + ch];
        }
        data[(y * outW + x) * c + ch] = toUint8(v);
      }
    }
  }
  return { width: outW, height: outH, channels: c, data };
}
