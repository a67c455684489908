import assert from "node:assert/strict";
import { loadNb201 } from "../../src/benchmarks/nb201.ts";
import { lockRunFolder } from "../../src/runs/lock.ts";
import { gzipText, readFinishedRun, saveRecord } from "../../src/runs/records.ts";
import { cachedRunFolder, cachedSearch, runName } from "../../src/search/cache.ts";
import { searchConfig } from "../../src/search/config.ts";
import { onBackend } from "../helpers.ts";

const table = loadNb201();
const config = searchConfig({ method: "sa", preset: "smoke", epochs: 2, data: { limit: 128 } });

Deno.test("cachedSearch: a finished run is read back from its CSV records, equal to the run in every value", async () => {
  await onBackend("wasm", async () => {
    const root = await Deno.makeTempDir();
    const ran = await cachedSearch(config, { root, benchmark: table, records: false, progress: false });
    const folder = cachedRunFolder(config, root);
    assert.equal(folder, `${root}/${runName(config)}`);
    // The read-back needs no checkpoint (shipped records have none): take it away.
    await Deno.remove(`${folder}/checkpoint.bin`);
    const back = await cachedSearch(config, { root, benchmark: table, records: false, progress: false });
    assert.deepEqual(back.metrics, ran.metrics);
    assert.deepEqual(back.alpha, ran.alpha);
    assert.deepEqual(back.summary, ran.summary);
    assert.deepEqual(back.config, ran.config);

    // As a shipped record (gzip tables + manifest), found when the run folder is not there.
    const records = `${root}/records`;
    const bytes = await saveRecord(folder, `${records}/${runName(config)}`);
    assert.ok(bytes > 0 && bytes < 64 * 1024, `${bytes} bytes`);
    await Deno.remove(folder, { recursive: true });
    const shipped = await cachedSearch(config, { root, benchmark: table, records, progress: false });
    assert.deepEqual(shipped.metrics, ran.metrics);
    assert.deepEqual(shipped.alpha, ran.alpha);
    await assert.rejects(Deno.stat(folder), Deno.errors.NotFound, "reading a record runs nothing");
    // Another config is not that record.
    assert.equal(await readFinishedRun(`${records}/${runName(config)}`, { ...config, seed: 1 }), undefined);

    // A damaged record is refused, naming the file, never drawn.
    const metricsGz = `${records}/${runName(config)}/metrics.csv.gz`;
    const good = await Deno.readFile(metricsGz);
    const text = new TextDecoder().decode(
      await new Response(
        new Blob([good]).stream().pipeThrough(new DecompressionStream("gzip")),
      ).arrayBuffer(),
    );
    await Deno.writeFile(metricsGz, await gzipText(text.replace(/,(\d)\./, ",9.")));
    await assert.rejects(
      cachedSearch(config, { root, benchmark: table, records, progress: false }),
      /metrics\.csv differs from manifest\.json: the record is damaged/,
    );
    await Deno.writeFile(metricsGz, good.slice(0, 20));
    await assert.rejects(readFinishedRun(`${records}/${runName(config)}`), /not a readable gzip file/);
    await Deno.remove(root, { recursive: true });
  });
});

Deno.test("cachedSearch fresh: recomputes even when a record exists", async () => {
  await onBackend("wasm", async () => {
    const root = await Deno.makeTempDir();
    const one = searchConfig({ method: "darts", preset: "smoke", epochs: 1, data: { limit: 64 } });
    const first = await cachedSearch(one, { root, benchmark: table, records: false, progress: false });
    const again = await cachedSearch(one, {
      root,
      benchmark: table,
      records: false,
      fresh: true,
      progress: false,
    });
    assert.notEqual(again.summary.seconds, first.summary.seconds, "a new run, with its own wall time");
    assert.deepEqual(again.summary.alpha, first.summary.alpha, "equal config, equal result");
    // Not from under a search that holds the folder.
    const held = lockRunFolder(cachedRunFolder(one, root));
    await assert.rejects(
      cachedSearch(one, { root, benchmark: table, records: false, fresh: true, progress: false }),
      /in use/,
    );
    held.release();
    assert.ok(
      (await Deno.stat(`${cachedRunFolder(one, root)}/summary.json`)).isFile,
      "the run is still there",
    );
    await Deno.remove(root, { recursive: true });
  });
});

Deno.test("cachedSearch progress: true outside a Jupyter kernel says so", async () => {
  await assert.rejects(cachedSearch(config, { progress: true, records: false }), /needs a Jupyter kernel/);
});
