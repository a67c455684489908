import assert from "node:assert/strict";
import { localExecutor, type SweepEvent } from "../../src/sweeps/local.ts";
import { expandGrid } from "../../src/sweeps/grid.ts";
import { sweep } from "../../src/sweeps/sweep.ts";
import { formatSweepTable } from "../../src/sweeps/table.ts";
import { search } from "../../src/search/search.ts";
import { onBackend } from "../helpers.ts";

const base = { epochs: 2, data: { limit: 64 } };

Deno.test("localExecutor: runs in 2 processes, reports each worker's progress, then finds them finished", async () => {
  const root = await Deno.makeTempDir();
  const grid = {
    name: "t",
    methods: ["darts", "sa"],
    seeds: [0],
    preset: "smoke",
    base,
    tableEpochs: [1, 2],
  };
  const events: SweepEvent[] = [];
  const report = await sweep(grid, {
    root,
    records: false,
    workers: 2,
    threads: 1,
    progress: (e) => events.push(e),
  });
  assert.deepEqual(report.outcomes.map((o) => o.status), ["ran", "ran"], JSON.stringify(report.failed));
  assert.deepEqual(new Set(events.filter((e) => e.type === "start").map((e) => e.worker)), new Set([0, 1]));
  // Each run reports its epochs in order (how the two runs interleave depends on the machine's load).
  const epochs = new Map<string, number[]>();
  for (const e of events) {
    if (e.type === "progress" && e.progress.event === "epoch") {
      epochs.set(e.run.name, [...epochs.get(e.run.name) ?? [], e.progress.epoch]);
    }
  }
  assert.deepEqual([...epochs.values()], [[1, 2], [1, 2]], "each run reports its epochs");
  assert.deepEqual(new Set(epochs.keys()), new Set(report.outcomes.map((o) => o.run.name)));
  // The table: one row per group and table epoch, the runs' own numbers (one seed: no std).
  assert.deepEqual(report.table!.select("group", "epoch", "runs").toRecords(), [
    { group: "darts", epoch: 1, runs: 1 },
    { group: "sa", epoch: 1, runs: 1 },
    { group: "darts", epoch: 2, runs: 1 },
    { group: "sa", epoch: 2, runs: 1 },
  ]);
  const saLast = report.results[1].metrics[2] as unknown as Record<string, number>;
  assert.equal(report.table!.getColumn("cifar10Mean").toArray()[3], saLast.cifar10);
  assert.match(formatSweepTable(report.table!), /^group\s+epoch\s+runs\s+cifar10\s+cifar100/);

  const again = await sweep(grid, { root, records: false, workers: 2, progress: false });
  assert.deepEqual(again.outcomes.map((o) => o.status), ["found", "found"]);
  assert.deepEqual(again.results.map((r) => r.summary), report.results.map((r) => r.summary));
  await Deno.remove(root, { recursive: true });
});

Deno.test("localExecutor: an interrupted run resumes from its checkpoint; a failing run is reported, the others run", async () => {
  const root = await Deno.makeTempDir();
  const grid = { methods: ["darts"], seeds: [0, 1], preset: "smoke", base };
  const [first, second] = expandGrid(grid);
  // Seed 0 stopped after one of its two epochs, as a killed sweep leaves it.
  await onBackend("wasm", () => search(first.config, { out: `${root}/${first.name}`, stopAfterEpochs: 1 }));
  // Seed 1's folder holds another config: its search refuses to touch it.
  await Deno.mkdir(`${root}/${second.name}`);
  await Deno.writeTextFile(
    `${root}/${second.name}/config.json`,
    JSON.stringify({ ...second.config, seed: 7 }),
  );
  const events: SweepEvent[] = [];
  const outcomes = await localExecutor({ root, records: false, threads: 1 }).run(
    [first, second],
    (e) => events.push(e),
  );
  assert.deepEqual(outcomes.map((o) => o.status), ["ran", "failed"]);
  assert.deepEqual(events.filter((e) => e.type === "start").map((e) => e.type === "start" && e.resumed), [
    true,
    true,
  ]);
  assert.equal(outcomes[0].result!.summary.epochsDone, 2);
  const epochs = events.flatMap((e) =>
    e.type === "progress" && e.progress.event === "epoch" ? [e.progress.epoch] : []
  );
  assert.deepEqual(epochs, [2], "only the second epoch ran again");
  assert.match(outcomes[1].message!, /seed/);
  await Deno.remove(root, { recursive: true });
});
