/**
 * The training and test images of a training run, as its config names them: the shipped 16×16 CIFAR-10
 * subset (10k training images, 2k of CIFAR-10's test set), any pair of files in our format, or the
 * official CIFAR-10 / CIFAR-100 binaries (the extracted archive, fetched with `downloadCifar`).
 * @module
 */
import { fileURLToPath } from "node:url";
import { loadCifarFile } from "../data/cifar.ts";
import { pathExists } from "../data/dataFile.ts";
import { CIFAR_ARCHIVES } from "../data/download.ts";
import type { ImageSet } from "../data/pipeline.ts";
import { loadSadartsFile } from "../data/sadartsFormat.ts";
import { BUNDLED_CIFAR10_16X16 } from "../data/searchData.ts";
import type { TrainConfig } from "./config.ts";

/** The shipped 2k CIFAR-10 test images at 16×16 (data/README.md). */
export const BUNDLED_CIFAR10_TEST_16X16: string = fileURLToPath(
  new URL("../../data/cifar10_test2k_16x16.bin", import.meta.url),
);

/** Training and test images. */
export interface TrainData {
  train: ImageSet;
  test: ImageSet;
}

function first(set: ImageSet, limit: number | undefined, what: string): ImageSet {
  if (limit === undefined) return set;
  if (limit > set.count) throw new Error(`${what} ${limit} is more than the ${set.count} images of the data`);
  const per = set.height * set.width * set.channels;
  return {
    ...set,
    count: limit,
    images: set.images.slice(0, limit * per),
    labels: set.labels.slice(0, limit),
  };
}

function concat(sets: ImageSet[]): ImageSet {
  const { height, width, channels } = sets[0];
  const count = sets.reduce((n, s) => n + s.count, 0);
  const images = new Uint8Array(count * height * width * channels);
  const labels = new Int32Array(count);
  let n = 0;
  for (const s of sets) {
    images.set(s.images, n * height * width * channels);
    labels.set(s.labels, n);
    n += s.count;
  }
  return { images, labels, count, height, width, channels };
}

/** The official archive's folder for `dataset` under `root` (the extracted folder, or the one holding it). */
async function archiveDir(root: string, dataset: TrainConfig["dataset"]): Promise<string> {
  const spec = CIFAR_ARCHIVES[dataset];
  if (await pathExists(`${root}/${spec.dir}`)) return `${root}/${spec.dir}`;
  if (await pathExists(`${root}/${spec.test}`)) return root;
  throw new Error(
    `${dataset} not found in ${root}: run the training once with --download (fetches the official archive, ` +
      `${(spec.bytes / 1e6).toFixed(0)} MB, into ${root}), or put the extracted ${spec.dir}/ folder there, ` +
      `or pass --data <folder>`,
  );
}

/** The default folder of the official binaries of `dataset`. */
export function defaultCifarDir(dataset: TrainConfig["dataset"]): string {
  return `data/${dataset}`;
}

/** The images `config.data` names, cut to its limits. */
export async function loadTrainData(config: TrainConfig): Promise<TrainData> {
  const d = config.data;
  let train: ImageSet, test: ImageSet;
  if (d.format === "sadarts") {
    if (config.dataset !== "cifar10" && (d.path === undefined || d.testPath === undefined)) {
      throw new Error(
        `the shipped 16x16 images are CIFAR-10's: for ${config.dataset} give data.path and data.testPath ` +
          `(files in our format), or use the official binaries (data.format "cifar", --download)`,
      );
    }
    train = await loadSadartsFile(d.path ?? BUNDLED_CIFAR10_16X16);
    test = await loadSadartsFile(d.testPath ?? BUNDLED_CIFAR10_TEST_16X16);
  } else {
    const dir = await archiveDir(d.path ?? defaultCifarDir(config.dataset), config.dataset);
    const spec = CIFAR_ARCHIVES[config.dataset];
    const read = (file: string) => loadCifarFile(`${dir}/${file}`, { variant: config.dataset });
    train = concat(await Promise.all(spec.train.map(read)));
    test = await read(spec.test);
  }
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new Error(
      `the training images are ${train.height}x${train.width}x${train.channels} but the test images ` +
        `${test.height}x${test.width}x${test.channels}: give test images of the training images' size`,
    );
  }
  return { train: first(train, d.limit, "data.limit"), test: first(test, d.testLimit, "data.testLimit") };
}
