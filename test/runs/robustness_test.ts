/**
 * Run folders that nothing can corrupt (issue items 12–18): each case reproduces a defect and checks the
 * refusal (its message names the input and what to do) and that the folder is left as it should be.
 */
import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { loadNb201 } from "../../src/benchmarks/nb201.ts";
import type { ImageSet } from "../../src/data/pipeline.ts";
import { loadSearchData } from "../../src/data/searchData.ts";
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint } from "../../src/runs/checkpoint.ts";
import { runPaths } from "../../src/runs/runFolder.ts";
import { searchConfig, type SearchConfigOptions } from "../../src/search/config.ts";
import { NonFiniteLossError, RunInterruptedError, search } from "../../src/search/search.ts";
import { onBackend } from "../helpers.ts";

const table = loadNb201();
/** Smoke preset on 128 images: 2 steps per epoch. */
const tiny = (o: SearchConfigOptions = {}) =>
  searchConfig({ preset: "smoke", epochs: 2, ...o, data: { limit: 128, ...o.data } });
const data = await loadSearchData(tiny().data);
const ROOT = new URL("../../", import.meta.url);

/** Every file of a folder (recursively) with its bytes, to prove a folder unchanged. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, prefix: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`, `${prefix}${e.name}/`);
      else {
        const bytes = await Deno.readFile(`${d}/${e.name}`);
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        out[prefix + e.name] = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
      }
    }
  };
  await walk(dir, "");
  return out;
}

const exists = async (p: string) => await Deno.stat(p).then(() => true, () => false);
const files = async (dir: string) => Object.keys(await snapshot(dir)).sort();

function cli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/search.ts", "--backend", "wasm", "--threads", "2", "--quiet", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}
const TINY_ARGS = ["--preset", "smoke", "--limit", "128"];
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function waitFor(path: string, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!(await exists(path))) {
    if (Date.now() - t0 > ms) throw new Error(`${path} did not appear`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// 12 ---------------------------------------------------------------------------------------------------
Deno.test("12: an empty out is refused; nothing is written into the filesystem root", async () => {
  await onBackend("wasm", async () => {
    const rootHad = await exists("/config.json");
    await assert.rejects(
      search(tiny({ epochs: 1 }), { benchmark: table, data, out: "" }),
      /run folder "" is empty: name a folder/,
    );
    assert.equal(await exists("/config.json"), rootHad);
    assert.equal(await exists("/checkpoint.bin"), false);
  });
  const r = await cli([...TINY_ARGS, "--epochs", "1", "--out", ""]).output();
  assert.equal(r.code, 1);
  assert.match(text(r.stderr), /run folder "" is empty: name a folder/);
});

Deno.test("12: a folder that holds other files and no run is refused, unchanged", async () => {
  await onBackend("wasm", async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
    const before = await snapshot(dir);
    await assert.rejects(
      search(tiny({ epochs: 1 }), { benchmark: table, data, out: dir }),
      /holds files that are not a run's \(notes.txt\): choose an empty or new folder/,
    );
    assert.deepEqual(await snapshot(dir), before);
    await Deno.remove(dir, { recursive: true });
  });
});

// 13 ---------------------------------------------------------------------------------------------------
Deno.test("13: a second search on a folder in use is refused naming the holder; the first is unharmed", async () => {
  await onBackend("wasm", async () => {
    const out = `${await Deno.makeTempDir()}/run`;
    const first = search(tiny({ seed: 0 }), { benchmark: table, data, out });
    // The second search starts once the first holds the folder (its lock file exists), not after a
    // fixed delay that a slow first start can overrun.
    for (const t0 = Date.now(); !(await exists(`${out}/lock`)); await new Promise((r) => setTimeout(r, 1))) {
      if (Date.now() - t0 > 30_000) throw new Error("the first search never took the folder's lock");
    }
    await assert.rejects(
      search(tiny({ seed: 1 }), { benchmark: table, data, out }),
      new RegExp(`is in use by process ${Deno.pid} on .* since .*: wait for it to finish or stop it`),
    );
    const a = await first;
    assert.equal(a.summary.seed, 0);
    assert.equal(JSON.parse(await Deno.readTextFile(runPaths(out).config)).seed, 0);
    assert.equal(await exists(`${out}/lock`), false, "the lock goes with its holder");
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("13: a lock file left by a dead process is taken over", async () => {
  await onBackend("wasm", async () => {
    const out = await Deno.makeTempDir();
    await Deno.writeTextFile(`${out}/lock`, JSON.stringify({ pid: 999999, host: "gone", command: "x" }));
    const r = await search(tiny({ epochs: 1 }), { benchmark: table, data, out });
    assert.equal(r.summary.status, "finished");
    assert.equal(await exists(`${out}/lock`), false);
    await Deno.remove(out, { recursive: true });
  });
});

Deno.test("13 (CLI): two runs started 3 ms apart on one --out: one runs, the other is refused", async () => {
  const dir = await Deno.makeTempDir();
  const a = cli([...TINY_ARGS, "--epochs", "1", "--seed", "0", "--out", `${dir}/run`]);
  await new Promise((r) => setTimeout(r, 3));
  const b = cli([...TINY_ARGS, "--epochs", "1", "--seed", "1", "--out", `${dir}/run`]);
  const [ra, rb] = await Promise.all([a.output(), b.output()]);
  const codes = [ra.code, rb.code].sort();
  assert.deepEqual(codes, [0, 1], text(ra.stderr) + text(rb.stderr));
  const loser = ra.code === 1 ? ra : rb;
  assert.match(text(loser.stderr), /is in use by process \d+ on .*: wait for it to finish or stop it/);
  const winnerSeed = ra.code === 0 ? 0 : 1;
  const config = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`));
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/run/summary.json`));
  const ckpt = await loadCheckpoint<{ config: { seed: number } }>(`${dir}/run/checkpoint.bin`);
  Object.values(ckpt!.tensors).forEach((t) => t.dispose());
  assert.deepEqual([config.seed, summary.seed, ckpt!.state.config.seed], [
    winnerSeed,
    winnerSeed,
    winnerSeed,
  ]);
  await Deno.remove(dir, { recursive: true });
});

// 14 ---------------------------------------------------------------------------------------------------
/** Two finished two-epoch runs (a read-back of a finished run goes through the resume checks) (seeds 0 and 1) in fresh folders. */
async function twoRuns() {
  const dir = await Deno.makeTempDir();
  for (const seed of [0, 1]) {
    await search(tiny({ epochs: 2, seed }), { benchmark: table, data, out: `${dir}/s${seed}` });
  }
  return dir;
}

