/**
 * PSNR and SSIM as the super-resolution literature scores a model (SPECS §8c, the MATLAB protocol of
 * RCAN's `Evaluate_PSNR_SSIM.m` that IMDN and DLSR report): on the luma channel Y of BT.601 in [16, 235]
 * (MATLAB's `rgb2ycbcr` of the image as doubles, not rounded back to 8 bits: rounding it costs the
 * bicubic ×2 baseline 0.03 dB on Set5; a grey image is scored as it is), with `shave`
 * pixels (the scale) cut from every border; PSNR with peak 255; SSIM of Wang et al. (2004) with an 11×11
 * Gaussian window of σ 1.5, K1 = 0.01, K2 = 0.03, over the window's valid positions, averaged.
 * @module
 */
import type { SrImage } from "./image.ts";

/**
 * The luma plane of an 8-bit image, as MATLAB's `rgb2ycbcr(im2double(img))` · 255 gives it: Y = 16 +
 * (65.481 R + 128.553 G + 24.966 B) / 255, unrounded; a grey image's values as they are.
 * @example
 * ```ts
 * import { lumaY } from "./quality.ts";
 * const white = lumaY({ width: 1, height: 1, channels: 3, data: new Uint8Array([255, 255, 255]) });
 * console.assert(white[0] === 235);
 * ```
 */
export function lumaY(img: SrImage): Float64Array {
  const n = img.width * img.height;
  const y = new Float64Array(n);
  if (img.channels === 1) {
    for (let i = 0; i < n; i++) y[i] = img.data[i];
    return y;
  }
  const d = img.data;
  for (let i = 0; i < n; i++) {
    y[i] = 16 + (65.481 * d[3 * i] + 128.553 * d[3 * i + 1] + 24.966 * d[3 * i + 2]) / 255;
  }
  return y;
}

/** A plane of `width` × `height` values, row-major. */
interface Plane {
  width: number;
  height: number;
  data: Float64Array;
}

function checkPair(sr: SrImage, hr: SrImage, shave: number): void {
  if (sr.width !== hr.width || sr.height !== hr.height) {
    throw new Error(
      `the output is ${sr.width}×${sr.height} and the ground truth ${hr.width}×${hr.height}: ` +
        "they must be the same size (mod-crop the ground truth to the scale)",
    );
  }
  if (sr.channels !== hr.channels) {
    throw new Error(`the output has ${sr.channels} channel(s) and the ground truth ${hr.channels}`);
  }
  if (!Number.isInteger(shave) || shave < 0 || 2 * shave >= Math.min(sr.width, sr.height)) {
    throw new Error(`shave must be a whole number of pixels smaller than half the image, got ${shave}`);
  }
}

/** The Y planes of both images with `shave` pixels cut from each border. */
function shavedY(sr: SrImage, hr: SrImage, shave: number): [Plane, Plane] {
  checkPair(sr, hr, shave);
  const cut = (img: SrImage): Plane => {
    const y = lumaY(img);
    const width = img.width - 2 * shave, height = img.height - 2 * shave;
    const data = new Float64Array(width * height);
    for (let r = 0; r < height; r++) {
      data.set(
        y.subarray((r + shave) * img.width + shave, (r + shave) * img.width + shave + width),
        r * width,
      );
    }
    return { width, height, data };
  };
  return [cut(sr), cut(hr)];
}

/**
 * PSNR (dB) of `sr` against the ground truth `hr` on Y, `shave` pixels cut from each border (the scale,
 * in the SR protocol): 20·log10(255 / RMSE). Identical images give Infinity.
 * @example
 * ```ts
 * import { psnrY } from "./quality.ts";
 * const a = { width: 4, height: 4, channels: 1 as const, data: new Uint8Array(16).fill(100) };
 * const b = { ...a, data: new Uint8Array(16).fill(110) };
 * console.assert(Math.abs(psnrY(a, b, 1) - 20 * Math.log10(25.5)) < 1e-12);
 * ```
 */
export function psnrY(sr: SrImage, hr: SrImage, shave: number): number {
  const [a, b] = shavedY(sr, hr, shave);
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i] - b.data[i]) ** 2;
  return 20 * Math.log10(255 / Math.sqrt(se / a.data.length));
}

/** MATLAB's `fspecial('gaussian', 11, 1.5)` as its normalized 1-D factor (the 2-D window is its outer product). */
function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  const g = new Float64Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += g[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < size; i++) g[i] /= sum;
  return g;
}

/** `filter2(window, x, 'valid')` with the separable window g ⊗ g. */
function filterValid(x: Plane, g: Float64Array): Plane {
  const k = g.length;
  const w = x.width - k + 1, h = x.height - k + 1;
  const across = new Float64Array(w * x.height);
  for (let r = 0; r < x.height; r++) {
    for (let c = 0; c < w; c++) {
      let v = 0;
      for (let j = 0; j < k; j++) v += g[j] * x.data[r * x.width + c + j];
      across[r * w + c] = v;
    }
  }
  const data = new Float64Array(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let v = 0;
      for (let j = 0; j < k; j++) v += g[j] * across[(r + j) * w + c];
      data[r * w + c] = v;
    }
  }
  return { width: w, height: h, data };
}

/**
 * SSIM of `sr` against `hr` on Y, `shave` pixels cut from each border: Wang et al.'s `ssim_index` (11×11
 * Gaussian window, σ 1.5, K1 0.01, K2 0.03, L 255, valid positions), the mean of the SSIM map.
 * @example
 * ```ts
 * import { ssimY } from "./quality.ts";
 * const data = Uint8Array.from({ length: 400 }, (_, i) => (i * 37) % 256);
 * const img = { width: 20, height: 20, channels: 1 as const, data };
 * console.assert(Math.abs(ssimY(img, img, 2) - 1) < 1e-12);
 * ```
 */
export function ssimY(sr: SrImage, hr: SrImage, shave: number): number {
  const [a, b] = shavedY(sr, hr, shave);
  const g = gaussianWindow();
  if (a.width < g.length || a.height < g.length) {
    throw new Error(`ssimY: the shaved images are ${a.width}×${a.height}, smaller than SSIM's 11×11 window`);
  }
  const product = (p: Plane, q: Plane): Plane => ({
    width: p.width,
    height: p.height,
    data: p.data.map((v, i) => v * q.data[i]),
  });
  const [mu1, mu2] = [filterValid(a, g), filterValid(b, g)];
  const [e11, e22, e12] = [
    filterValid(product(a, a), g),
    filterValid(product(b, b), g),
    filterValid(product(a, b), g),
  ];
  const c1 = (0.01 * 255) ** 2, c2 = (0.03 * 255) ** 2;
  let sum = 0;
  const n = mu1.data.length;
  for (let i = 0; i < n; i++) {
    const m1 = mu1.data[i], m2 = mu2.data[i];
    const s11 = e11.data[i] - m1 * m1, s22 = e22.data[i] - m2 * m2, s12 = e12.data[i] - m1 * m2;
    sum += ((2 * m1 * m2 + c1) * (2 * s12 + c2)) / ((m1 * m1 + m2 * m2 + c1) * (s11 + s22 + c2));
  }
  return sum / n;
}
