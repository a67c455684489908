import assert from "node:assert/strict";
import { searchConfig } from "../../src/search/config.ts";
import { spaceByName } from "../../src/spaces/mod.ts";
import { NB201_PRESETS, NB201_SPACE } from "../../src/spaces/nb201Space.ts";
import { type ArchParamSpec, archTable } from "../../src/spaces/space.ts";

Deno.test("spaceByName: registered spaces by name; an unknown one is a clear error, with the closest name", () => {
  assert.equal(spaceByName("nb201"), NB201_SPACE);
  assert.throws(
    () => spaceByName("NB201"),
    /unknown search space "NB201" \(did you mean "nb201"\?\): choose one of nb201/,
  );
  assert.throws(() => spaceByName("imagenet"), /unknown search space "imagenet": choose one of/);
  assert.throws(() => searchConfig({ space: "nb-201" }), /did you mean "nb201"/);
});

Deno.test("archTable: one row per parameter × edge × op, β the softmax of each row; param named when several", () => {
  const spec = (name: string): ArchParamSpec => ({
    name,
    role: "ops",
    rows: ["e0"],
    columns: [["a", "b"]],
  });
  const one = archTable(3, [spec("alpha")], { alpha: [[0, Math.log(3)]] });
  assert.deepEqual(one.map((r) => [r.epoch, r.edge, r.op, r.alpha]), [[3, "e0", "a", 0], [
    3,
    "e0",
    "b",
    Math.log(3),
  ]]);
  assert.ok(Math.abs(one[0].beta - 0.25) < 1e-15 && Math.abs(one[1].beta - 0.75) < 1e-15);
  assert.ok(one.every((r) => !("param" in r)), "a single parameter's rows carry no param column");
  const two = archTable(0, [spec("alpha_normal"), spec("alpha_reduce")], {
    alpha_normal: [[0, 0]],
    alpha_reduce: [[1, 1]],
  });
  assert.deepEqual(two.map((r) => r.param), ["alpha_normal", "alpha_normal", "alpha_reduce", "alpha_reduce"]);
});

Deno.test("nb201 space: one α [6, 5] by name, the benchmark's columns, and what it refuses", () => {
  const run = NB201_SPACE.open({ model: NB201_PRESETS.smoke.model });
  assert.deepEqual(run.archParams.map((p) => [p.name, p.role, p.rows.length, p.columns[0].length]), [[
    "alpha",
    "ops",
    6,
    5,
  ]]);
  const alpha = Array.from({ length: 6 }, () => [0, 1, 0, 0, 0]);
  const record = run.record({ alpha });
  assert.equal(
    record.cell,
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
  );
  assert.equal(record.skipEdges, 6);
  assert.equal(Object.keys(record)[0], "cell", "the cell is the first column");
  assert.match(run.describe(record.cell) ?? "", /^NB201 CIFAR-10 \d+\.\d\d%$/);
  assert.equal(run.describe("not a cell"), undefined);
  assert.throws(
    () => NB201_SPACE.open({ model: NB201_PRESETS.smoke.model, partialChannels: 3 }),
    /partialChannels \(PC-DARTS' K\) 3 does not divide the nb201 space's 4 channels/,
  );
  // Partial channels add PC-DARTS' edge scores, one per edge.
  const pc = NB201_SPACE.open({ model: NB201_PRESETS.smoke.model, partialChannels: 2 });
  assert.deepEqual(pc.archParams.map((p) => [p.name, p.role, p.rows.length, p.columns[0].length]), [
    ["alpha", "ops", 6, 5],
    ["beta", "edges", 6, 1],
  ]);
});
