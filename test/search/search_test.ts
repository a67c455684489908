import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { loadNb201 } from "../../src/benchmarks/nb201.ts";
import { loadSearchData } from "../../src/data/searchData.ts";
import { weightLr } from "../../src/methods/method.ts";
import { loadCheckpoint } from "../../src/runs/checkpoint.ts";
import { readRun, runPaths } from "../../src/runs/runFolder.ts";
import { searchConfig, searchMethod } from "../../src/search/config.ts";
import { NonFiniteLossError, search } from "../../src/search/search.ts";
import { onBackend } from "../helpers.ts";

const table = loadNb201();
const smokeData = await loadSearchData(searchConfig({ preset: "smoke" }).data);
const smoke = (o: Parameters<typeof searchConfig>[0] = {}) =>
  searchConfig({ preset: "smoke", epochs: 2, ...o });
const TIMING = new Set(["seconds", "elapsed"]);
/** A history without its wall-clock columns. */
const untimed = (rows: readonly object[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));

Deno.test("search (smoke): one record per epoch plus the initial one, α rows per epoch × edge × op", async () => {
  await onBackend("wasm", async () => {
    const config = smoke({ method: "sa" });
    const r = await search(config, { benchmark: table, data: smokeData });
    assert.deepEqual(r.metrics.map((m) => m.epoch), [0, 1, 2]);
    assert.equal(r.alpha.length, 3 * 6 * 5);
    const method = searchMethod(config);
    assert.deepEqual(r.metrics.slice(1).map((m) => m.lr), [0, 1].map((e) => weightLr(method, e, 2)));
    for (const m of r.metrics.slice(1)) {
      for (const k of ["trainLoss", "archLoss", "validLoss", "trainAcc", "validAcc", "regLoss"] as const) {
        assert.ok(Number.isFinite(m[k]), `${k} is a number at epoch ${m.epoch}`);
      }
      assert.equal(m.cifar10, table.accuracy(m.cell as string).cifar10, "NB201 accuracy of the derived cell");
      assert.equal(m.skipEdges, (m.cell as string).split("skip_connect").length - 1);
    }
    // SA's regularizer on the final α: λ at epoch 1 is 2/5, times mean(α) (ν = 1).
    const last = (r.summary.alpha as number[][]).flat();
    const meanAlpha = last.reduce((a, b) => a + b, 0) / last.length;
    assert.ok(Math.abs((r.metrics[2].regLoss as number) - 0.4 * meanAlpha) < 1e-6);
    // β rows sum to 1 per epoch and edge.
    const sums = new Map<string, number>();
    for (const a of r.alpha) {
      sums.set(`${a.epoch}/${a.edge}`, (sums.get(`${a.epoch}/${a.edge}`) ?? 0) + a.beta);
    }
    for (const s of sums.values()) assert.ok(Math.abs(s - 1) < 1e-9);
    assert.equal(r.summary.status, "finished");
    assert.equal(r.summary.cell, r.metrics[2].cell);
  });
});

Deno.test("search: a seed fixes everything (same seed, same history); another seed differs; no leaks", async () => {
  await onBackend("wasm", async () => {
    const a = await search(smoke({ method: "sa", seed: 3 }), { benchmark: table, data: smokeData });
    const before = tf.memory().numTensors; // after a first search has filled tfjs' constant caches
    const b = await search(smoke({ method: "sa", seed: 3 }), { benchmark: table, data: smokeData });
    assert.equal(tf.memory().numTensors, before, "a search leaves no tensor behind");
    const c = await search(smoke({ method: "sa", seed: 4 }), { benchmark: table, data: smokeData });
    assert.deepEqual(untimed(a.metrics), untimed(b.metrics));
    assert.deepEqual(a.alpha, b.alpha);
    assert.notDeepEqual(a.summary.alpha, c.summary.alpha);
  });
});

Deno.test("search: warm-up epochs leave α at its initial value and report no α loss", async () => {
  await onBackend("wasm", async () => {
    const r = await search(smoke({ method: "darts", methodOptions: { warmupEpochs: 1 } }), {
      benchmark: table,
      data: smokeData,
    });
    const at = (e: number) => r.alpha.filter((a) => a.epoch === e).map((a) => a.alpha);
    assert.deepEqual(at(1), at(0));
    assert.notDeepEqual(at(2), at(1));
    assert.equal(r.metrics[1].archLoss, null);
    assert.ok(Number.isFinite(r.metrics[2].archLoss));
  });
});

