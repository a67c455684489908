/**
 * `deno task records <command>`: the run records shipped for the notebooks (`notebooks/records/`).
 *
 * - `list`: each record's run, final cell and size.
 * - `save <run folder>…`: add finished run folders as records (tables gzip-compressed, a manifest).
 * - `verify [--epochs N] [name…]`: re-run each record's config (its first N epochs; default all) and
 *   check that every number of the history equals the record's, bit for bit (wall-clock columns aside).
 * @module
 */
import { parseArgs } from "node:util";
import { selectBackend } from "../backend/select.ts";
import { spaceByName } from "../spaces/mod.ts";
import { readFinishedRun, saveRecord } from "../runs/records.ts";
import { runName, SHIPPED_RECORDS } from "../search/cache.ts";
import { checkSearchConfig, type SearchConfig } from "../search/config.ts";
import { formatDuration } from "../search/duration.ts";
import { search, type SearchResult } from "../search/search.ts";

const HELP = `deno task records <command>

  list                         the records in notebooks/records/ (or --dir)
  save RUN_FOLDER...           add finished run folders as records
  verify [--epochs N] [NAME...] re-run records' configs (first N epochs, default all) and compare
                               every recorded number bit for bit (wall-clock columns aside)

  --dir DIR                    the records folder (default notebooks/records/)
`;

/** Columns and fields that measure wall-clock time, which no re-run repeats. */
const TIMING = new Set(["seconds", "elapsed"]);

/** The record names in `dir`, sorted. */
export async function recordNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isDirectory) names.push(e.name);
  return names.sort();
}

/** A shipped record, checked: its config is valid and its folder is named by that config. */
export async function readRecord(dir: string, name: string): Promise<SearchResult> {
  const r = await readFinishedRun(`${dir}/${name}`);
  if (!r) throw new Error(`${dir}/${name} holds no finished run`);
  checkSearchConfig(r.config);
  if (runName(r.config) !== name) {
    throw new Error(
      `${dir}/${name}: its config is named ${runName(r.config)}: rename the folder or re-save it`,
    );
  }
  return r;
}

/**
 * The first difference between a record and a re-run over the re-run's epochs (timing aside), or
 * undefined when every value is equal.
 */
export function firstDifference(record: SearchResult, rerun: SearchResult): string | undefined {
  const epochs = rerun.metrics.length;
  const same = (a: unknown, b: unknown) => Object.is(a, b);
  for (let i = 0; i < epochs; i++) {
    const a = record.metrics[i] as unknown as Record<string, unknown>;
    const b = rerun.metrics[i] as unknown as Record<string, unknown>;
    if (!a) return `the record has no epoch ${i}`;
    for (const k of Object.keys(b)) {
      if (!TIMING.has(k) && !same(a[k], b[k])) return `metrics, epoch ${b.epoch}, ${k}: ${a[k]} vs ${b[k]}`;
    }
  }
  const rows = rerun.alpha.length;
  for (let i = 0; i < rows; i++) {
    const a = record.alpha[i], b = rerun.alpha[i];
    if (!a || !same(a.alpha, b.alpha) || !same(a.beta, b.beta) || a.edge !== b.edge || a.op !== b.op) {
      return `alpha, epoch ${b.epoch}, edge ${b.edge}, op ${b.op}: ${a?.alpha} vs ${b.alpha}`;
    }
  }
  return undefined;
}

/** A few words on a record's derived cell from its space (NB201: its CIFAR-10 accuracy). */
function describe(config: SearchConfig, cell: string): string {
  return spaceByName(config.space).open({ model: config.model }).describe(cell) ?? "";
}

/** Re-run `config` (its first `epochs` epochs) without a run folder. */
export async function rerun(config: SearchConfig, epochs?: number): Promise<SearchResult> {
  return await search(config, { stopAfterEpochs: epochs });
}

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { dir: { type: "string" }, epochs: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const [command, ...names] = positionals;
  if (values.help || !command) return console.log(HELP);
  const dir = values.dir ?? SHIPPED_RECORDS;
  if (command === "list") {
    let total = 0;
    for (const name of await recordNames(dir)) {
      const r = await readRecord(dir, name);
      let size = 0;
      for await (const f of Deno.readDir(`${dir}/${name}`)) {
        size += (await Deno.stat(`${dir}/${name}/${f.name}`)).size;
      }
      total += size;
      console.log(
        `${name}  ${r.summary.epochsDone} epochs  ${r.summary.cell}  ${
          describe(r.config, r.summary.cell)
        }  ` +
          `${(size / 1024).toFixed(0)} KiB`,
      );
    }
    console.log(`total ${(total / 1024).toFixed(0)} KiB in ${dir}`);
  } else if (command === "save") {
    if (!names.length) throw new Error("save: name the finished run folders to add");
    for (const run of names) {
      const r = await readFinishedRun(run);
      if (!r) {
        throw new Error(
          `${run} holds no finished run: finish it first (deno task search --out ${run} --resume)`,
        );
      }
      const size = await saveRecord(run, `${dir}/${runName(r.config)}`);
      console.log(`${run} → ${dir}/${runName(r.config)} (${(size / 1024).toFixed(0)} KiB)`);
    }
  } else if (command === "verify") {
    const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
    if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)) {
      throw new Error(`--epochs must be a whole number ≥ 1, got "${values.epochs}"`);
    }
    const all = await recordNames(dir);
    for (const n of names) {
      if (!all.includes(n)) throw new Error(`no record ${n} in ${dir}: see deno task records list`);
    }
    const backend = await selectBackend("wasm");
    let failed = 0;
    for (const name of names.length ? names : all) {
      const record = await readRecord(dir, name);
      if (record.summary.backend !== backend.name) {
        console.log(
          `${name}: recorded on ${record.summary.backend}, re-run on ${backend.name}: may differ in the last bits`,
        );
      }
      const t0 = performance.now();
      const again = await rerun(record.config, epochs);
      const diff = firstDifference(record, again);
      if (diff) failed++;
      console.log(
        `${name}: ${diff ? `DIFFERS (${diff})` : "identical"} over ${again.summary.epochsDone} epoch(s) ` +
          `(${formatDuration((performance.now() - t0) / 1000)})`,
      );
    }
    if (failed) throw new Error(`${failed} record(s) differ from a re-run of their config`);
  } else {
    throw new Error(`unknown command "${command}": choose list, save or verify (deno task records --help)`);
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`sadarts records: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
