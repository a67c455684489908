/**
 * The SR benchmark sets in the layouts they ship in, and scoring a model on them by the SR protocol.
 *
 * - Pairs (Set5, Set14, B100 as `BSD100`): `<root>/<set>/x<s>/img_NNN_SRF_<s>_HR.png` with its `_LR.png`
 *   beside it, the layout of Huang et al.'s SelfExSR release.
 * - Ground truth only (Urban100, or any set without an `x<s>` folder): `<root>/<set>/HR/*.png`; the input
 *   is made as the literature makes it, the HR image mod-cropped to the scale and shrunk by MATLAB's
 *   bicubic {@link imresize} with MATLAB's own (symmetric) border. The shipped Set5/Set14/B100 inputs
 *   were made with a replicated border instead (imresize.ts); the two differ only within 3 pixels of an
 *   edge.
 * @module
 */
import { join } from "node:path";
import { didYouMean } from "../search/didYouMean.ts";
import { modCrop, readPng, type SrImage } from "./image.ts";
import { imresize } from "./imresize.ts";
import { psnrY, ssimY } from "./quality.ts";

/** The four ×2 benchmark sets of the paper's Tables 3 and 7, in their order. */
export const SR_BENCHMARK_SETS = ["Set5", "Set14", "B100", "Urban100"] as const;

/** Folder of each set under a data root (papers' B100 ships as BSD100). */
const SET_FOLDERS: Record<string, readonly string[]> = {
  Set5: ["Set5"],
  Set14: ["Set14"],
  B100: ["BSD100", "B100"],
  Urban100: ["Urban100"],
};

/** One test image: its ground truth and the low-resolution input. */
export interface SrPair {
  /** The HR file's name without `.png`. */
  readonly name: string;
  readonly hr: SrImage;
  readonly lr: SrImage;
  /** Whether `lr` was made here by bicubic downscaling (no LR file shipped). */
  readonly lrMade: boolean;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function pngNames(dir: string, suffix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && e.name.endsWith(suffix)) names.push(e.name);
  return names.sort();
}

/**
 * The pairs of benchmark set `set` (one of {@link SR_BENCHMARK_SETS}) under `root` at `scale`, sorted by
 * file name. Errors name the set and the folders looked in.
 */
export async function loadBenchmarkSet(root: string, set: string, scale = 2): Promise<SrPair[]> {
  const folders = SET_FOLDERS[set];
  if (!folders) {
    const hint = didYouMean(set, SR_BENCHMARK_SETS);
    throw new Error(
      `unknown SR benchmark set "${set}"${hint ? ` (did you mean "${hint}"?)` : ""}: choose from ` +
        SR_BENCHMARK_SETS.join(", "),
    );
  }
  if (!Number.isInteger(scale) || scale < 2) {
    throw new Error(`scale must be an integer of at least 2, got ${scale}`);
  }
  const tried: string[] = [];
  for (const folder of folders) {
    const pairs = join(root, folder, `x${scale}`);
    tried.push(pairs);
    if (await isDir(pairs)) {
      const hrSuffix = `_SRF_${scale}_HR.png`;
      const names = await pngNames(pairs, hrSuffix);
      if (names.length === 0) throw new Error(`${pairs} holds no *${hrSuffix} images`);
      return await Promise.all(names.map(async (file) => {
        const hr = await readPng(join(pairs, file));
        const lrFile = join(pairs, file.replace(hrSuffix, `_SRF_${scale}_LR.png`));
        const lr = await readPng(lrFile);
        if (lr.width * scale !== hr.width || lr.height * scale !== hr.height) {
          throw new Error(
            `${lrFile} is ${lr.width}×${lr.height}, not the ${hr.width}×${hr.height} ground truth / ${scale}`,
          );
        }
        return { name: file.slice(0, -4), hr, lr, lrMade: false };
      }));
    }
    const truths = join(root, folder, "HR");
    tried.push(truths);
    if (await isDir(truths)) {
      const names = await pngNames(truths, ".png");
      if (names.length === 0) throw new Error(`${truths} holds no .png images`);
      return await Promise.all(names.map(async (file) => {
        const hr = modCrop(await readPng(join(truths, file)), scale);
        return { name: file.slice(0, -4), hr, lr: imresize(hr, 1 / scale), lrMade: true };
      }));
    }
  }
  throw new Error(
    `no ${set} under ${root} (looked for ${tried.join(", ")}): point the data root at a folder holding ` +
      `${folders[0]}/x${scale}/ pairs or ${folders[0]}/HR/ images (on these machines: ../shared/data/sr)`,
  );
}

/** A super-resolution model as the evaluation sees it: a low-resolution image in, `scale`× out. */
export type SrModel = (lr: SrImage) => SrImage | Promise<SrImage>;

/** The bicubic baseline: MATLAB's {@link imresize} by `scale`. */
export function bicubicModel(scale: number): SrModel {
  return (lr) => imresize(lr, scale);
}

/** One image's scores. */
export interface SrImageScore {
  readonly set: string;
  readonly image: string;
  readonly psnr: number;
  readonly ssim: number;
}

/** A set's mean scores and its images'. */
export interface SrSetScore {
  readonly set: string;
  readonly images: number;
  readonly psnr: number;
  readonly ssim: number;
  readonly perImage: readonly SrImageScore[];
}

/**
 * Score `model` on `pairs` by the SR protocol: PSNR and SSIM on Y with a border shave of the scale, the
 * mean over the set's images.
 */
export async function scoreSet(
  set: string,
  pairs: readonly SrPair[],
  model: SrModel,
  scale: number,
): Promise<SrSetScore> {
  const perImage: SrImageScore[] = [];
  for (const p of pairs) {
    const sr = await model(p.lr);
    if (sr.width !== p.hr.width || sr.height !== p.hr.height) {
      throw new Error(
        `the model made ${sr.width}×${sr.height} from ${p.name}'s ${p.lr.width}×${p.lr.height} input; ` +
          `the ground truth is ${p.hr.width}×${p.hr.height}`,
      );
    }
    try {
      perImage.push({ set, image: p.name, psnr: psnrY(sr, p.hr, scale), ssim: ssimY(sr, p.hr, scale) });
    } catch (e) {
      throw new Error(`${set}/${p.name}: ${(e as Error).message}`, { cause: e });
    }
  }
  const mean = (k: "psnr" | "ssim") => perImage.reduce((a, s) => a + s[k], 0) / perImage.length;
  return { set, images: perImage.length, psnr: mean("psnr"), ssim: mean("ssim"), perImage };
}