Deno.test("search: a non-finite loss stops the run with a clear error and keeps the last good checkpoint", async () => {
  await onBackend("wasm", async () => {
    const out = await Deno.makeTempDir();
    const config = smoke({ method: "darts", epochs: 3 });
    const err = await search(config, {
      benchmark: table,
      data: smokeData,
      out,
      onProgress: (p, s) => {
        if (p.epoch === 1 && p.step === 2) {
          const [, kernel] = s.net.store.entries().find(([name]) => name === "head.fc.kernel")!;
          kernel.assign(tf.fill(kernel.shape, NaN));
        }
      },
    }).catch((e) => e);
    assert.ok(err instanceof NonFiniteLossError, String(err));
    assert.match(err.message, /epoch 2, step 3.*checkpoint of epoch 1/);
    const ckpt = await loadCheckpoint<{ epochsDone: number }>(runPaths(out).checkpoint);
    assert.equal(ckpt!.state.epochsDone, 1);
    for (const t of Object.values(ckpt!.tensors)) {
      assert.ok(t.dataSync().every(Number.isFinite), "the kept checkpoint is finite");
      t.dispose();
    }
    const summary = JSON.parse(await Deno.readTextFile(runPaths(out).summary));
    assert.equal(summary.status, "failed");
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("search: a folder holding a run is refused without resume, and nothing in it changes", async () => {
  await onBackend("wasm", async () => {
    const out = await Deno.makeTempDir();
    const config = smoke({ method: "beta", epochs: 1 });
    await search(config, { benchmark: table, data: smokeData, out });
    const files = async () =>
      Object.fromEntries(
        await Promise.all(Object.values(runPaths(out)).map(async (p) => [p, await Deno.readFile(p)])),
      );
    const before = await files();
    await assert.rejects(
      search(config, { benchmark: table, data: smokeData, out }),
      /already holds this run.*--resume/,
    );
    await assert.rejects(
      search(smoke({ method: "sa", epochs: 1 }), { benchmark: table, data: smokeData, out }),
      /different config/,
    );
    assert.deepEqual(await files(), before);
    // resume on a finished run reads it back without running.
    const r = await search(config, { benchmark: table, data: smokeData, out, resume: true });
    assert.equal(r.metrics.length, 2);
    const tables = await readRun(out);
    assert.deepEqual(tables.metrics!.getColumn("epoch").toArray(), [0, 1]);
    assert.equal(tables.alpha!.height, 2 * 30);
    await Deno.remove(out, { recursive: true });
  });
});

function cli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/search.ts", "--backend", "wasm", "--threads", "2", "--quiet", ...args],
    cwd: new URL("../../", import.meta.url),
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

Deno.test("search CLI: a run killed mid-way and resumed equals an uninterrupted run, bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const args = ["--preset", "smoke", "--method", "sa", "--epochs", "5", "--seed", "7"];
  const whole = await cli([...args, "--out", `${dir}/whole`]).output();
  assert.equal(whole.code, 0, new TextDecoder().decode(whole.stderr));

  const killed = cli([...args, "--out", `${dir}/killed`]);
  // Kill as soon as the first checkpoint exists: in the middle of epoch 2.
  for (let i = 0; i < 3000; i++) {
    try {
      await Deno.stat(`${dir}/killed/metrics.csv`);
      break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  killed.kill("SIGKILL");
  await killed.output();
  const partial = await loadCheckpoint<{ epochsDone: number }>(`${dir}/killed/checkpoint.bin`);
  assert.ok(partial && partial.state.epochsDone < 5, "the run was killed before its end");
  Object.values(partial!.tensors).forEach((t) => t.dispose());

  const resumed = await cli([...args, "--out", `${dir}/killed`, "--resume"]).output();
  assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
  const a = await loadCheckpoint<{ metrics: Record<string, unknown>[] }>(`${dir}/whole/checkpoint.bin`);
  const b = await loadCheckpoint<{ metrics: Record<string, unknown>[] }>(`${dir}/killed/checkpoint.bin`);
  assert.deepEqual(Object.keys(a!.tensors).sort(), Object.keys(b!.tensors).sort());
  for (const name of Object.keys(a!.tensors)) {
    assert.deepEqual(a!.tensors[name].dataSync(), b!.tensors[name].dataSync(), `tensor ${name}`);
  }
  assert.deepEqual(untimed(a!.state.metrics), untimed(b!.state.metrics));
  assert.equal(
    await Deno.readTextFile(`${dir}/whole/alpha.csv`),
    await Deno.readTextFile(`${dir}/killed/alpha.csv`),
  );
  [...Object.values(a!.tensors), ...Object.values(b!.tensors)].forEach((t) => t.dispose());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("search: second-order DARTS (darts-2nd, or secondOrder on any method) runs the unrolled α step", async () => {
  await onBackend("wasm", async () => {
    const first = await search(smoke({ method: "darts", epochs: 1 }), { benchmark: table, data: smokeData });
    const second = await search(smoke({ method: "darts-2nd", epochs: 1 }), {
      benchmark: table,
      data: smokeData,
    });
    assert.notDeepEqual(second.summary.alpha, first.summary.alpha, "the unrolled step moves α differently");
    assert.ok(second.metrics.every((m) => m.epoch === 0 || Number.isFinite(m.archLoss)));
    const again = await search(smoke({ method: "darts-2nd", epochs: 1 }), {
      benchmark: table,
      data: smokeData,
    });
    assert.deepEqual(again.alpha, second.alpha, "seeded like every run");
    const sa2 = await search(smoke({ method: "sa", epochs: 1, methodOptions: { secondOrder: true } }), {
      benchmark: table,
      data: smokeData,
    });
    const sa1 = await search(smoke({ method: "sa", epochs: 1 }), { benchmark: table, data: smokeData });
    assert.notDeepEqual(sa2.summary.alpha, sa1.summary.alpha, "any method takes the unrolled step");
  });
});

Deno.test("search: a finished run without its checkpoint is read back from its records, not started over", async () => {
  await onBackend("wasm", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const config = smoke({ method: "darts", epochs: 1, data: { limit: 128 } });
      const done = await search(config, { benchmark: table, out: dir });
      // Without its checkpoint and with its images gone, the finished run is still read back whole.
      await Deno.remove(runPaths(dir).checkpoint);
      const messages: string[] = [];
      const again = await search(config, {
        benchmark: table,
        out: dir,
        resume: true,
        log: (m) => messages.push(m),
        data: { count: 0 } as never, // would fail if the images were used
      });
      assert.deepEqual(untimed(again.metrics), untimed(done.metrics));
      assert.deepEqual(again.alpha, done.alpha);
      assert.deepEqual(again.summary, done.summary);
      assert.match(messages.join("\n"), /is finished \(1 epochs\): read back from its records/);
      assert.equal(await loadCheckpoint(runPaths(dir).checkpoint), undefined, "nothing was re-run");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
