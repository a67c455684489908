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
import { readFinishedRun, readRecordTexts, saveRecord } from "../runs/records.ts";
import { checkTrainConfig, type TrainConfig } from "../train/config.ts";
import { readFinishedTraining, trainRunName } from "../train/cache.ts";
import { train, type TrainResult } from "../train/train.ts";
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

/** A record of either kind: a search, or a training run from scratch (`train-…`). */
export type AnyRecord = { kind: "search"; result: SearchResult } | { kind: "train"; result: TrainResult };

/** Whether a run's config is a training run's (it names a genotype; a search's names a space). */
function isTrainConfig(config: unknown): config is TrainConfig {
  return typeof config === "object" && config !== null && "genotype" in config;
}

/** The finished run of either kind in `dir`, or undefined. */
export async function readAnyFinishedRun(dir: string): Promise<AnyRecord | undefined> {
  const texts = await readRecordTexts(dir, []);
  if (!texts) return undefined;
  if (isTrainConfig(texts.config)) {
    const result = await readFinishedTraining(dir);
    return result && { kind: "train", result };
  }
  const result = await readFinishedRun(dir);
  return result && { kind: "search", result };
}

/** The folder name a record of `r`'s config must have. */
function recordName(r: AnyRecord): string {
  return r.kind === "train" ? trainRunName(r.result.config) : runName(r.result.config);
}

/** A shipped record, checked: its config is valid and its folder is named by that config. */
export async function readRecord(dir: string, name: string): Promise<AnyRecord> {
  const r = await readAnyFinishedRun(`${dir}/${name}`);
  if (!r) throw new Error(`${dir}/${name} holds no finished run`);
  if (r.kind === "train") checkTrainConfig(r.result.config);
  else checkSearchConfig(r.result.config);
  if (recordName(r) !== name) {
    throw new Error(`${dir}/${name}: its config is named ${recordName(r)}: rename the folder or re-save it`);
  }
  return r;
}

/**
 * The first difference between a record and a re-run over the re-run's epochs (timing aside), or
 * undefined when every value is equal.
 */
export function firstDifference(
  record: { metrics: readonly object[]; alpha?: readonly SearchResult["alpha"][number][] },
  rerun: { metrics: readonly object[]; alpha?: readonly SearchResult["alpha"][number][] },
): string | undefined {
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
  const rows = rerun.alpha?.length ?? 0;
  for (let i = 0; i < rows; i++) {
    const a = record.alpha![i], b = rerun.alpha![i];
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

/** Re-run a record's config (its first `epochs` epochs) without a run folder. */
export async function rerun(
  r: AnyRecord,
  epochs?: number,
): Promise<{ metrics: object[]; alpha?: SearchResult["alpha"]; epochsDone: number }> {
  if (r.kind === "train") {
    const t = await train(r.result.config, { stopAfterEpochs: epochs });
    return { metrics: t.metrics, epochsDone: t.summary.epochsDone };
  }
  const again = await search(r.result.config, { stopAfterEpochs: epochs });
  return { metrics: again.metrics, alpha: again.alpha, epochsDone: again.summary.epochsDone };
}

/** A record's line in `list`: the search's derived cell, or the training run's test accuracy. */
function recordLine(r: AnyRecord): string {
  if (r.kind === "train") {
    const s = r.result.summary;
    return `${s.epochsDone} epochs  trained ${s.genotypeSource} on ${s.dataset}: test ${
      s.testAcc?.toFixed(2)
    }%`;
  }
  const s = r.result.summary;
  return `${s.epochsDone} epochs  ${s.cell}  ${describe(r.result.config, s.cell)}`;
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
      console.log(`${name}  ${recordLine(r)}  ${(size / 1024).toFixed(0)} KiB`);
    }
    console.log(`total ${(total / 1024).toFixed(0)} KiB in ${dir}`);
  } else if (command === "save") {
    if (!names.length) throw new Error("save: name the finished run folders to add");
    for (const run of names) {
      const r = await readAnyFinishedRun(run);
      if (!r) {
        throw new Error(
          `${run} holds no finished run: finish it first (deno task search or train --out ${run} --resume)`,
        );
      }
      const size = await saveRecord(run, `${dir}/${recordName(r)}`);
      console.log(`${run} → ${dir}/${recordName(r)} (${(size / 1024).toFixed(0)} KiB)`);
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
      const recordedOn = record.result.summary.backend;
      if (recordedOn !== backend.name) {
        console.log(
          `${name}: recorded on ${recordedOn}, re-run on ${backend.name}: may differ in the last bits`,
        );
      }
      const t0 = performance.now();
      const again = await rerun(record, epochs);
      const diff = firstDifference(record.result, again);
      if (diff) failed++;
      console.log(
        `${name}: ${diff ? `DIFFERS (${diff})` : "identical"} over ${again.epochsDone} epoch(s) ` +
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
