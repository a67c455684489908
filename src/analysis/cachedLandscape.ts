/**
 * A run's loss landscape, computed once and kept beside its records: `landscape-<hash of the grid
 * options>.json` in the run folder (and, through `deno task records save`, in the shipped record), so a
 * notebook draws Fig. 5 without the supernet's weights, which records do not keep.
 * @module
 */
import { pathExists } from "../data/dataFile.ts";
import { writeFileAtomic } from "../runs/checkpoint.ts";
import { canonicalJson } from "../runs/runFolder.ts";
import { readRecordFile } from "../runs/records.ts";
import { runName, SHIPPED_RECORDS } from "../search/cache.ts";
import type { SearchConfig } from "../search/config.ts";
import { search } from "../search/search.ts";
import { archLandscape, type Landscape, type LandscapeOptions, restoreSearch } from "./landscape.ts";

/** The grid a landscape was computed on (`LandscapeOptions` with its defaults filled in). */
export interface LandscapeGrid {
  steps: number;
  radius: number;
  images: number;
  seed: number;
}

/** A landscape file: the run's config, the grid, the landscape, and what it cost. */
export interface LandscapeRecord {
  config: SearchConfig;
  grid: LandscapeGrid;
  landscape: Landscape;
  /** Epochs of the search it was computed at, and the seconds the grid took. */
  epochsDone: number;
  seconds: number;
}

/** Options of {@link cachedLandscape}: the grid's, and where runs and records are (as `cachedSearch`). */
export interface CachedLandscapeOptions extends LandscapeOptions {
  /** Run folders (default `runs`). */
  root?: string;
  /** Read-only records consulted first after the root (default the shipped ones; `false`: none). */
  records?: string | false;
  /** Recompute even when a landscape file exists (default false). */
  fresh?: boolean;
}

function gridOf(o: LandscapeOptions): LandscapeGrid {
  return { steps: o.steps ?? 21, radius: o.radius ?? 1, images: o.images ?? 512, seed: o.seed ?? 0 };
}

/** The file name of a grid's landscape in a run folder: `landscape-<FNV-1a of the grid>.json`. */
export function landscapeFileName(o: LandscapeOptions = {}): string {
  let h = 0x811c9dc5;
  for (const ch of canonicalJson(gridOf(o))) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `landscape-${h.toString(16).padStart(8, "0")}.json`;
}

/**
 * The landscape of `config`'s run on the grid of `options`: read from the run folder or the records when
 * there, else computed from the run folder's checkpoint (running the search there first if it is not
 * finished: a shipped record alone has no weights) and written into the run folder.
 */
export async function cachedLandscape(
  config: SearchConfig,
  options: CachedLandscapeOptions = {},
): Promise<LandscapeRecord> {
  const { root = "runs", records = SHIPPED_RECORDS, fresh = false, ...landscapeOptions } = options;
  const name = runName(config);
  const file = landscapeFileName(landscapeOptions);
  const grid = gridOf(landscapeOptions);
  const folder = `${root}/${name}`;
  if (!fresh) {
    for (const dir of [folder, ...(records ? [`${records}/${name}`] : [])]) {
      const text = await readRecordFile(dir, file);
      if (text === undefined) continue;
      const found = JSON.parse(text) as LandscapeRecord;
      if (
        canonicalJson(found.config) === canonicalJson(config) &&
        canonicalJson(found.grid) === canonicalJson(grid)
      ) {
        return found;
      }
    }
  }
  await search(config, { out: folder, resume: await pathExists(folder) });
  const restored = await restoreSearch(config, folder);
  try {
    const t0 = performance.now();
    const landscape = archLandscape(restored, landscapeOptions);
    const record: LandscapeRecord = {
      config,
      grid,
      landscape,
      epochsDone: restored.epochsDone,
      seconds: (performance.now() - t0) / 1000,
    };
    await writeFileAtomic(`${folder}/${file}`, JSON.stringify(record) + "\n");
    return record;
  } finally {
    restored.dispose();
  }
}