/** Rewrite a checkpoint through `edit`, with a valid checksum (what a bug or a foreign tool could write). */
async function rewrite(path: string, edit: (c: { state: any; tensors: Record<string, tf.Tensor> }) => void) {
  const c = decodeCheckpoint<any>(await Deno.readFile(path), path);
  edit(c);
  await Deno.writeFile(path, encodeCheckpoint(c));
  Object.values(c.tensors).forEach((t) => t.dispose());
}

Deno.test("14: a checkpoint is checksummed and bound to its config; damage and foreign ones are refused", async () => {
  await onBackend("wasm", async () => {
    const dir = await twoRuns();
    const s0 = `${dir}/s0`, s1 = `${dir}/s1`;
    const resume0 = () =>
      search(tiny({ epochs: 2, seed: 0 }), { benchmark: table, data, out: s0, resume: true });
    const good = await Deno.readFile(`${s0}/checkpoint.bin`);

    // A seed-1 checkpoint copied into the seed-0 folder.
    await Deno.copyFile(`${s1}/checkpoint.bin`, `${s0}/checkpoint.bin`);
    await assert.rejects(
      resume0(),
      /checkpoint.bin belongs to another config \(seed: 1 in the checkpoint, 0 asked\)/,
    );

    // 64 bytes overwritten inside a momentum tensor.
    const bytes = good.slice();
    const header = decodeHeader(bytes);
    const m = header.tensors.find((e: { name: string }) => e.name.startsWith("wopt/momentum"))!;
    bytes.fill(0x7f, header.base + m.offset, header.base + m.offset + 64);
    await Deno.writeFile(`${s0}/checkpoint.bin`, bytes);
    await assert.rejects(
      resume0(),
      /checkpoint.bin is damaged \(checksum mismatch\): delete it to restart from scratch or restore a copy/,
    );

    // config.json deleted: another seed is refused naming the field; the same config rewrites it.
    await Deno.writeFile(`${s0}/checkpoint.bin`, good);
    const config = await Deno.readTextFile(`${s0}/config.json`);
    await Deno.remove(`${s0}/config.json`);
    await assert.rejects(
      search(tiny({ epochs: 2, seed: 5 }), { benchmark: table, data, out: s0, resume: true }),
      /belongs to another config \(seed: 0 in the checkpoint, 5 asked\)/,
    );
    assert.equal(await exists(`${s0}/config.json`), false);
    const logs: string[] = [];
    const back = await search(tiny({ epochs: 2, seed: 0 }), {
      benchmark: table,
      data,
      out: s0,
      resume: true,
      log: (s) => logs.push(s),
    });
    assert.equal(back.summary.seed, 0);
    assert.equal(await Deno.readTextFile(`${s0}/config.json`), config);
    assert.ok(
      logs.some((l) => /config.json was missing: rewritten from checkpoint.bin/.test(l)),
      logs.join("\n"),
    );

    // Damaged state with a valid checksum: named fields, not "undefined epochs".
    await rewrite(`${s0}/checkpoint.bin`, (c) => delete c.state.epochsDone);
    await assert.rejects(
      resume0(),
      /checkpoint.bin has a bad state \(epochsDone is undefined, not 1 to 2\): delete it/,
    );
    await Deno.writeFile(`${s0}/checkpoint.bin`, good);
    await rewrite(`${s0}/checkpoint.bin`, (c) => (c.state.metrics = c.state.metrics.slice(1)));
    await assert.rejects(resume0(), /checkpoint.bin has a bad state \(metrics/);

    // A tensor of another shape (another model size): named, with both shapes.
    await Deno.writeFile(`${s0}/checkpoint.bin`, good);
    await rewrite(`${s0}/checkpoint.bin`, (c) => {
      c.tensors["arch/alpha"].dispose();
      c.tensors["arch/alpha"] = tf.zeros([6, 4]);
    });
    await assert.rejects(
      resume0(),
      /checkpoint.bin: tensor "arch\/alpha" has shape \[6,4\], the model's is \[6,5\]: it was written for another model/,
    );
    // A missing tensor.
    await Deno.writeFile(`${s0}/checkpoint.bin`, good);
    await rewrite(`${s0}/checkpoint.bin`, (c) => {
      c.tensors["aopt/t"].dispose();
      delete c.tensors["aopt/t"];
    });
    await assert.rejects(resume0(), /checkpoint.bin lacks tensor "aopt\/t"/);
    // Nothing of the refused resumes changed the folder.
    await Deno.writeFile(`${s0}/checkpoint.bin`, good);
    const before = await snapshot(s0);
    await Deno.copyFile(`${s1}/checkpoint.bin`, `${s0}/checkpoint.bin`);
    await resume0().catch(() => {});
    await Deno.writeFile(`${s0}/checkpoint.bin`, good);
    assert.deepEqual(await snapshot(s0), before);
    await Deno.remove(dir, { recursive: true });
  });
});

/** A checkpoint in the layout before checksums ("SADARTSC", no trailer), as the previous version wrote. */
function encodeLegacy(c: { state: unknown; tensors: Record<string, tf.Tensor> }): Uint8Array {
  const entries: unknown[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    const bytes = new Uint8Array((t.dataSync() as Float32Array).slice().buffer);
    entries.push({ name, dtype: t.dtype, shape: t.shape, offset, length: bytes.length });
    chunks.push(bytes);
    offset += bytes.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ state: c.state, tensors: entries }));
  const pad = (4 - ((12 + header.length) % 4)) % 4;
  const out = new Uint8Array(12 + header.length + pad + offset);
  out.set(new TextEncoder().encode("SADARTSC"));
  new DataView(out.buffer).setUint32(8, header.length + pad, true);
  out.set(header, 12);
  out.fill(0x20, 12 + header.length, 12 + header.length + pad);
  let at = 12 + header.length + pad;
  for (const chunk of chunks) out.set(chunk, (at += chunk.length) - chunk.length);
  return out;
}

