/**
 * Run records: what a finished run leaves that a figure or table needs (config, summary and the history
 * tables), without its checkpoint. A run folder is one; a *shipped* record is the same files with the
 * tables gzip-compressed (`metrics.csv.gz`, `alpha.csv.gz`) and a `manifest.json` holding the SHA-256
 * of every file's uncompressed text, so a damaged record is refused instead of drawn. Reading a record
 * back needs neither the images nor the supernet.
 * @module
 */
import pl from "../deps/polars.ts";
import type { SearchConfig } from "../search/config.ts";
import type { SearchResult, SearchSummary } from "../search/search.ts";
import { writeFileAtomic } from "./checkpoint.ts";
import { type AlphaRow, canonicalJson, type MetricsRow, runPaths } from "./runFolder.ts";

/** The files of a record, as named in its manifest (the tables' uncompressed names; a training run has no alpha.csv). */
const RECORD_FILES = ["config.json", "summary.json", "metrics.csv", "alpha.csv"] as const;

/** What `manifest.json` of a shipped record holds. */
export interface RecordManifest {
  version: 1;
  /**
   * SHA-256 (hex) of each file's uncompressed text: the four of every record, and the analyses kept
   * beside it (e.g. `landscape-<hash>.json`).
   */
  sha256: Partial<Record<(typeof RECORD_FILES)[number], string>> & Record<string, string>;
}

/** Files of a run folder that a record keeps beside the four: analyses of the run (see src/analysis/). */
const ANALYSIS_FILE = /^landscape-[0-9a-f]{8}\.json$/;

/**
 * The text of file `name` of a run folder or record (`name` or `name.gz`), checked against the record's
 * manifest when it lists it; undefined when absent.
 */
export async function readRecordFile(dir: string, name: string): Promise<string | undefined> {
  const text = await readMaybeCompressed(dir, name);
  if (text === undefined) return undefined;
  const manifest = await readMaybeCompressed(dir, "manifest.json");
  const expected = manifest === undefined ? undefined : (JSON.parse(manifest) as RecordManifest).sha256[name];
  if (expected !== undefined && await sha256(text) !== expected) {
    throw new Error(
      `${dir}: ${name} differs from manifest.json: the record is damaged; restore it (git checkout) or delete it`,
    );
  }
  return text;
}

