import assert from "node:assert/strict";
import { parseSearchArgs } from "../../src/cli/search.ts";
import { cachedRunFolder } from "../../src/search/cache.ts";
import { loadSearchData } from "../../src/data/searchData.ts";
import {
  lambdaStrength,
  loadConfigFile,
  SCALES,
  searchConfig,
  searchMethod,
  SPACES,
} from "../../src/search/config.ts";
import { spaceByName } from "../../src/spaces/mod.ts";
import { canonicalJson } from "../../src/runs/runFolder.ts";

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
  assert.deepEqual(SCALES, ["smoke", "cpu", "paper"]);
  for (const space of SPACES) {
    assert.deepEqual(Object.keys(spaceByName(space).presets).slice(0, 3), SCALES, space);
  }
  assert.equal(searchConfig({ preset: "paper" }).data.augment, true);
});

Deno.test("config: unknown names and out-of-range values are clear errors", () => {
  assert.throws(() => searchConfig({ method: "enas" }), /unknown search method "enas": choose one of darts/);
  assert.throws(
    () => searchConfig({ space: "dart" }),
    /unknown search space "dart" \(did you mean "darts"\?\): choose one of nb201, darts/,
  );
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
    () => searchConfig({ methodOptions: { partialChannels: 3 } }),
    /partialChannels \(PC-DARTS' K\) 3 does not divide the nb201 space's \d+ channels/,
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
  assert.match(o.out, /^runs\/darts-smoke-s2-[0-9a-f]{8}$/);
  assert.deepEqual(
    parseSearchArgs(["--lambda-divisor", "2", "--nu", "0.25", "--mu", "1e6"]).config.methodOptions,
    {
      nu: 0.25,
      mu: 1e6,
      lambda: { divisor: 2 },
    },
  );
  // One folder rule for the CLI and cachedSearch: a knob changes the name, so a default run never blocks it.
  assert.equal(
    parseSearchArgs([]).out,
    cachedRunFolder(searchConfig({ method: "sa", preset: "cpu", seed: 0 })),
  );
  assert.match(parseSearchArgs([]).out, /^runs\/sa-cpu-s0-[0-9a-f]{8}$/);
  assert.notEqual(parseSearchArgs(["--nu", "0.5"]).out, parseSearchArgs([]).out);
  assert.throws(() => parseSearchArgs(["--epochs", "-1"]), /epochs must be an integer ≥ 1, got -1/);
  assert.throws(() => parseSearchArgs(["--epochs", "ten"]), /--epochs expects a decimal number, got "ten"/);
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

/** SHA-256 (first 8 bytes) of configs' canonical JSON, as the code before config files made them. */
const GOLDEN: [object, string][] = [
  [{}, "444c143461164025"],
  [{ "preset": "smoke" }, "ffab618d1d25e595"],
  [{ "preset": "paper" }, "0b8c1d193ad8965d"],
  [{ "method": "darts", "seed": 2 }, "9fd71fb087e821c3"],
  [{ "method": "beta" }, "7ace27377b336d7a"],
  [{ "method": "snas" }, "0f94d57a570230c2"],
  [{ "method": "snas-sa", "preset": "smoke" }, "35b4cbe8e94c7138"],
  [{ "method": "drnas", "methodOptions": { "sampleInEval": false } }, "bc1396d37fcd3f76"],
  [{ "methodOptions": { "nu": 0.25, "mu": 1000000, "lambda": { "divisor": 2 } } }, "b96b65dde7d05252"],
  [
    {
      "method": "darts",
      "methodOptions": { "alphaInit": { "bias": { "skip_connect": 0.1 } }, "warmupEpochs": 15 },
      "epochs": 50,
    },
    "9f27d54da9f60207",
  ],
  [{ "method": "darts", "methodOptions": { "alphaInit": { "offset": -0.5 } } }, "e5629fd5138f6255"],
  [{ "method": "beta", "methodOptions": { "lambda": { "slope": 1, "start": 0.5 } } }, "d74f9df84a7769fe"],
  [
    { "data": { "limit": 1000, "batchSize": 32, "augment": true, "cutout": 8 }, "model": { "channels": 4 } },
    "a1d610fe7314ed7e",
  ],
  [{ "preset": "paper", "data": { "path": "x/" }, "evaluate": false }, "9433d8a4b3c220bb"],
];

async function shortHash(text: string): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(h.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("config: existing configs keep their JSON exactly (run folders are keyed by it)", async () => {
  for (const [options, hash] of GOLDEN) {
    assert.equal(await shortHash(canonicalJson(searchConfig(options))), hash, JSON.stringify(options));
  }
  const c = searchConfig();
  assert.equal(c.methodOptions.weightOptimizer, undefined, "minLr is absent unless given");
  assert.ok(!canonicalJson(c).includes("points"));
});

Deno.test("config: λ as points is piecewise linear and held outside; from the CLI as --lambda-points", () => {
  const c = searchConfig({ methodOptions: { lambda: { points: [[0, 0], [10, 2], [20, 2]] } } });
  const lambda = lambdaStrength(c.methodOptions.lambda!) as (e: number) => number;
  assert.deepEqual([0, 5, 10, 15, 25].map(lambda), [0, 1, 2, 2, 2]);
  const o = parseSearchArgs(["--lambda-points", "0:0,10:2,20:2"]);
  assert.deepEqual(o.config.methodOptions, { lambda: { points: [[0, 0], [10, 2], [20, 2]] } });
  assert.deepEqual(
    parseSearchArgs(["--method", "beta", "--lambda-points", "5:1"]).config.methodOptions.lambda,
    {
      points: [[5, 1]],
    },
  );
});

Deno.test("config: --weight-lr-min sets the cosine schedule's end; absent, the default and the JSON stay", () => {
  const o = parseSearchArgs(["--weight-lr", "1e-4", "--weight-lr-min", "1e-5"]);
  assert.deepEqual(o.config.methodOptions, { weightOptimizer: { lr: 1e-4, minLr: 1e-5 } });
  assert.equal(searchMethod(o.config).weightOptimizer.minLr, 1e-5);
  assert.equal(searchMethod(searchConfig()).weightOptimizer.minLr, 1e-3);
});

Deno.test("config files: --config runs a run folder's config or a user's, flags override its fields", async () => {
  const dir = await Deno.makeTempDir();
  const full = searchConfig({
    preset: "smoke",
    method: "darts",
    methodOptions: { alphaInit: { bias: { skip_connect: 0.1 } } },
  });
  await Deno.mkdir(`${dir}/run`);
  await Deno.writeTextFile(`${dir}/run/config.json`, canonicalJson(full));
  assert.deepEqual(parseSearchArgs(["--config", `${dir}/run/config.json`]).config, full);
  assert.deepEqual(parseSearchArgs(["--config", `${dir}/run`]).config, full, "a folder: its config.json");
  const over = parseSearchArgs([
    "--config",
    `${dir}/run/config.json`,
    "--seed",
    "3",
    "--alpha-offset",
    "-1",
    "--batch-size",
    "16",
  ]).config;
  assert.equal(over.seed, 3);
  assert.deepEqual(over.methodOptions, { alphaInit: { bias: { skip_connect: 0.1 }, offset: -1 } });
  assert.equal(over.data.batchSize, 16);
  assert.equal(over.data.limit, 512, "the file's other data fields stay");
  await Deno.writeTextFile(
    `${dir}/mine.json`,
    JSON.stringify({ preset: "smoke", epochs: 2, methodOptions: { nu: 0.5 } }),
  );
  const mine = parseSearchArgs(["--config", `${dir}/mine.json`, "--mu", "2"]).config;
  assert.deepEqual([mine.epochs, mine.methodOptions], [2, { nu: 0.5, mu: 2 }]);
  assert.deepEqual(loadConfigFile(`${dir}/mine.json`), {
    preset: "smoke",
    epochs: 2,
    methodOptions: { nu: 0.5 },
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI arguments: decimal numbers only; values may be negative; a repeated --alpha-bias adds ops", () => {
  assert.equal(parseSearchArgs(["--alpha-offset", "-0.5"]).config.methodOptions.alphaInit?.offset, -0.5);
  assert.equal(parseSearchArgs(["--alpha-offset=-.5"]).config.methodOptions.alphaInit?.offset, -0.5);
  assert.equal(parseSearchArgs(["--epochs", "1e1"]).config.epochs, 10);
  assert.throws(() => parseSearchArgs(["--epochs", "0x1"]), /decimal number, got "0x1"/);
  assert.deepEqual(
    parseSearchArgs(["--method", "darts", "--alpha-bias", "skip_connect=0.1", "--alpha-bias", "none=-1"])
      .config
      .methodOptions.alphaInit,
    { bias: { skip_connect: 0.1, none: -1 } },
  );
  assert.equal(parseSearchArgs(["--threads", "2"]).threads, 2);
  assert.equal(parseSearchArgs(["--backend", "webgpu", "--allow-software-webgpu"]).allowSoftwareWebgpu, true);
});

Deno.test("CLI: --cells sets the space's own cell count; --partial-channels sets PC-DARTS' K", () => {
  assert.equal(parseSearchArgs(["--cells", "3"]).config.model.cellsPerStage, 3);
  const d =
    parseSearchArgs(["--space", "darts", "--cells", "6", "--method", "sac", "--partial-channels", "2"])
      .config;
  assert.deepEqual([d.model.layers, d.methodOptions.partialChannels], [6, 2]);
  assert.equal(searchMethod(d).partialChannels, 2);
});

Deno.test("CLI: --hessian records the Hessian's eigenvalue (its own run folder); --progress-json is a run option only", () => {
  const plain = parseSearchArgs(["--preset", "smoke"]);
  const o = parseSearchArgs(["--preset", "smoke", "--hessian", "--progress-json"]);
  assert.equal(o.config.hessian, true);
  assert.equal(plain.config.hessian, undefined);
  assert.notEqual(o.out, plain.out);
  assert.equal(o.progressJson, true);
  assert.equal(plain.progressJson, false);
  assert.deepEqual(parseSearchArgs(["--preset", "smoke", "--progress-json"]).config, plain.config);
});