Deno.test("14: a checkpoint of the previous layout (no checksum, no config) resumes bit for bit when config.json vouches for it", async () => {
  await onBackend("wasm", async () => {
    const out = await Deno.makeTempDir();
    const config = tiny({ epochs: 3 });
    const whole = await search(config, { benchmark: table, data });
    const ac = new AbortController();
    await search(config, {
      benchmark: table,
      data,
      out,
      signal: ac.signal,
      onEpoch: (r) => r.epoch === 1 && ac.abort(),
    }).catch((e) => assert.ok(e instanceof RunInterruptedError, String(e)));
    const path = runPaths(out).checkpoint;
    await rewriteLegacy(path);
    await Deno.copyFile(runPaths(out).config, `${out}/config.saved`);
    await Deno.remove(runPaths(out).config);
    await assert.rejects(
      search(config, { benchmark: table, data, out, resume: true }),
      /checkpoint.bin was written before checkpoints recorded their config, and config.json is missing: restore config.json/,
    );
    await Deno.rename(`${out}/config.saved`, runPaths(out).config);
    const resumed = await search(config, { benchmark: table, data, out, resume: true });
    assert.deepEqual(resumed.alpha, whole.alpha);
    const after = await loadCheckpoint<{ version: number }>(path);
    Object.values(after!.tensors).forEach((t) => t.dispose());
    assert.equal(after!.state.version, 2, "the next checkpoint is of the current layout");
    assert.equal(after!.checksummed, true);
    await Deno.remove(out, { recursive: true });
  });
});

