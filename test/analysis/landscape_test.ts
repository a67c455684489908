import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { archLandscape, flatness, normalizedDirection, restoreSearch } from "../../src/analysis/landscape.ts";
import { search } from "../../src/search/search.ts";
import { searchConfig } from "../../src/search/config.ts";
import { SHIPPED_RECORDS } from "../../src/search/cache.ts";
import { onBackend } from "../helpers.ts";

const config = searchConfig({
  space: "darts-3op",
  method: "darts",
  preset: "smoke",
  epochs: 1,
  data: { limit: 128 },
});

Deno.test("restoreSearch + archLandscape: the centre is the search's own last evaluation; α is left as found", async () => {
  await onBackend("wasm", async () => {
    const out = await Deno.makeTempDir();
    const result = await search(config, { out });
    const restored = await restoreSearch(config, out);
    assert.equal(restored.epochsDone, 1);
    const alpha = restored.arch.alpha_normal.arraySync() as number[][];
    const before = tf.memory().numTensors;
    const rows: number[] = [];
    const land = archLandscape(restored, {
      steps: 3,
      radius: 0.5,
      images: 1_000_000,
      onRow: (d) => rows.push(d),
    });
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    assert.deepEqual(rows, [1, 2, 3]);
    assert.deepEqual(land.coordinates, [-0.5, 0, 0.5]);
    const last = result.metrics[result.metrics.length - 1];
    // The whole α half in eval mode, as the search's evaluation pass: the same loss and accuracy.
    assert.ok(
      Math.abs(land.loss[1][1] - (last.validLoss as number)) < 1e-6,
      `${land.loss[1][1]} vs ${last.validLoss}`,
    );
    assert.ok(Math.abs(land.score[1][1] - (last.validAcc as number)) < 1e-6);
    assert.ok(land.loss.flat().every(Number.isFinite));
    assert.notEqual(land.loss[0][0], land.loss[1][1], "the corners are other architectures");
    assert.deepEqual(restored.arch.alpha_normal.arraySync(), alpha, "α restored");
    // Directions: each row centred, as long as α*'s row minus its mean.
    const d = land.directions[0].alpha_normal;
    alpha.forEach((row, r) => {
      const mean = row.reduce((s, x) => s + x, 0) / row.length;
      assert.ok(Math.abs(Math.hypot(...d[r]) - Math.hypot(...row.map((x) => x - mean))) < 1e-6);
      assert.ok(Math.abs(d[r].reduce((s, x) => s + x, 0)) < 1e-9);
    });
    assert.throws(() => archLandscape(restored, { steps: 4 }), /steps must be an odd integer ≥ 3/);
    restored.dispose();
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("restoreSearch: a folder without checkpoint (a shipped record) or of another config says what to do", async () => {
  await onBackend("wasm", async () => {
    const record = `${SHIPPED_RECORDS}/darts-cpu-s0-42a9114a`;
    await assert.rejects(
      () => restoreSearch(searchConfig({ method: "darts", preset: "cpu" }), record),
      /checkpoint.bin does not exist: the supernet's weights are only in a run folder's checkpoint \(shipped records keep none\); run the search there first/,
    );
    const out = await Deno.makeTempDir();
    await search(config, { out });
    await assert.rejects(() => restoreSearch({ ...config, seed: 5 }, out), /holds another config's run/);
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("normalizedDirection and flatness: row norms, seeds, and the mean rise within a radius", () => {
  const values = { a: [[1, -2, 4], [0.5, 0, -0.5]], b: [[-3, -3, -3]] };
  const d = normalizedDirection(values, 3);
  assert.deepEqual(d, normalizedDirection(values, 3), "a seed fixes the direction");
  assert.notDeepEqual(d, normalizedDirection(values, 4));
  // Rows minus their means: [0, −3, 3] (norm √18) and [0.5, 0, −0.5] (norm √0.5).
  assert.ok(Math.abs(Math.hypot(...d.a[0]) - Math.sqrt(18)) < 1e-12);
  assert.ok(Math.abs(Math.hypot(...d.a[1]) - Math.sqrt(0.5)) < 1e-12);
  assert.ok(d.a.every((row) => Math.abs(row.reduce((s, x) => s + x, 0)) < 1e-12), "rows of mean 0");
  assert.deepEqual(d.b[0].map(Math.abs), [0, 0, 0], "a constant row: nothing softmax sees to scale to");
  const c = [-1, -0.5, 0, 0.5, 1];
  const cone = { coordinates: c, loss: c.map((x) => c.map((y) => 2 + Math.hypot(x, y))) };
  // Within 0.5: the 4 axis neighbours at 0.5 (the diagonals at 0.71 are outside): mean rise 0.5.
  assert.ok(Math.abs(flatness(cone, 0.5) - 0.5) < 1e-12);
  assert.throws(() => flatness(cone, 0.1), /no grid point within radius 0.1/);
});

Deno.test("cachedLandscape: computed once into the run folder, kept in its record, read back from either", async () => {
  const { cachedLandscape, landscapeFileName } = await import("../../src/analysis/cachedLandscape.ts");
  const { saveRecord } = await import("../../src/runs/records.ts");
  const { runName } = await import("../../src/search/cache.ts");
  await onBackend("wasm", async () => {
    const root = await Deno.makeTempDir();
    const grid = { steps: 3, radius: 0.5, images: 64 };
    const first = await cachedLandscape(config, { root, records: false, ...grid });
    const file = `${root}/${runName(config)}/${landscapeFileName(grid)}`;
    assert.ok((await Deno.stat(file)).isFile);
    assert.equal(first.epochsDone, 1);
    assert.deepEqual(first.grid, { steps: 3, radius: 0.5, images: 64, seed: 0 });
    const again = await cachedLandscape(config, { root, records: false, ...grid });
    assert.deepEqual(again, first);
    assert.notEqual(
      landscapeFileName(grid),
      landscapeFileName({ ...grid, seed: 1 }),
      "each grid its own file",
    );

    const records = `${root}/records`;
    await saveRecord(`${root}/${runName(config)}`, `${records}/${runName(config)}`);
    await Deno.remove(`${root}/${runName(config)}`, { recursive: true });
    const fromRecord = await cachedLandscape(config, { root, records, ...grid });
    assert.deepEqual(fromRecord, first);
    const manifest = JSON.parse(await Deno.readTextFile(`${records}/${runName(config)}/manifest.json`));
    assert.match(manifest.sha256[landscapeFileName(grid)], /^[0-9a-f]{64}$/);
    // A record whose landscape was edited is refused, not drawn.
    const { gzipText } = await import("../../src/runs/records.ts");
    const edited = JSON.stringify({ ...first, seconds: 1 }) + "\n";
    await Deno.writeFile(
      `${records}/${runName(config)}/${landscapeFileName(grid)}.gz`,
      await gzipText(edited),
    );
    await assert.rejects(
      () => cachedLandscape(config, { root, records, ...grid }),
      /differs from manifest.json/,
    );
    await Deno.remove(root, { recursive: true });
  });
});
