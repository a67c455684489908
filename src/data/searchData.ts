/**
 * The images of a search, as its config names them: the shipped 16x16 subset, any file in our format,
 * or official CIFAR-10 binaries (one file or the extracted folder), cut to `limit` images and pooled
 * `downsample` times. Every failure says which file and what to do.
 * @module
 */
import { fileURLToPath } from "node:url";
import { CIFAR_ARCHIVES, downloadCifar } from "./download.ts";
import { loadCifarFile } from "./cifar.ts";
import { downsample2x, type ImageSet } from "./pipeline.ts";
import { loadSadartsFile } from "./sadartsFormat.ts";
import type { DataConfig } from "../search/config.ts";

/** The shipped 10k-image CIFAR-10 subset at 16x16 (see data/README.md). */
export const BUNDLED_CIFAR10_16X16: string = fileURLToPath(
  new URL("../../data/cifar10_train10k_16x16.bin", import.meta.url),
);

/** Where `cifar10` data is looked for (and downloaded to) when the config names no path. */
export const DEFAULT_CIFAR_CACHE = "data/cifar10";

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

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function loadCifar10(path: string | undefined): Promise<ImageSet> {
  const spec = CIFAR_ARCHIVES.cifar10;
  const root = path ?? DEFAULT_CIFAR_CACHE;
  if (!(await isDirectory(root))) {
    if (path !== undefined && !path.endsWith("/")) return await loadCifarFile(path, { variant: "cifar10" });
    throw new Error(
      `CIFAR-10 not found in ${root}: run the search once with --download (fetches the official archive, ` +
        `${
          (spec.bytes / 1e6).toFixed(0)
        } MB, into ${root}), or put the extracted ${spec.dir}/ folder there, ` +
        `or pass --data <file or folder>`,
    );
  }
  const dir = (await isDirectory(`${root}/${spec.dir}`)) ? `${root}/${spec.dir}` : root;
  const sets: ImageSet[] = [];
  for (const file of spec.train) sets.push(await loadCifarFile(`${dir}/${file}`, { variant: "cifar10" }));
  return concat(sets);
}

/** Fetch the official CIFAR-10 binaries into `dir` (default {@link DEFAULT_CIFAR_CACHE}) if missing. */
export async function ensureCifar10(
  dir = DEFAULT_CIFAR_CACHE,
  onProgress?: (bytes: number, total: number) => void,
): Promise<void> {
  await downloadCifar({ variant: "cifar10", cacheDir: dir, onProgress });
}

/** The search's images as `data` describes them. */
export async function loadSearchData(data: DataConfig): Promise<ImageSet> {
  let set = data.format === "sadarts"
    ? await loadSadartsFile(data.path ?? BUNDLED_CIFAR10_16X16)
    : await loadCifar10(data.path);
  if (set.channels !== 3) {
    const name = data.path ?? BUNDLED_CIFAR10_16X16;
    throw new Error(
      `${name} has ${set.channels}-channel images, but the search normalises with CIFAR-10's per-channel ` +
        `statistics and needs 3 (RGB): convert the file to 3 channels`,
    );
  }
  if (data.limit !== undefined) {
    if (data.limit > set.count) {
      throw new Error(`data.limit ${data.limit} is more than the ${set.count} images of the data`);
    }
    const per = set.height * set.width * set.channels;
    set = {
      ...set,
      count: data.limit,
      images: set.images.slice(0, data.limit * per),
      labels: set.labels.slice(0, data.limit),
    };
  }
  for (let i = 0; i < data.downsample; i++) set = downsample2x(set);
  return set;
}
