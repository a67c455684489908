/**
 * NAS-Bench-201 accuracy lookup: every one of the 15,625 cells with its test accuracy after the
 * benchmark's 200-epoch schedule on CIFAR-10, CIFAR-100 and ImageNet16-120, and the 12-epoch test and
 * validation accuracies; ranks, percentiles, the optimum and the top k per dataset.
 *
 * ```ts
 * import { loadNb201 } from "./nb201.ts";
 * const nb = loadNb201();
 * const resnet = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";
 * console.assert(nb.accuracy(resnet).cifar10 === 93.91);
 * nb.rank(["skip_connect", "skip_connect", "skip_connect", "skip_connect", "skip_connect", "skip_connect"]);
 * nb.topK(10, "cifar100"); // a polars DataFrame, best first
 * ```
 * The table ships as `data/nb201_accuracy.parquet`; `src/benchmarks/makeNb201Table.ts` regenerates it
 * from `../shared/data/nasbench201/nb201_accuracy.csv` (see `data/README.md` for its sources).
 * @module
 */
import pl from "../deps/polars.ts";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import {
  genotypeToString,
  NB201_EDGES,
  NB201_NODES,
  NB201_OPS,
  type Nb201Op,
  parseGenotype,
} from "../spaces/nb201.ts";

/**
 * File name of the shipped table. Parquet written by polars with gzip: measured on the shared CSV
 * (2.57 MB), Parquet/gzip is 455 KB and polars reads it in ~4-7 ms; the same CSV gzip-compressed (-9)
 * is 495 KB and takes ~30-45 ms (DecompressionStream, then `pl.readCSV` parses text and infers types);
 * Parquet with zstd is 552 KB, snappy 958 KB, read as fast. Parquet also keeps the column types, so
 * accuracies come back as the CSV's Float64 values exactly.
 */
export const NB201_TABLE_FILE = "nb201_accuracy.parquet";
/** Path of the shipped table (`data/nb201_accuracy.parquet` of this checkout). */
export const NB201_TABLE_PATH: string = localPath(new URL(`../../data/${NB201_TABLE_FILE}`, import.meta.url));
/** How to rebuild the table; quoted by every error about a missing or damaged file. */
export const NB201_REGENERATE = "deno run -A src/benchmarks/makeNb201Table.ts";
/** Number of cells in the space (5 ops on each of 6 edges), all of which the table must hold. */
export const NB201_CELLS = NB201_OPS.length ** NB201_EDGES.length;

/**
 * The accuracies, by the name {@link Nb201Accuracy} gives them, and their column in the table (the
 * shared CSV's names). The three plain dataset names are the 200-epoch test accuracies, which is what
 * papers report; the `…12` ones come from the 12-epoch schedule (mini-NAS-Bench-201, MIT).
 */
export const NB201_METRIC_COLUMNS = {
  cifar10: "cifar10_test_200",
  cifar100: "cifar100_test_200",
  imagenet16: "imagenet16_test_200",
  cifar10Test12: "cifar10_test_12",
  cifar10Valid12: "cifar10_valid_12",
  cifar100Test12: "cifar100_test_12",
  cifar100Valid12: "cifar100_valid_12",
  imagenet16Test12: "imagenet_test_12",
  imagenet16Valid12: "imagenet_valid_12",
} as const;
/** An accuracy of the table: a dataset's 200-epoch test accuracy or one of the 12-epoch values. */
export type Nb201Metric = keyof typeof NB201_METRIC_COLUMNS;
const METRICS = Object.keys(NB201_METRIC_COLUMNS) as Nb201Metric[];
/** The table's columns, in order. */
export const NB201_COLUMNS: readonly string[] = ["index", "arch", ...Object.values(NB201_METRIC_COLUMNS)];

/** A cell: its benchmark string, its 6 ops in edge order (a genotype), or its benchmark index. */
export type Nb201Cell = string | readonly string[] | number;

