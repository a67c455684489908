/**
 * Super-resolution: 8-bit images read from PNG, MATLAB's bicubic `imresize`, and PSNR / SSIM by the SR
 * literature's protocol (Y channel, border shave).
 * @module
 */
export { cropImage, decodePng, modCrop, readPng, type SrImage } from "./image.ts";
export {
  type Contributions,
  contributions,
  cubicKernel,
  imresize,
  type ImresizeOptions,
  type ResizeBorder,
} from "./imresize.ts";
export { orientSquare, type PatchOptions, type PatchPair, randomPatchPair } from "./patches.ts";
export { lumaY, psnrY, ssimY } from "./quality.ts";
export {
  bicubicModel,
  loadBenchmarkSet,
  scoreSet,
  SR_BENCHMARK_SETS,
  type SrImageScore,
  type SrModel,
  type SrPair,
  type SrSetScore,
} from "./benchmarks.ts";
