/**
 * Super-resolution: 8-bit images read from PNG, MATLAB's bicubic `imresize`, PSNR / SSIM by the SR
 * literature's protocol (Y channel, border shave), the benchmark sets, training patches and the DIV2K
 * downloader.
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
export {
  DIV2K_BASE_URL,
  div2kFiles,
  type Div2kSplit,
  downloadDiv2k,
  type DownloadDiv2kOptions,
} from "./div2k.ts";
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
