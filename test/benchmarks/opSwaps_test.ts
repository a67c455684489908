import assert from "node:assert/strict";
import { loadNb201 } from "../../src/benchmarks/nb201.ts";
import { opSwapTable } from "../../src/benchmarks/opSwaps.ts";
import { betaRankAccuracy } from "../../src/plots/search.ts";
import { parseGenotype } from "../../src/spaces/nb201.ts";

Deno.test("opSwapTable: per edge, ops in decreasing β; rank 1 is the derived cell; each row swaps one edge", () => {
  const table = loadNb201();
  // α favouring, per edge, op (edge index) mod 5, with a clear order for the rest.
  const alpha = Array.from({ length: 6 }, (_, e) => [0, 1, 2, 3, 4].map((k) => ((k - e + 5) % 5) * -0.5));
  const swaps = opSwapTable(alpha, table);
  assert.equal(swaps.height, 30);
  const rows = swaps.toRecords() as Record<string, any>[];
  const derived = rows.filter((r) => r.rank === 1);
  assert.deepEqual(derived.map((r) => r.op), [
    "none",
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
    "none",
  ]);
  assert.ok(
    derived.every((r) => r.cell === derived[0].cell),
    "rank 1 is the same (derived) cell on every edge",
  );
  for (const r of rows) {
    const edgeRows = rows.filter((x) => x.edge === r.edge);
    if (r.rank > 1) {
      assert.ok(edgeRows.find((x) => x.rank === r.rank - 1)!.beta >= r.beta, "β decreases with rank");
    }
    const ops = parseGenotype(r.cell);
    const base = parseGenotype(derived[0].cell);
    assert.equal(ops.filter((op, i) => op !== base[i]).length, r.rank === 1 ? 0 : 1, "one edge differs");
    assert.equal(r.cifar100, table.accuracy(r.cell).cifar100);
  }
  assert.match(betaRankAccuracy(swaps).svg, /cifar100 test accuracy/);
});
