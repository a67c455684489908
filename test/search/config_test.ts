import assert from "node:assert/strict";
import { parseSearchArgs } from "../../src/cli/search.ts";
import { loadSearchData } from "../../src/data/searchData.ts";
import { PRESETS, searchConfig, searchMethod } from "../../src/search/config.ts";

Deno.test("presets: the cpu preset is the issue's setting", () => {
  const c = searchConfig();
  assert.equal(c.method, "sa");
  assert.equal(c.preset, "cpu");
  assert.equal(c.epochs, 20);
  assert.deepEqual(c.model, { channels: 8, cellsPerStage: 2, affine: false, trackRunningStats: true });
  assert.equal(c.data.batchSize, 64);
  assert.equal(c.data.augment, false);
  const m = searchMethod(c);
  assert.equal(m.archOptimizer.weightDecay, 0, "SA: no α weight decay");
  assert.equal(searchMethod({ ...c, method: "darts" }).archOptimizer.weightDecay, 1e-3);
  assert.deepEqual(Object.keys(PRESETS), ["smoke", "cpu", "paper"]);
  assert.equal(searchConfig({ preset: "paper" }).data.augment, true);
});

Deno.test("config: unknown names and out-of-range values are clear errors", () => {
  assert.throws(() => searchConfig({ method: "enas" }), /unknown search method "enas": choose one of darts/);
  assert.throws(() => searchConfig({ space: "darts" }), /unknown search space "darts": choose one of nb201/);
  assert.throws(
    () => searchConfig({ preset: "huge" }),
    /unknown preset "huge": choose one of smoke, cpu, paper/,
  );
  assert.throws(() => searchConfig({ epochs: -2 }), /epochs must be an integer ≥ 1, got -2/);
  assert.throws(() => searchConfig({ epochs: 2.5 }), /epochs must be an integer/);
  assert.throws(() => searchConfig({ seed: -1 }), /seed must be an integer ≥ 0/);
  assert.throws(() => searchConfig({ methodOptions: { nu: 1.5 } }), /ν must be in \[0, 1\], got 1.5/);
  assert.throws(() => searchConfig({ methodOptions: { nu: -0.1 } }), /ν must be in \[0, 1\]/);
  assert.throws(
    () => searchConfig({ methodOptions: { lambda: -1 } }),
    /λ must be a finite number ≥ 0, got -1/,
  );
  assert.throws(
    () => searchConfig({ methodOptions: { lambda: { divisor: 0 } } }),
    /divisor must be a finite number > 0/,
  );
  assert.throws(() => searchConfig({ method: "darts", methodOptions: { nu: 0.5 } }), /takes no option "nu"/);
  assert.throws(() => searchConfig({ methodOptions: { warmupEpochs: 20 } }), /leaves no epoch/);
  assert.throws(() => searchConfig({ data: { batchSize: 0 } }), /data.batchSize must be an integer ≥ 1/);
  assert.throws(() => searchConfig({ data: { cutout: 8 } }), /cutout needs data.augment/);
  assert.throws(() => searchConfig({ data: { colour: true } as never }), /unknown data option "colour"/);
  assert.throws(() => searchConfig({ model: { width: 3 } as never }), /unknown model option "width"/);
  assert.throws(
    () => searchConfig({ methodOptions: { partialChannels: 4 } }),
    /not available in the NAS-Bench-201/,
  );
});

Deno.test("CLI arguments: knobs reach the config; bad values are named", () => {
  const o = parseSearchArgs([
    "--method",
    "darts",
    "--seed",
    "2",
    "--epochs",
    "12",
    "--alpha-bias",
    "skip_connect=0.1",
    "--alpha-offset",
    "-0.5",
    "--warmup-epochs",
    "3",
    "--preset",
    "smoke",
    "--arch-lr",
    "1e-3",
  ]);
  assert.equal(o.config.method, "darts");
  assert.equal(o.config.seed, 2);
  assert.deepEqual(o.config.methodOptions, {
    warmupEpochs: 3,
    alphaInit: { offset: -0.5, bias: { skip_connect: 0.1 } },
    archOptimizer: { lr: 1e-3 },
  });
  assert.equal(o.out, "runs/darts-smoke-s2");
  assert.deepEqual(
    parseSearchArgs(["--lambda-divisor", "2", "--nu", "0.25", "--mu", "1e6"]).config.methodOptions,
    {
      nu: 0.25,
      mu: 1e6,
      lambda: { divisor: 2 },
    },
  );
  assert.equal(parseSearchArgs([]).out, "runs/sa-cpu-s0");
  assert.throws(() => parseSearchArgs(["--epochs", "-1"]), /epochs must be an integer ≥ 1, got -1/);
  assert.throws(() => parseSearchArgs(["--epochs", "ten"]), /--epochs expects a number, got "ten"/);
  assert.throws(
    () => parseSearchArgs(["--lambda", "1", "--lambda-divisor", "2"]),
    /one of --lambda, --lambda-divisor/,
  );
  assert.throws(() => parseSearchArgs(["--alpha-bias", "skip"]), /OP=VALUE/);
  assert.throws(
    () => parseSearchArgs(["--method", "darts", "--alpha-bias", "conv=1"]),
    /"conv", not one of the ops/,
  );
  assert.throws(() => parseSearchArgs(["--colour"]), /colour/);
});

Deno.test("search data: limit and downsampling; missing CIFAR-10 says how to get it", async () => {
  const s = await loadSearchData({ ...searchConfig({ preset: "smoke" }).data });
  assert.equal(s.count, 512);
  assert.equal(s.height, 8);
  await assert.rejects(
    loadSearchData({ ...searchConfig().data, limit: 20000 }),
    /data.limit 20000 is more than the 10000 images/,
  );
  await assert.rejects(
    loadSearchData({ ...searchConfig({ preset: "paper" }).data, path: "/nonexistent/cifar/" }),
    /CIFAR-10 not found in \/nonexistent\/cifar\/: run the search once with --download/,
  );
  const official = await loadSearchData({
    ...searchConfig({ preset: "paper" }).data,
    path: new URL("../fixtures/cifar10_20.bin", import.meta.url).pathname,
  });
  assert.equal(official.count, 20);
  assert.equal(official.height, 32);
});