async function rewriteLegacy(path: string) {
  const c = decodeCheckpoint<any>(await Deno.readFile(path), path);
  c.state.version = 1;
  delete c.state.config;
  await Deno.writeFile(path, encodeLegacy(c));
  Object.values(c.tensors).forEach((t) => t.dispose());
}

/** The header entries and data offset of a checkpoint file (layout in src/runs/checkpoint.ts). */
function decodeHeader(bytes: Uint8Array) {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n)));
  return { tensors: header.tensors, base: 12 + n };
}

Deno.test("14: malformed checkpoint headers are refused with the reason, not a TypeError", async () => {
  await onBackend("cpu", () => {
    const encode = (header: unknown) => {
      const h = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(12 + h.length);
      out.set(new TextEncoder().encode("SADARTSC"));
      new DataView(out.buffer).setUint32(8, h.length, true);
      out.set(h, 12);
      return out;
    };
    assert.throws(
      () => decodeCheckpoint(encode({ state: {} }), "x.bin"),
      /x.bin is not a valid sadarts checkpoint \(no tensor list\)/,
    );
    assert.throws(
      () =>
        decodeCheckpoint(
          encode({ state: {}, tensors: [{ name: "a", dtype: "float32", shape: [2], offset: 0, length: 4 }] }),
          "x.bin",
        ),
      /x.bin is not a valid sadarts checkpoint \(tensor "a": shape \[2\] needs 8 bytes, the entry says 4\)/,
    );
  });
});

// 15 ---------------------------------------------------------------------------------------------------
Deno.test("15: a start that fails leaves nothing behind, so the corrected command runs", async () => {
  await onBackend("wasm", async () => {
    const parent = await Deno.makeTempDir();
    const out = `${parent}/run`;
    const bad: [string, SearchConfigOptions, ImageSet | undefined, RegExp][] = [
      ["batch size 4096", { data: { batchSize: 4096 } }, undefined, /batch size 4096 is larger/],
      ["limit 3", { data: { limit: 3 } }, undefined, /no step to run|at least/],
      ["downsample 4", { data: { downsample: 4 } }, undefined, /at least 4x4/],
      [
        "2x2 images",
        {},
        { ...data, images: new Uint8Array(data.count * 4 * 3), height: 2, width: 2 },
        /at least 4x4/,
      ],
      [
        "1-channel images",
        {},
        { ...data, images: data.images.filter((_, i) => i % 3 === 0), channels: 1 },
        /./,
      ],
    ];
    for (const [what, o, set, message] of bad) {
      // Whether the config, the data or the first step refuses it, nothing is left behind.
      const attempt = async () => {
        const config = tiny({ epochs: 1, ...o });
        const images = set ?? (o.data ? await loadSearchData(config.data) : data);
        return await search(config, { benchmark: table, data: images, out });
      };
      await assert.rejects(attempt(), message, what);
      assert.equal(await exists(out), false, `${what}: nothing left behind`);
    }
    // A step that fails (as a backend would): same, in an existing empty folder that stays.
    await Deno.mkdir(out);
    await assert.rejects(
      search(tiny({ epochs: 1 }), {
        benchmark: table,
        data,
        out,
        onProgress: () => {
          throw new Error("backend lost");
        },
      }),
      /backend lost/,
    );
    assert.deepEqual(await files(out), [], "the folder existed: it stays, empty");
    // Interrupted before the first checkpoint: nothing to keep either.
    await assert.rejects(
      search(tiny({ epochs: 1 }), { benchmark: table, data, out, signal: AbortSignal.abort("SIGINT") }),
      RunInterruptedError,
    );
    assert.deepEqual(await files(out), []);
    const r = await search(tiny({ epochs: 1 }), { benchmark: table, data, out });
    assert.equal(r.summary.status, "finished");
    await Deno.remove(parent, { recursive: true });
  });
});

