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
  const first = await openRunFolder(dir, config);
  assert.equal(first.existed, false);
  await assert.rejects(() => openRunFolder(dir, config), /is in use by process/, "held until released");
  first.release();
  const again = await openRunFolder(dir, { seed: 0, epochs: 2, method: "sa" });
  assert.equal(again.existed, true, "key order does not matter");
  again.release();
  await assert.rejects(
    () => openRunFolder(dir, { ...config, seed: 1 }),
    /holds a run with a different config \(seed: 0 in config.json, 1 asked\)/,
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["config.json"], "no lock left");
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

Deno.test("run folder: discard removes only what this opening created; a folder it made goes too", async () => {
  const parent = await Deno.makeTempDir();
  const made = await openRunFolder(`${parent}/new`, { a: 1 });
  await writeSummary(`${parent}/new`, { status: "running" });
  await made.discard();
  assert.deepEqual([...Deno.readDirSync(parent)], [], "the folder it created is gone");
  const dir = `${parent}/old`;
  (await openRunFolder(dir, { a: 1 })).release();
  await Deno.writeTextFile(`${dir}/metrics.csv`, "epoch\n0\n");
  const reopened = await openRunFolder(dir, { a: 1 });
  await writeSummary(dir, { status: "running" });
  await reopened.discard();
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["config.json", "metrics.csv"]);
  await Deno.remove(parent, { recursive: true });
});

Deno.test("run folder: stale temporary files are removed on opening; other files are left alone", async () => {
  const dir = await Deno.makeTempDir();
  (await openRunFolder(dir, { a: 1 })).release();
  await Deno.writeTextFile(`${dir}/checkpoint.bin.tmp-4242`, "partial");
  await Deno.writeTextFile(`${dir}/notes.tmp-1`, "not ours");
  const f = await openRunFolder(dir, { a: 1 });
  assert.deepEqual(f.staleRemoved, ["checkpoint.bin.tmp-4242"]);
  f.release();
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["config.json", "notes.tmp-1"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("run folder: an empty name and a file are refused before anything is written", async () => {
  await assert.rejects(() => openRunFolder("", {}), /run folder "" is empty: name a folder/);
  await assert.rejects(() => openRunFolder("  ", {}), /is empty/);
  const file = await Deno.makeTempFile();
  await assert.rejects(() => openRunFolder(file, {}), /is a file, not a folder/);
  await Deno.remove(file);
});
