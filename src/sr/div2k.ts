/**
 * DIV2K (Agustsson & Timofte, 2017), the SR papers' training set, for users with internet: the official
 * `DIV2K_train_HR.zip` (800 images, 0001–0800) and `DIV2K_valid_HR.zip` (100, 0801–0900) from ETH
 * Zurich, downloaded once into a cache (resumable), checked (the server's size, then every image's name,
 * size and CRC-32 against the archive's directory) and extracted to the official layout
 * `<cache>/DIV2K_train_HR/0001.png`…. Offline it fails with a message saying where to put the files; the
 * tests and the `cpu` preset never need it.
 * @module
 */
import { join } from "node:path";
import { pathExists } from "../data/dataFile.ts";
import { downloadResumable, OfflineError } from "../data/download.ts";
import { extractZipEntry, listZip } from "../data/zip.ts";

/** The two HR splits. */
export type Div2kSplit = "train" | "valid";

/** Where the official archives are. */
export const DIV2K_BASE_URL = "https://data.vision.ee.ethz.ch/cvl/DIV2K/";

const SPLITS: Record<Div2kSplit, { first: number; count: number }> = {
  train: { first: 1, count: 800 },
  valid: { first: 801, count: 100 },
};

/** The folder and image names of a split, as the archive holds them. */
export function div2kFiles(split: Div2kSplit): { folder: string; images: string[] } {
  const s = SPLITS[split];
  if (!s) throw new Error(`unknown DIV2K split "${split}": use "train" or "valid"`);
  return {
    folder: `DIV2K_${split}_HR`,
    images: Array.from({ length: s.count }, (_, i) => `${String(s.first + i).padStart(4, "0")}.png`),
  };
}

/** Options of {@link downloadDiv2k}. */
export interface DownloadDiv2kOptions {
  split: Div2kSplit;
  /** Where the archive and the extracted folder go. */
  cacheDir: string;
  /** Default {@link DIV2K_BASE_URL}; a mirror must serve the same archives. */
  baseUrl?: string;
  /** Called with (bytes so far, total) while downloading. */
  onProgress?: (bytes: number, total: number) => void;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Delete the archive once extracted (default false: it is what a later check compares against). */
  removeArchive?: boolean;
}

/**
 * Make sure the HR images of `split` are in `<cacheDir>/DIV2K_<split>_HR/`, downloading and extracting
 * the official archive when any is missing; returns that folder.
 */
export async function downloadDiv2k(o: DownloadDiv2kOptions): Promise<string> {
  const { folder, images } = div2kFiles(o.split);
  const dir = join(o.cacheDir, folder);
  const missing = [];
  for (const name of images) if (!(await pathExists(join(dir, name)))) missing.push(name);
  if (missing.length === 0) return dir;

  const file = `${folder}.zip`;
  const base = o.baseUrl ?? DIV2K_BASE_URL;
  const url = new URL(file, base.endsWith("/") ? base : base + "/").href;
  const archive = join(o.cacheDir, file);
  const fetchFn = o.fetch ?? globalThis.fetch;
  await Deno.mkdir(dir, { recursive: true });
  try {
    if (!(await pathExists(archive))) {
      let head: Response;
      try {
        head = await fetchFn(url, { method: "HEAD" });
      } catch (e) {
        throw new OfflineError(`could not reach ${url}: you seem to be offline (${(e as Error).message})`, {
          cause: e,
        });
      }
      await head.body?.cancel();
      const bytes = Number(head.headers.get("content-length"));
      if (!head.ok || !(bytes > 0)) {
        throw new Error(
          `${url}: HTTP ${head.status} ${head.statusText}, no size given; try again later or a mirror`,
        );
      }
      await downloadResumable(url, archive, {
        expectedBytes: bytes,
        onProgress: o.onProgress,
        fetch: o.fetch,
      });
    }
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    throw new OfflineError(
      `${e.message}; put ${file} (from ${DIV2K_BASE_URL}) in ${o.cacheDir}, or its images in ${dir}/ ` +
        `(${images[0]} … ${images.at(-1)})`,
      { cause: e.cause },
    );
  }
  const entries = new Map((await listZip(archive)).map((e) => [e.name, e]));
  const absent = images.filter((name) => !entries.has(`${folder}/${name}`));
  if (absent.length) {
    throw new Error(
      `${archive} lacks ${absent.length} of the ${images.length} images of ${folder} (first: ${
        absent[0]
      }): ` +
        "not the official archive; delete it and download again",
    );
  }
  for (const name of missing) {
    await extractZipEntry(archive, entries.get(`${folder}/${name}`)!, join(dir, name));
  }
  if (o.removeArchive) await Deno.remove(archive);
  return dir;
}