/** gzip `text` (deterministic: no file name or time in the header). */
export async function gzipText(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The text of gzip `bytes`. */
export async function gunzipText(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A file's text, trying `name` then `name.gz`; undefined when neither exists. */
async function readMaybeCompressed(dir: string, name: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(`${dir}/${name}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  try {
    return await gunzipText(await Deno.readFile(`${dir}/${name}.gz`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(
      `${dir}/${name}.gz is not a readable gzip file (${(e as Error).message}): restore or delete it`,
    );
  }
}

/** Rows of a CSV history table, as written by `writeHistory` (floats round-trip exactly). */
function tableRows<T>(csv: string): T[] {
  return pl.readCSV(csv).toRecords() as T[];
}

/** A finished run's record: its config and summary as parsed JSON, and the text of its tables. */
export interface RecordTexts {
  config: unknown;
  summary: { status?: string } & Record<string, unknown>;
  /** The text of each table asked for, by file name (`metrics.csv`, …). */
  tables: Record<string, string>;
}

/**
 * The record of a finished run in `dir` (a run folder or a shipped record), with the `tables` it must
 * have, or undefined when `dir` holds no finished run (or, with `config`, another run's). Every file the
 * manifest lists is checked; a damaged record or unreadable JSON is refused with an error naming the file.
 * The search's and the trainer's read-backs are this with their own tables.
 */
export async function readRecordTexts(
  dir: string,
  tables: readonly string[],
  config?: unknown,
): Promise<RecordTexts | undefined> {
  const texts: Record<string, string | undefined> = {};
  for (const name of ["config.json", "summary.json", ...tables]) {
    texts[name] = await readMaybeCompressed(dir, name);
  }
  if (texts["config.json"] === undefined || texts["summary.json"] === undefined) return undefined;
  const parse = (name: "config.json" | "summary.json") => {
    try {
      return JSON.parse(texts[name]!);
    } catch (e) {
      throw new Error(
        `${dir}/${name} is not valid JSON (${(e as Error).message}): restore or delete the record`,
      );
    }
  };
  const stored = parse("config.json");
  if (config !== undefined && canonicalJson(stored) !== canonicalJson(config)) return undefined;
  const summary = parse("summary.json");
  if (summary.status !== "finished") return undefined;
  const manifest = await readMaybeCompressed(dir, "manifest.json");
  if (manifest !== undefined) {
    const { sha256: expected } = JSON.parse(manifest) as RecordManifest;
    for (const name of Object.keys(texts)) {
      if (expected[name] === undefined && texts[name] === undefined) continue;
      if (texts[name] === undefined || await sha256(texts[name]!) !== expected[name]) {
        throw new Error(
          `${dir}: ${name} ${texts[name] === undefined ? "is missing" : "differs from manifest.json"}: ` +
            `the record is damaged; restore it (git checkout) or delete it to recompute the run`,
        );
      }
    }
  }
  const missing = tables.filter((t) => texts[t] === undefined);
  if (missing.length) {
    throw new Error(
      `${dir} says the run finished but lacks ${missing.join(" and ")}: delete it to recompute`,
    );
  }
  return { config: stored, summary, tables: Object.fromEntries(tables.map((t) => [t, texts[t]!])) };
}

/** Rows of a record's CSV table (floats round-trip exactly). */
export function recordRows<T>(csv: string): T[] {
  return tableRows<T>(csv);
}

/**
 * A finished search read back from the record in `dir` (a run folder or a shipped record), or undefined
 * when `dir` holds no finished run. With `config`, the record must hold that config (else undefined:
 * another run). A record whose files disagree with its manifest, or whose JSON or tables are unreadable,
 * is refused with an error naming the file.
 */
export async function readFinishedRun(dir: string, config?: SearchConfig): Promise<SearchResult | undefined> {
  const r = await readRecordTexts(dir, ["metrics.csv", "alpha.csv"], config);
  if (!r) return undefined;
  return {
    config: r.config as SearchConfig,
    metrics: tableRows<MetricsRow>(r.tables["metrics.csv"]),
    alpha: tableRows<AlphaRow>(r.tables["alpha.csv"]),
    summary: r.summary as unknown as SearchSummary,
  };
}

/**
 * Write the finished run folder `run` as a shipped record in `dir`: config and summary as they are, the
 * tables gzip-compressed, and the manifest. Returns the record's size in bytes.
 */
export async function saveRecord(run: string, dir: string): Promise<number> {
  const paths = runPaths(run);
  // A search has alpha.csv; a training run from scratch has no architecture parameters, so none.
  const tables = await Deno.stat(paths.alpha).then(() => ["metrics.csv", "alpha.csv"], () => ["metrics.csv"]);
  const result = await readRecordTexts(run, tables);
  if (!result) throw new Error(`${run} holds no finished run (config.json and a finished summary.json)`);
  const texts: Record<string, string> = {
    "config.json": await Deno.readTextFile(paths.config),
    "summary.json": await Deno.readTextFile(paths.summary),
    ...result.tables,
  };
  const manifest: RecordManifest = { version: 1, sha256: {} as RecordManifest["sha256"] };
  for (const [name, text] of Object.entries(texts)) manifest.sha256[name] = await sha256(text);
  const analyses: [string, Uint8Array][] = [];
  for await (const entry of Deno.readDir(run)) {
    if (!entry.isFile || !ANALYSIS_FILE.test(entry.name)) continue;
    const text = await Deno.readTextFile(`${run}/${entry.name}`);
    manifest.sha256[entry.name] = await sha256(text);
    analyses.push([`${entry.name}.gz`, await gzipText(text)]);
  }
  analyses.sort(([a], [b]) => (a < b ? -1 : 1));
  await Deno.mkdir(dir, { recursive: true });
  const files: [string, Uint8Array | string][] = [
    ["config.json", texts["config.json"]],
    ["summary.json", texts["summary.json"]],
    ...await Promise.all(
      tables.map(async (t): Promise<[string, Uint8Array]> => [`${t}.gz`, await gzipText(texts[t])]),
    ),
    ...analyses,
    ["manifest.json", JSON.stringify(manifest, null, 2) + "\n"],
  ];
  let size = 0;
  for (const [name, content] of files) {
    await writeFileAtomic(`${dir}/${name}`, content);
    size += typeof content === "string" ? new TextEncoder().encode(content).length : content.length;
  }
  return size;
}