/** One row of the table. Accuracies are in percent. */
export interface Nb201Accuracy {
  /** The cell's index in NAS-Bench-201 (and the row of the table). */
  index: number;
  /** The benchmark's cell string. */
  arch: string;
  /** The 6 ops in edge order (`NB201_EDGES`). */
  ops: Nb201Op[];
  /** CIFAR-10 test accuracy after 200 epochs (trained on train+valid), mean over seeds. */
  cifar10: number;
  /** CIFAR-100 test accuracy after 200 epochs. */
  cifar100: number;
  /** ImageNet16-120 test accuracy after 200 epochs. */
  imagenet16: number;
  /** CIFAR-10 test accuracy after 12 epochs. */
  cifar10Test12: number;
  /** CIFAR-10 validation accuracy after 12 epochs. */
  cifar10Valid12: number;
  /** CIFAR-100 test accuracy after 12 epochs. */
  cifar100Test12: number;
  /** CIFAR-100 validation accuracy after 12 epochs. */
  cifar100Valid12: number;
  /** ImageNet16-120 test accuracy after 12 epochs. */
  imagenet16Test12: number;
  /** ImageNet16-120 validation accuracy after 12 epochs. */
  imagenet16Valid12: number;
}

/** The best cell for one metric, with that metric's value as `accuracy`. */
export interface Nb201Optimum extends Nb201Accuracy {
  dataset: Nb201Metric;
  accuracy: number;
}

/** A missing, unreadable or invalid table; the message names the file and how to regenerate it. */
export class Nb201TableError extends Error {
  override name = "Nb201TableError";
}

/** Options of {@link loadNb201}. */
export interface LoadNb201Options {
  /** The Parquet table; default {@link NB201_TABLE_PATH}. */
  path?: string | URL;
}

/**
 * Load and validate the NAS-Bench-201 table: ~30-50 ms and ~5-7 MB per table on a 2-core machine
 * (polars' own start-up, paid once by any polars use, adds ~30 MB the first time).
 * Throws {@link Nb201TableError} if the file is missing, truncated, corrupt or not the full table.
 */
export function loadNb201(options: LoadNb201Options = {}): Nb201Table {
  const path = options.path instanceof URL ? fileURLToPath(options.path) : options.path ?? NB201_TABLE_PATH;
  const isDefault = path === NB201_TABLE_PATH;
  const regenerate = isDefault ? NB201_REGENERATE : `${NB201_REGENERATE} <csv> <folder of ${path}>`;
  const fail = (why: string) =>
    new Nb201TableError(`NAS-Bench-201 table ${path}: ${why}. Regenerate it with: ${regenerate}`);
  // The bytes go to polars, not the path: `pl.readParquet` takes a string that does not end in
  // ".parquet" for the file's contents, which would turn a renamed table into a baffling error.
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw fail("file not found");
    throw fail(`cannot read it (${(e as Error).message})`);
  }
  let df: pl.DataFrame;
  try {
    df = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    // polars says e.g. "The file must end with PAR1" (truncated) or "corrupt deflate stream".
    throw fail(`not a readable Parquet file, truncated or corrupt? (${(e as Error).message})`);
  }
  try {
    return new Nb201Table(df);
  } catch (e) {
    if (e instanceof Nb201TableError) throw fail(e.message);
    throw e;
  }
}

/**
 * The whole benchmark in memory: the polars {@link df} for queries and plots, plus plain arrays for
 * per-cell lookups (a polars filter per lookup costs ~0.7 ms; these cost 1-15 µs).
 */
export class Nb201Table {
  /**
   * The table, in index order: `index`, `arch` and one column per accuracy, named as
   * {@link Nb201Accuracy} names them (`cifar10`, `cifar100`, `imagenet16`, `cifar10Test12`, …), so a
   * frame and a lookup say the same thing by the same name.
   */
  readonly df: pl.DataFrame;
  readonly #archs: string[];
  /** Row of each cell by its op code (see {@link opCode}), and the code of each row. */
  readonly #rowByCode: Int32Array;
  readonly #codeByRow: Int32Array;
  readonly #values: Record<Nb201Metric, Float64Array>;
  /** Ascending copies of the metric columns, made on the first rank/percentile query. */
  readonly #sorted = new Map<Nb201Metric, Float64Array>();

