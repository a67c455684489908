/**
 * The records shipped for the notebooks (notebooks/records/): each is whole (manifest), valid (its
 * config passes the checks and names its folder) and re-creatable from its config: one record's first
 * epoch is re-run here and must equal the record bit for bit (`deno task records verify` does all).
 */
import assert from "node:assert/strict";
import { firstDifference, readRecord, recordNames, rerun } from "../../src/cli/records.ts";
import { SHIPPED_RECORDS } from "../../src/search/cache.ts";
import { onBackend } from "../helpers.ts";

const names = await recordNames(SHIPPED_RECORDS);

Deno.test("shipped records: each is whole, valid, named by its config, and at the cpu preset", async () => {
  assert.ok(names.length >= 9, `${names.length} records in ${SHIPPED_RECORDS}`);
  for (const name of names) {
    const { result: r } = await readRecord(SHIPPED_RECORDS, name);
    assert.equal(r.config.preset, "cpu", name);
    assert.equal(r.summary.status, "finished", name);
    assert.equal(r.metrics.length, r.config.epochs + 1, `${name}: one row per epoch and the initial one`);
    for (const f of ["checkpoint.bin", "metrics.csv", "alpha.csv"]) {
      await assert.rejects(
        Deno.stat(`${SHIPPED_RECORDS}/${name}/${f}`),
        Deno.errors.NotFound,
        `${name}: no ${f}`,
      );
    }
  }
});

Deno.test("shipped records: a record's first epoch re-run from its config equals the record bit for bit", async () => {
  await onBackend("wasm", async () => {
    // The smallest config that has an α step in epoch 1 (warm-up runs would test the weights only; a
    // DARTS-space epoch takes minutes: `deno task records verify --epochs 1 <name>` checks those).
    const records = await Promise.all(names.map((n) => readRecord(SHIPPED_RECORDS, n)));
    const record = records.find((r) =>
      r.kind === "search" && (r.result.config.methodOptions.warmupEpochs ?? 0) === 0 &&
      r.result.config.method === "sa" && r.result.config.space === "nb201"
    );
    assert.ok(record, "an SA record without warm-up");
    const again = await rerun(record, 1);
    assert.equal(again.metrics.length, 2);
    assert.equal(firstDifference(record.result, again), undefined);
  });
});
