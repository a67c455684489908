/**
 * Runs named by their config, so a notebook and the command line find each other's runs: one folder
 * name rule (`<method>-<preset>-s<seed>-<hash of the config>`) for `deno task search` and
 * {@link cachedSearch}, and a read-back of finished runs from their records (no images, no supernet, no
 * checkpoint), including the records shipped with sadarts for its notebooks.
 * @module
 */
import { fileURLToPath } from "node:url";
import { lockRunFolder, type RunFolderLock } from "../runs/lock.ts";
import { readFinishedRun } from "../runs/records.ts";
import { canonicalJson } from "../runs/runFolder.ts";
import { DEFAULT_SPACE, type SearchConfig, searchMethod } from "./config.ts";
import { spaceByName } from "../spaces/mod.ts";
import { jupyterSearchProgress } from "./jupyterProgress.ts";
import { search, type SearchOptions, type SearchResult } from "./search.ts";

/** A short, stable hash of a config (FNV-1a of its canonical JSON), to name run folders. */
export function configHash(config: object): string {
  let h = 0x811c9dc5;
  for (const ch of canonicalJson(config)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * The name of `config`'s run folder: `<method>-<preset>-s<seed>-<hash>`, preceded by `<space>-` for a
 * space other than the default one (NB201); two configs that differ in anything (a method knob, the
 * epochs, the data) get different names.
 * @example
 * ```ts
 * import { runName, searchConfig } from "../mod.ts";
 * const name = runName(searchConfig({ method: "sa", preset: "smoke" }));
 * console.assert(/^sa-smoke-s0-[0-9a-f]{8}$/.test(name));
 * console.assert(runName(searchConfig({ space: "s2", method: "sa", preset: "smoke" })).startsWith("s2-sa-smoke-s0-"));
 * ```
 */
export function runName(config: SearchConfig): string {
  const space = config.space === DEFAULT_SPACE ? "" : `${config.space}-`;
  return `${space}${config.method}-${config.preset}-s${config.seed}-${configHash(config)}`;
}

/** The folder of `config`'s run under `root` (default `runs`): `<root>/<runName(config)>`. */
export function cachedRunFolder(config: SearchConfig, root = "runs"): string {
  return `${root}/${runName(config)}`;
}

/** The records shipped with sadarts: the `cpu`-scale runs its notebooks draw (`notebooks/records/`). */
export const SHIPPED_RECORDS: string = fileURLToPath(new URL("../../notebooks/records", import.meta.url));

/** Options of {@link cachedSearch}: those of `search` (but the folder), and where runs are kept. */
export interface CachedSearchOptions extends Omit<SearchOptions, "out" | "resume" | "stopAfterEpochs"> {
  /** Where run folders live (default `runs`, relative to the working directory: the CLI's default). */
  root?: string;
  /**
   * Folder of read-only records consulted when `root` has no finished run of the config (default
   * {@link SHIPPED_RECORDS}; `false`: none).
   */
  records?: string | false;
  /** Recompute: delete the run folder under `root` first and ignore the records (default false). */
  fresh?: boolean;
  /**
   * Show progress in a Jupyter notebook: one display per run, updated in place (run, epoch, ETA, derived
   * cell and its accuracy), ending with where the result came from. Default: when in a Jupyter kernel.
   */
  progress?: boolean;
}

/**
 * The result of `config`: read back if a finished run of it is in `root` or in the records, else run (or
 * continued, if interrupted) in `<root>/<runName(config)>`, the folder `deno task search` uses for it too.
 * @example
 * ```ts
 * import { cachedSearch, searchConfig, selectBackend } from "../mod.ts";
 * await selectBackend("wasm");
 * const root = await Deno.makeTempDir();
 * const config = searchConfig({ method: "darts", preset: "smoke", epochs: 1, data: { limit: 64 } });
 * const first = await cachedSearch(config, { root, progress: false });
 * const again = await cachedSearch(config, { root, progress: false }); // read back, not re-run
 * console.assert(again.summary.cell === first.summary.cell);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function cachedSearch(
  config: SearchConfig,
  options: CachedSearchOptions = {},
): Promise<SearchResult> {
  const { root, records = SHIPPED_RECORDS, fresh = false, progress, ...rest } = options;
  const out = cachedRunFolder(config, root);
  const name = runName(config);
  // The space bound once, so progress and the search share its benchmark (NB201: the table).
  const space = spaceByName(config.space).open({
    model: config.model,
    benchmark: rest.benchmark,
    partialChannels: searchMethod(config).partialChannels,
  });
  const show = jupyterSearchProgress(name, (cell) => space.describe(cell), progress);
  if (fresh) {
    // Never from under a running search: the folder's lock first (it refuses, naming the holder).
    let lock: RunFolderLock | undefined;
    try {
      lock = lockRunFolder(out);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    try {
      await Deno.remove(out, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    } finally {
      lock?.release();
    }
  } else {
    for (const dir of [out, ...(records ? [`${records}/${name}`] : [])]) {
      const t0 = performance.now();
      const found = await readFinishedRun(dir, config);
      if (found) {
        show?.readBack(found, dir, performance.now() - t0);
        return found;
      }
    }
  }
  const result = await search(config, {
    ...rest,
    benchmark: space.benchmark,
    out,
    resume: true,
    onProgress: (p, state) => {
      show?.step(p);
      rest.onProgress?.(p, state);
    },
  });
  show?.finished(result, out);
  return result;
}
