import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { loadSearchData } from "../../src/data/searchData.ts";
import { searchConfig, type SearchConfigOptions } from "../../src/search/config.ts";
import { search } from "../../src/search/search.ts";
import { parseDartsGenotype } from "../../src/spaces/darts.ts";
import { onBackend } from "../helpers.ts";

const tiny = (o: SearchConfigOptions = {}) =>
  searchConfig({ space: "darts", preset: "smoke", method: "sa", epochs: 2, data: { limit: 128 }, ...o });
const data = await loadSearchData(tiny().data);
const TIMING = new Set(["seconds", "elapsed"]);
const untimed = (rows: readonly object[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));

Deno.test("darts space (smoke): α_normal and α_reduce by name, genotypes per epoch, seeded, no leaks", async () => {
  await onBackend("wasm", async () => {
    const a = await search(tiny(), { data });
    const before = tf.memory().numTensors;
    const b = await search(tiny(), { data });
    assert.equal(tf.memory().numTensors, before, "a search leaves no tensor behind");
    assert.deepEqual(untimed(a.metrics), untimed(b.metrics));
    assert.deepEqual(a.alpha, b.alpha);
    assert.equal(a.alpha.length, 3 * 2 * 14 * 8, "epochs × cell types × edges × ops");
    assert.deepEqual([...new Set(a.alpha.map((r) => r.param))], ["alpha_normal", "alpha_reduce"]);
    for (const m of a.metrics) {
      const g = parseDartsGenotype(m.cell);
      assert.equal(m.normalSkips, g.normal.filter(([op]) => op === "skip_connect").length);
      assert.ok(Number.isFinite(m.minTop2Gap as number) && typeof m.closestEdge === "string");
    }
    const arch = a.summary.arch as Record<string, number[][]>;
    assert.deepEqual(Object.keys(arch), ["alpha_normal", "alpha_reduce"]);
    assert.equal(arch.alpha_normal.length, 14);
    const c = await search(tiny({ seed: 1 }), { data });
    assert.notDeepEqual(c.summary.arch, a.summary.arch, "another seed, another run");
  });
});

Deno.test("darts space: a run stopped after its first epoch and resumed equals the uninterrupted run, bit for bit", async () => {
  await onBackend("wasm", async () => {
    const config = tiny({ method: "darts" });
    const whole = await search(config, { data });
    const out = await Deno.makeTempDir();
    try {
      await search(config, { data, out, stopAfterEpochs: 1 });
      const resumed = await search(config, { data, out, resume: true });
      assert.deepEqual(untimed(resumed.metrics), untimed(whole.metrics));
      assert.deepEqual(resumed.alpha, whole.alpha);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("darts space with partial channels and S4's noise op: edge scores β by name, normalized per node", async () => {
  await onBackend("wasm", async () => {
    const pc = await search(tiny({ methodOptions: { partialChannels: 2 }, epochs: 1 }), { data });
    const params = [...new Set(pc.alpha.map((r) => r.param))];
    assert.deepEqual(params, ["alpha_normal", "alpha_reduce", "beta_normal", "beta_reduce"]);
    // β of node 0's two edges sums to 1 (softmax over the node's incoming edges).
    const node0 = pc.alpha.filter((r) =>
      r.epoch === 1 && r.param === "beta_normal" && r.edge.startsWith("n0<-")
    );
    assert.equal(node0.length, 2);
    assert.ok(Math.abs(node0[0].beta + node0[1].beta - 1) < 1e-12);
    const s4 = await search(tiny({ space: "s4", epochs: 1 }), { data });
    assert.deepEqual([...new Set(s4.alpha.map((r) => r.op))].sort(), ["noise", "sep_conv_3x3"]);
    const again = await search(tiny({ space: "s4", epochs: 1 }), { data });
    assert.deepEqual(again.alpha, s4.alpha, "the noise op is seeded by the run");
  });
});

Deno.test("darts space: bad input is a clear error before anything runs", () => {
  assert.throws(
    () => searchConfig({ space: "dart" }),
    /unknown search space "dart" \(did you mean "darts"\?\)/,
  );
  assert.throws(
    () => tiny({ methodOptions: { partialChannels: 3 } }),
    /partialChannels \(PC-DARTS' K\) 3 does not divide the 4 channels of the darts space's cells/,
  );
  assert.throws(
    () => tiny({ space: "s2", methodOptions: { alphaInit: { bias: { avg_pool_3x3: 0.1 } } } }),
    /alphaInit.bias names "avg_pool_3x3", not one of the ops skip_connect, sep_conv_3x3/,
  );
  assert.throws(() => tiny({ model: { cellsPerStage: 2 } }), /unknown model option "cellsPerStage"/);
  assert.throws(() => tiny({ model: { layers: 2 } }), /model.layers must be an integer ≥ 3/);
  assert.throws(
    () => tiny({ model: { recompute: "yes" } }),
    /model.recompute must be true or false, got "yes"/,
  );
  assert.throws(
    () => searchConfig({ preset: "smoke", model: { recompute: true } }),
    /unknown model option "recompute"/,
    "NB201 keeps its activations",
  );
});

Deno.test("darts space: model.recompute (per-cell recomputation) searches as the stored pass does, to rounding", async () => {
  await onBackend("wasm", async () => {
    const run = async (config: ReturnType<typeof tiny>) => {
      let result: Awaited<ReturnType<typeof search>> | undefined;
      const info = await tf.profile(async () => {
        result = await search(config, { data });
      });
      return { ...result!, peakBytes: info.peakBytes };
    };
    const stored = await run(tiny({ epochs: 1 }));
    const config = tiny({ epochs: 1, model: { recompute: true } });
    assert.equal(config.model.recompute, true);
    const recomputed = await run(config);
    assert.ok(
      recomputed.peakBytes < 0.8 * stored.peakBytes,
      `peak ${recomputed.peakBytes} B recomputed vs ${stored.peakBytes} B stored: the option reached the supernet`,
    );
    const arch = (r: typeof stored) => Object.values(r.summary.arch as Record<string, number[][]>).flat(2);
    const [a, b] = [arch(stored), arch(recomputed)];
    assert.equal(b.length, 2 * 14 * 8);
    assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-5), "α after an epoch agrees to 1e-5");
    assert.ok(
      Math.abs((stored.metrics[0].trainLoss as number) - (recomputed.metrics[0].trainLoss as number)) < 1e-4,
    );
  });
});
