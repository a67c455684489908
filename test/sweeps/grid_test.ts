import assert from "node:assert/strict";
import { expandGrid, loadGrid } from "../../src/sweeps/grid.ts";
import { runName } from "../../src/search/cache.ts";
import { searchConfig } from "../../src/search/config.ts";

Deno.test("expandGrid: groups in grid order (method, option values, variant), every seed in each", () => {
  const runs = expandGrid({
    methods: ["sa", "sac"],
    seeds: [0, 1],
    preset: "smoke",
    methodOptions: { nu: [0, 0.5], mu: [1e6] },
    variants: [{ label: "short", epochs: 1 }, { epochs: 2 }],
  });
  assert.equal(runs.length, 2 * 2 * 2 * 2);
  assert.deepEqual([...new Set(runs.map((r) => r.group))], [
    "sa nu=0 mu=1000000 short",
    "sa nu=0 mu=1000000 epochs=2",
    "sa nu=0.5 mu=1000000 short",
    "sa nu=0.5 mu=1000000 epochs=2",
    "sac nu=0 mu=1000000 short",
    "sac nu=0 mu=1000000 epochs=2",
    "sac nu=0.5 mu=1000000 short",
    "sac nu=0.5 mu=1000000 epochs=2",
  ]);
  assert.deepEqual(runs.slice(0, 2).map((r) => r.config.seed), [0, 1]);
  const r = runs[2];
  assert.equal(r.config.epochs, 2);
  assert.deepEqual(r.config.methodOptions, { nu: 0, mu: 1e6 });
  // The run's folder name is the one deno task search and cachedSearch give the same config.
  assert.equal(
    r.name,
    runName(
      searchConfig({ method: "sa", seed: 0, preset: "smoke", epochs: 2, methodOptions: { nu: 0, mu: 1e6 } }),
    ),
  );
});

Deno.test("expandGrid: a plain grid names the runs a notebook's cachedSearch names (so shipped records are found)", () => {
  const [run] = expandGrid({ methods: ["darts"], seeds: [3], preset: "cpu" });
  assert.equal(run.group, "darts");
  assert.equal(run.name, runName(searchConfig({ method: "darts", seed: 3, preset: "cpu" })));
});

Deno.test("expandGrid: base fields reach every run and variants override them field by field", () => {
  const runs = expandGrid({
    methods: ["darts"],
    seeds: [0],
    preset: "smoke",
    base: { epochs: 3, data: { limit: 64 }, model: { channels: 4 } },
    variants: [{ label: "a" }, { label: "b", data: { batchSize: 16 } }],
  });
  assert.deepEqual(
    runs.map((r) => [r.config.epochs, r.config.data.limit, r.config.data.batchSize, r.config.model.channels]),
    [
      [3, 64, searchConfig({ preset: "smoke" }).data.batchSize, 4],
      [3, 64, 16, 4],
    ],
  );
});

Deno.test("expandGrid: spaces name the group only when the grid has several", () => {
  const runs = expandGrid({ spaces: ["nb201", "darts"], methods: ["darts"], seeds: [0], preset: "smoke" });
  assert.deepEqual(runs.map((r) => [r.group, r.config.space]), [["nb201 darts", "nb201"], [
    "darts darts",
    "darts",
  ]]);
});

Deno.test("expandGrid: bad grids fail with the field and what to do, before anything runs", () => {
  const bad: [unknown, RegExp][] = [
    [[], /must be a JSON object/],
    [{ methods: ["sa"], seeds: [0], method: "sa" }, /unknown field\(s\) "method": use name, spaces, methods/],
    [{ methods: [], seeds: [0] }, /"methods" must be a non-empty list/],
    [{ methods: ["sa"], seeds: [0, 0] }, /"seeds" repeats a seed/],
    [{ methods: ["sa"], seeds: [-1] }, /"seeds" has a value of the wrong type/],
    [{ methods: ["nope"], seeds: [0] }, /group "nope", seed 0: .*nope/],
    [
      { methods: ["sa"], seeds: [0], methodOptions: { nu: [2] } },
      /group "sa nu=2", seed 0: .*ν must be in \[0, 1\]/,
    ],
    [
      { methods: ["sa"], seeds: [0], methodOptions: { nu: 1 } },
      /"methodOptions.nu" must be a non-empty list/,
    ],
    [
      { methods: ["sa"], seeds: [0], variants: [{ label: "x" }, { label: "x", epochs: 2 }] },
      /both "sa x": give the variants distinct labels/,
    ],
    [
      { methods: ["sa"], seeds: [0], variants: [{ label: "x" }, { label: "y" }] },
      /"sa x" and "sa y" are the same config/,
    ],
    [{ methods: ["sa"], seeds: [0], tableEpochs: [1.5] }, /"tableEpochs" has a value of the wrong type/],
  ];
  for (const [grid, message] of bad) {
    assert.throws(() => expandGrid(grid as never), message, JSON.stringify(grid));
  }
});

Deno.test("loadGrid: a missing file and bad JSON name the file", async () => {
  await assert.rejects(
    () => loadGrid("/nonexistent/grid.json"),
    /sweep grid \/nonexistent\/grid.json: cannot read it/,
  );
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, "{ methods: [");
  await assert.rejects(() => loadGrid(file), new RegExp(`sweep grid ${file}: not valid JSON`));
  await Deno.remove(file);
});
