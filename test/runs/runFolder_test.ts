import assert from "node:assert/strict";
import {
  canonicalJson,
  openRunFolder,
  readRun,
  writeHistory,
  writeSummary,
} from "../../src/runs/runFolder.ts";

Deno.test("run folder: a config owns its folder; same config reopens, another is refused; tables read back", async () => {
  const dir = `${await Deno.makeTempDir()}/run`;
  const config = { method: "sa", seed: 0, epochs: 2 };
  assert.deepEqual(await openRunFolder(dir, config), { existed: false });
  assert.deepEqual(
    await openRunFolder(dir, { seed: 0, epochs: 2, method: "sa" }),
    { existed: true },
    "key order does not matter",
  );
  await assert.rejects(
    () => openRunFolder(dir, { ...config, seed: 1 }),
    /holds a run with a different config/,
  );
  await writeHistory(dir, [{ epoch: 1, trainLoss: 2.1, cell: "|a~0|" }], [{
    epoch: 1,
    edge: "1<-0",
    op: "none",
    alpha: 0.5,
    beta: 0.2,
  }]);
  await writeSummary(dir, { done: true });
  const run = await readRun(dir);
  assert.deepEqual(run.config, config);
  assert.deepEqual(run.metrics!.getColumn("trainLoss").toArray(), [2.1]);
  assert.deepEqual(run.alpha!.getColumn("op").toArray(), ["none"]);
  assert.deepEqual(run.summary, { done: true });
  assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), canonicalJson({ a: [{ c: 2, d: 1 }], b: 1 }));
});

Deno.test("run folder: an unreadable config is reported, not overwritten", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/config.json`, "{ truncated");
  await assert.rejects(() => openRunFolder(dir, { a: 1 }), /config.json is unreadable/);
  assert.equal(await Deno.readTextFile(`${dir}/config.json`), "{ truncated");
});