  /**
   * Wrap and validate a table (all {@link NB201_CELLS} cells, in index order, unique and valid cell
   * strings, finite accuracies in [0, 100]). Throws {@link Nb201TableError} saying what is wrong.
   */
  constructor(df: pl.DataFrame) {
    const fail = (why: string) => new Nb201TableError(why);
    const missing = NB201_COLUMNS.filter((c) => !df.columns.includes(c));
    if (missing.length) throw fail(`missing column(s) ${missing.join(", ")}`);
    if (df.height !== NB201_CELLS) throw fail(`${df.height} rows, expected all ${NB201_CELLS} cells`);
    for (const c of df.columns) {
      const nulls = df.getColumn(c).nullCount();
      if (nulls) throw fail(`column ${c} has ${nulls} missing value(s)`);
    }
    const column = (name: string): pl.Series => {
      const series = df.getColumn(name);
      if (!series.isNumeric()) throw fail(`column ${name} holds ${series.dtype}, not numbers`);
      return series;
    };
    const index = column("index").cast(pl.Int32).toTypedArray() as Int32Array;
    const bad = index.findIndex((v, row) => v !== row);
    if (bad >= 0) throw fail(`row ${bad} has index ${index[bad]}: rows must be in benchmark index order`);
    const archColumn = df.getColumn("arch");
    if (!archColumn.isString()) throw fail(`column arch holds ${archColumn.dtype}, not cell strings`);
    this.#archs = archColumn.toArray() as string[];
    this.#codeByRow = new Int32Array(NB201_CELLS);
    this.#rowByCode = new Int32Array(NB201_CELLS).fill(-1);
    this.#archs.forEach((arch, row) => {
      const code = canonicalCode(arch);
      if (code < 0) {
        // Not in the benchmark's exact form: let the genotype parser say what is wrong.
        let why = `"${arch}" is not in the benchmark's canonical form`;
        try {
          parseGenotype(arch);
        } catch (e) {
          why = (e as Error).message;
        }
        throw fail(`row ${row}: ${why}`);
      }
      const seen = this.#rowByCode[code];
      if (seen >= 0) throw fail(`rows ${seen} and ${row} are the same cell ${arch}`);
      this.#rowByCode[code] = row;
      this.#codeByRow[row] = code;
    });
    this.#values = {} as Record<Nb201Metric, Float64Array>;
    for (const m of METRICS) {
      const name = NB201_METRIC_COLUMNS[m];
      const values = column(name).cast(pl.Float64).toTypedArray() as Float64Array;
      const row = values.findIndex((v) => !(v >= 0 && v <= 100));
      if (row >= 0) throw fail(`column ${name}, row ${row}: ${values[row]} is not an accuracy in [0, 100]`);
      this.#values[m] = values;
    }
    this.df = df.select("index", "arch", ...METRICS.map((m) => pl.col(NB201_METRIC_COLUMNS[m]).alias(m)));
  }

  /** All of a cell's accuracies; `cell` is a cell string, an op array (edge order) or an index. */
  accuracy(cell: Nb201Cell): Nb201Accuracy {
    const row = this.#row(cell);
    const arch = this.#archs[row];
    const record = { index: row, arch, ops: opsOf(this.#codeByRow[row]) } as Nb201Accuracy;
    for (const m of METRICS) record[m] = this.#values[m][row];
    return record;
  }

  /**
   * A cell's rank by `dataset` among all cells: 1 is the best, and tied cells share the better rank
   * (rank = 1 + the number of cells strictly better).
   */
  rank(cell: Nb201Cell, dataset: Nb201Metric = "cifar10"): number {
    const sorted = this.#sortedValues(dataset);
    const v = this.#values[dataset][this.#row(cell)];
    return 1 + sorted.length - firstAbove(sorted, v);
  }

  /**
   * The share of all cells (in %) strictly worse than `cell` by `dataset`: 0 for the worst cell,
   * (15,624 / 15,625)·100 for a unique best one.
   */
  percentile(cell: Nb201Cell, dataset: Nb201Metric = "cifar10"): number {
    const sorted = this.#sortedValues(dataset);
    const v = this.#values[dataset][this.#row(cell)];
    return (100 * firstAtLeast(sorted, v)) / sorted.length;
  }

  /** The best cell by `dataset` (the lowest index among ties) and its accuracy there. */
  optimum(dataset: Nb201Metric = "cifar10"): Nb201Optimum {
    const values = this.#metric(dataset);
    let best = 0;
    for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
    return { ...this.accuracy(best), dataset, accuracy: values[best] };
  }

  /**
   * The `k` best cells by `dataset` as a DataFrame, best first (ties by index), with a `rank` column
   * (as {@link rank}) before the table's columns. `k` beyond the table's size returns every cell.
   */
  topK(k: number, dataset: Nb201Metric = "cifar10"): pl.DataFrame {
    if (!Number.isInteger(k) || k < 1) throw new Error(`topK needs a whole number k ≥ 1, got ${k}`);
    const column = this.#checkMetric(dataset);
    const top = this.df.sort({ by: [column, "index"], descending: [true, false] }).head(k);
    const ranks = (top.getColumn("index").toArray() as number[]).map((i) => this.rank(Number(i), dataset));
    return top.withColumn(pl.Series("rank", ranks, pl.Int32)).select("rank", ...this.df.columns);
  }

  /** The table row of a cell, validating strings and op arrays through the genotype parser. */
  #row(cell: Nb201Cell): number {
    if (typeof cell === "number") {
      if (Number.isInteger(cell) && cell >= 0 && cell < NB201_CELLS) return cell;
      throw new Error(`unknown NAS-Bench-201 cell index ${cell}: indices run from 0 to ${NB201_CELLS - 1}`);
    }
    // parseGenotype(genotypeToString(ops)) checks the op count and names; a string is parsed as is.
    const ops = typeof cell === "string" ? parseGenotype(cell) : parseGenotype(genotypeToString(cell));
    const row = this.#rowByCode[opCode(ops)];
    if (row < 0) throw new Error(`NAS-Bench-201 cell ${genotypeToString(ops)} is not in the table`);
    return row;
  }

  #checkMetric(dataset: string): Nb201Metric {
    if (Object.hasOwn(NB201_METRIC_COLUMNS, dataset)) return dataset as Nb201Metric;
    throw new Error(
      `unknown NAS-Bench-201 dataset or metric "${dataset}": choose one of ${METRICS.join(", ")}`,
    );
  }

  #metric(dataset: Nb201Metric): Float64Array {
    return this.#values[this.#checkMetric(dataset)];
  }

  #sortedValues(dataset: Nb201Metric): Float64Array {
    let sorted = this.#sorted.get(dataset);
    if (!sorted) this.#sorted.set(dataset, sorted = this.#metric(dataset).slice().sort());
    return sorted;
  }
}