// 16 ---------------------------------------------------------------------------------------------------
Deno.test("16: stale temporary files of a killed writer are removed when the folder is opened", async () => {
  await onBackend("wasm", async () => {
    const out = await Deno.makeTempDir();
    await search(tiny({ epochs: 1 }), { benchmark: table, data, out });
    await Deno.writeFile(`${out}/checkpoint.bin.tmp-99999`, new Uint8Array(1000));
    await Deno.writeTextFile(`${out}/metrics.csv.tmp-12345`, "epoch,tr");
    await search(tiny({ epochs: 1 }), { benchmark: table, data, out, resume: true });
    assert.deepEqual(await files(out), [
      "alpha.csv",
      "checkpoint.bin",
      "config.json",
      "metrics.csv",
      "summary.json",
    ]);
    await Deno.remove(out, { recursive: true });
  });
});

// 17 ---------------------------------------------------------------------------------------------------
Deno.test("17: an infinite regularizer loss or α stops the run as a NaN does", async () => {
  await onBackend("wasm", async () => {
    const out = `${await Deno.makeTempDir()}/run`;
    for (
      const methodOptions of [{ alphaInit: { offset: 1e38 } }, { lambda: 1e38 }]
    ) {
      const err = await search(tiny({ method: "sa", methodOptions }), { benchmark: table, data, out }).catch((
        e,
      ) => e);
      assert.ok(err instanceof NonFiniteLossError, `${JSON.stringify(methodOptions)}: ${err}`);
      assert.match(err.message, /became (Infinity|-Infinity|NaN) at epoch 1.*the run stopped/);
      assert.equal(await exists(out), false, "no epoch finished: nothing kept");
    }
  });
});

// 18 ---------------------------------------------------------------------------------------------------
Deno.test("18: an aborted search keeps its last checkpoint and says interrupted", async () => {
  await onBackend("wasm", async () => {
    const out = await Deno.makeTempDir();
    const ac = new AbortController();
    const err = await search(tiny({ epochs: 3 }), {
      benchmark: table,
      data,
      out,
      signal: ac.signal,
      onProgress: (p) => p.epoch === 1 && p.step === 1 && ac.abort("SIGTERM"),
    }).catch((e) => e);
    assert.ok(err instanceof RunInterruptedError, String(err));
    assert.equal(err.epochsDone, 1);
    assert.match(
      err.message,
      /interrupted \(SIGTERM\) in epoch 2 of 3: the checkpoint of epoch 1 in .* is kept/,
    );
    const summary = JSON.parse(await Deno.readTextFile(runPaths(out).summary));
    assert.equal(summary.status, "interrupted");
    assert.equal(summary.epochsDone, 1);
    const r = await search(tiny({ epochs: 3 }), { benchmark: table, data, out, resume: true });
    assert.equal(r.summary.status, "finished");
    await Deno.remove(out, { recursive: true });
  });
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`18 (CLI): ${signal} leaves the last checkpoint, status interrupted, and the resume command`, async () => {
    const dir = await Deno.makeTempDir();
    const args = [...TINY_ARGS, "--epochs", "4", "--out", `${dir}/run`];
    const p = cli(args);
    await waitFor(`${dir}/run/summary.json`);
    p.kill(signal);
    const r = await p.output();
    const err = text(r.stderr);
    assert.equal(r.code, code, err);
    const m = err.match(/resume with: deno task search (.*)$/m);
    assert.ok(m, err);
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/run/summary.json`));
    assert.equal(summary.status, "interrupted");
    // The printed command, as is (it holds --backend wasm --threads 2 --quiet already).
    const again = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "src/cli/search.ts", ...m![1].split(" ")],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(again.code, 0, text(again.stderr));
    assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/run/summary.json`)).status, "finished");
    await Deno.remove(dir, { recursive: true });
  });
}
