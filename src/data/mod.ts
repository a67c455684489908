/**
 * Data: the official CIFAR readers and downloader, our compact format, the search input pipeline.
 * @module
 */
export * from "./cifar.ts";
export * from "./download.ts";
export * from "./sadartsFormat.ts";
export * from "./searchData.ts";
export {
  batches,
  DARTS_NORMALIZATION,
  downsample2x,
  type ImageSet,
  NB201_NORMALIZATION,
  nb201Split,
  type Normalization,
  stepsPerEpoch,
} from "./pipeline.ts";