/** A file URL as a path; any other URL as is (so importing this module from the web does not throw). */
function localPath(url: URL): string {
  return url.protocol === "file:" ? fileURLToPath(url) : url.href;
}

/** Base-5 number of a cell's ops (edge 0 most significant): a dense key in [0, 15625). */
function opCode(ops: readonly Nb201Op[]): number {
  return ops.reduce((code, op) => code * NB201_OPS.length + NB201_OPS.indexOf(op), 0);
}

/** The ops of a code of {@link opCode}. */
function opsOf(code: number): Nb201Op[] {
  const ops: Nb201Op[] = [];
  for (let k = 0; k < NB201_EDGES.length; k++, code = Math.floor(code / NB201_OPS.length)) {
    ops.unshift(NB201_OPS[code % NB201_OPS.length]);
  }
  return ops;
}

const [BAR, PLUS, TILDE, ZERO] = ["|", "+", "~", "0"].map((c) => c.charCodeAt(0));

/**
 * The op code of a cell string exactly as `genotypeToString` writes it (the benchmark's form), or -1.
 * The table load checks all 15,625 strings: this scan allocates nothing and takes ~3 ms, where
 * `parseGenotype` takes ~60 ms and leaves ~10 MB of garbage (a regular expression with captures, ~8 ms
 * and 7 MB). A string it rejects goes to `parseGenotype` for the error message.
 */
function canonicalCode(arch: string): number {
  let p = 0;
  let code = 0;
  for (let node = 1; node < NB201_NODES; node++) {
    if (node > 1 && arch.charCodeAt(p++) !== PLUS) return -1;
    if (arch.charCodeAt(p++) !== BAR) return -1;
    for (let from = 0; from < node; from++) {
      // No op name is a prefix of another, so the first match is the only one.
      let digit = 0;
      while (digit < NB201_OPS.length && !arch.startsWith(NB201_OPS[digit], p)) digit++;
      if (digit === NB201_OPS.length) return -1;
      p += NB201_OPS[digit].length;
      if (arch.charCodeAt(p) !== TILDE || arch.charCodeAt(p + 1) !== ZERO + from) return -1;
      if (arch.charCodeAt(p + 2) !== BAR) return -1;
      p += 3;
      code = code * NB201_OPS.length + digit;
    }
  }
  return p === arch.length ? code : -1;
}

/** First position of an ascending array whose value is ≥ v (= the count of values < v). */
function firstAtLeast(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position of an ascending array whose value is > v (= the count of values ≤ v). */
function firstAbove(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
