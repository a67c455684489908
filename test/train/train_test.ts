import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { DARTS_GENOTYPES, formatDartsGenotype } from "../../src/spaces/darts.ts";
import { genotypeFromRun, resolveGenotype, trainConfig } from "../../src/train/config.ts";
import { NonFiniteLossError, train, trainDropPath, trainLr } from "../../src/train/train.ts";
import { loadTrainData } from "../../src/train/trainData.ts";
import { onBackend } from "../helpers.ts";

const small = (o: Parameters<typeof trainConfig>[0] extends infer T ? Partial<T> : never = {}) =>
  trainConfig({
    genotype: DARTS_GENOTYPES.DARTS_V2,
    genotypeSource: "DARTS_V2",
    preset: "smoke",
    epochs: 3,
    data: { limit: 64, testLimit: 32, batchSize: 16 },
    ...o,
  });

/** A row without its timings, which differ between runs. */
const untimed = (r: Record<string, unknown>) => {
  const { seconds: _s, elapsed: _e, ...rest } = r;
  return rest;
};

Deno.test("train: a resumed run equals an uninterrupted one, bit for bit; no tensor is left behind", async () => {
  await onBackend("wasm", async () => {
    const config = small();
    const data = await loadTrainData(config);
    const dir = await Deno.makeTempDir();
    try {
      const whole = await train(config, { data, out: `${dir}/whole` });
      // The first run made the poolings' cached constants; a run must leave nothing else behind.
      const before = tf.memory().numTensors;
      await train(config, { data, out: `${dir}/parts`, stopAfterEpochs: 1 });
      const parts = await train(config, { data, out: `${dir}/parts`, resume: true });
      assert.equal(tf.memory().numTensors, before, "tensors left after a run");
      assert.deepEqual(parts.metrics.map(untimed), whole.metrics.map(untimed));
      assert.equal(parts.summary.testAcc, whole.summary.testAcc);
      assert.equal(whole.metrics.length, 4);
      // Read back, not re-run.
      const again = await train(config, { data, out: `${dir}/whole`, resume: true });
      assert.deepEqual(again.metrics, whole.metrics);
      await assert.rejects(
        train(config, { data, out: `${dir}/whole` }),
        /already holds this run .* pass --resume/,
      );
      const csv = await Deno.readTextFile(`${dir}/whole/metrics.csv`);
      assert.match(
        csv.split("\n")[0],
        /^epoch,lr,dropPathProb,trainLoss,trainAcc,testLoss,testAcc,seconds,elapsed$/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("train: the schedules (cosine lr per epoch, linear drop path), and the loss goes down", async () => {
  await onBackend("wasm", async () => {
    const c = small({ epochs: 4, optimizer: { lr: 0.1, minLr: 0.01 } });
    assert.equal(trainLr(c, 0), 0.1);
    assert.ok(Math.abs(trainLr(c, 2) - 0.055) < 1e-12);
    assert.equal(trainDropPath(c, 0), 0);
    assert.ok(Math.abs(trainDropPath(c, 2) - 0.1) < 1e-12);
    const { metrics } = await train(c);
    assert.deepEqual(metrics.map((r) => r.lr), [null, 0.1, trainLr(c, 1), trainLr(c, 2), trainLr(c, 3)]);
    assert.deepEqual(metrics.map((r) => r.dropPathProb), [null, 0, 0.05, 0.1, 0.15000000000000002]);
    assert.ok(
      metrics[4].trainLoss! < metrics[1].trainLoss!,
      `training loss ${metrics[1].trainLoss} → ${metrics[4].trainLoss}`,
    );
  });
});

Deno.test("train: a diverging run stops on the non-finite loss and keeps the last checkpoint", async () => {
  await onBackend("wasm", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const c = small({ optimizer: { lr: 1e30, gradClip: 1e30 } });
      await assert.rejects(train(c, { out: `${dir}/run` }), (e: Error) => {
        assert.ok(e instanceof NonFiniteLossError, String(e));
        assert.match(e.message, /Lower optimizer.lr/);
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("trainConfig and the genotype sources refuse bad input, naming it", async () => {
  const g = DARTS_GENOTYPES.DARTS_V2;
  assert.throws(
    () => trainConfig({ genotype: g, preset: "laptop" }),
    /unknown preset "laptop": choose one of smoke, cpu, paper/,
  );
  assert.throws(
    () => trainConfig({ genotype: g, model: { chanels: 8 } as never }),
    /unknown model field "chanels"/,
  );
  assert.throws(
    () => trainConfig({ genotype: g, optimizer: { lr: -1 } }),
    /optimizer.lr must be > 0, got -1/,
  );
  assert.throws(
    () => trainConfig({ genotype: g, model: { dropPathProb: 1 } }),
    /dropPathProb must be in \[0, 1\)/,
  );
  assert.throws(
    () => trainConfig({ genotype: g, dataset: "svhn" as "cifar10" }),
    /dataset must be "cifar10" or "cifar100"/,
  );
  assert.throws(
    () => trainConfig({ genotype: "Genotype(normal=[('sep_conv_3x3', 0)" }),
    /not a DARTS genotype: at offset 36 \(line 1, column 37\) expected "," or "\]" after a pair/,
  );
  assert.equal((await resolveGenotype("PC_DARTS")).source, "PC_DARTS");
  assert.equal(
    formatDartsGenotype((await resolveGenotype(formatDartsGenotype(g))).genotype),
    formatDartsGenotype(g),
  );
  await assert.rejects(
    resolveGenotype("DARTS_V3"),
    /neither a genotype of the library \(did you mean DARTS_V1\?\)/,
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/g.txt`, "Genotype(normal=[('conv_7x7', 0)])");
    await assert.rejects(resolveGenotype(`${dir}/g.txt`), /g\.txt: /);
    await assert.rejects(genotypeFromRun(`${dir}/none`), /no summary.json there/);
    await Deno.mkdir(`${dir}/half`);
    await Deno.writeTextFile(
      `${dir}/half/summary.json`,
      JSON.stringify({ status: "running", epochsDone: 3, epochs: 20 }),
    );
    await assert.rejects(
      genotypeFromRun(`${dir}/half`),
      /the search is running \(3 of 20 epochs\): finish it first/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // A shipped NB201 search is finished but not of the DARTS space; a DARTS-space one gives its genotype.
  await assert.rejects(genotypeFromRun("notebooks/records/sa-cpu-s0-eb1db27a"), /not a DARTS-space genotype/);
  const from = await genotypeFromRun("notebooks/records/darts-sa-cpu-s0-972f651d");
  assert.equal(from.source, "darts-sa-cpu-s0-972f651d");
  assert.equal(from.genotype.normal.length, 8);
});

Deno.test("cachedTrain: runs into runs/<trainRunName>, then reads the run back; saved as a record, read from there", async () => {
  await onBackend("wasm", async () => {
    const { cachedTrain, trainRunName, readFinishedTraining } = await import("../../src/train/cache.ts");
    const { saveRecord } = await import("../../src/runs/records.ts");
    const config = small({ epochs: 1 });
    const root = await Deno.makeTempDir();
    try {
      const first = await cachedTrain(config, { root: `${root}/runs`, records: false });
      const name = trainRunName(config);
      assert.match(name, /^train-DARTS_V2-cifar10-smoke-s0-[0-9a-f]{8}$/);
      const again = await cachedTrain(config, {
        root: `${root}/runs`,
        records: false,
        data: { count: 0 } as never,
      });
      assert.deepEqual(again.metrics, first.metrics, "read back, not re-run (no images needed)");
      await saveRecord(`${root}/runs/${name}`, `${root}/records/${name}`);
      const files = [...Deno.readDirSync(`${root}/records/${name}`)].map((e) => e.name).sort();
      assert.deepEqual(files, ["config.json", "manifest.json", "metrics.csv.gz", "summary.json"]);
      const fromRecord = await cachedTrain(config, { root: `${root}/empty`, records: `${root}/records` });
      assert.deepEqual(fromRecord.metrics, first.metrics);
      const summaryFile = `${root}/records/${name}/summary.json`;
      const summary = JSON.parse(await Deno.readTextFile(summaryFile));
      await Deno.writeTextFile(summaryFile, JSON.stringify({ ...summary, testAcc: 99 }));
      await assert.rejects(
        readFinishedTraining(`${root}/records/${name}`),
        /summary.json differs from manifest.json/,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
});
