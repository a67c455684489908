/**
 * Crash test: CLI runs killed at random moments — during start-up, mid-epoch, and while a file is being
 * written (atomic writes slowed down by a test-only hook so that a kill lands inside one) — and resumed,
 * again and again, until each chain of kills and resumes finishes. Every finished chain must equal an
 * uninterrupted run bit for bit, every folder must be readable after every kill, and no stale file may
 * remain once a run has reopened its folder.
 *
 * It runs on NAS-Bench-201 (SA-DARTS) and on the DARTS space (SAC-DARTS: two cell types, partial
 * channels and edge β, so four architecture parameters in the checkpoint). CRASH_TRIALS (default 24 on
 * NB201, a third of it on DARTS, whose runs take longer) sets the number of kills; the seed of the random
 * delays is printed, and CRASH_SEED replays a failure.
 */
import assert from "node:assert/strict";
import { onBackend } from "../helpers.ts";
import type * as tf from "../../src/deps/tfjs_core.ts";
import { decodeCheckpoint } from "../../src/runs/checkpoint.ts";
import { mulberry32 } from "../../src/data/pipeline.ts";

const ROOT = new URL("../../", import.meta.url);
const RUN_FILES = ["alpha.csv", "checkpoint.bin", "config.json", "metrics.csv", "summary.json"];
const TRIALS = Number(Deno.env.get("CRASH_TRIALS") ?? 24);
const SEED = Number(Deno.env.get("CRASH_SEED") ?? Date.now() % 100000);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function cli(args: string[], out: string, resume: boolean, slowWriteMs = 0): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "src/cli/search.ts",
      "--backend",
      "wasm",
      "--threads",
      "2",
      "--quiet",
      ...args,
      "--out",
      out,
      ...(resume ? ["--resume"] : []),
    ],
    cwd: ROOT,
    env: slowWriteMs ? { SADARTS_TEST_SLOW_WRITE_MS: String(slowWriteMs) } : {},
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

const names = (dir: string) => {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
};
/** The pid the folder's lock file names, if any (a stale one names a dead process). */
function lockHolder(dir: string): number | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(`${dir}/lock`)).pid;
  } catch {
    return undefined;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A killed run's folder: whatever is there is whole (temporary and lock files aside). */
function checkReadable(dir: string): void {
  for (const name of names(dir)) {
    if (/\.tmp-\d+$/.test(name) || name === "lock") continue;
    assert.ok(RUN_FILES.includes(name), `unexpected file ${name}`);
    const bytes = Deno.readFileSync(`${dir}/${name}`);
    if (name === "checkpoint.bin") {
      const c = decodeCheckpoint(bytes, `${dir}/${name}`);
      Object.values(c.tensors).forEach((t) => t.dispose());
    } else if (name.endsWith(".json")) JSON.parse(text(bytes));
    else assert.match(text(bytes), /^epoch,.*\n(.*\n)+$/, `${name} is a whole table`);
  }
}

const TIMING = new Set(["seconds", "elapsed"]);
function untimedCsv(csv: string): string {
  const rows = csv.trim().split("\n").map((l) => l.split(","));
  const keep = rows[0].map((h, i) => (TIMING.has(h) ? -1 : i)).filter((i) => i >= 0);
  return rows.map((r) => keep.map((i) => r[i]).join(",")).join("\n");
}
const untimed = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));

/** `dir` holds exactly what the uninterrupted run in `ref` holds, bit for bit (wall-clock times aside). */
function assertSameRun(dir: string, ref: string): void {
  assert.deepEqual(names(dir), RUN_FILES, `${dir}: no stale file left`);
  const a = decodeCheckpoint<any>(Deno.readFileSync(`${ref}/checkpoint.bin`));
  const b = decodeCheckpoint<any>(Deno.readFileSync(`${dir}/checkpoint.bin`));
  try {
    assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
    for (const [name, t] of Object.entries(a.tensors)) {
      const bits = (x: tf.Tensor) => new Uint8Array((x.dataSync() as Float32Array).slice().buffer);
      assert.deepEqual(bits(b.tensors[name]), bits(t), `${dir}: tensor ${name}`);
    }
    assert.deepEqual(untimed(b.state.metrics), untimed(a.state.metrics));
    assert.deepEqual(b.state.alpha, a.state.alpha);
  } finally {
    [...Object.values(a.tensors), ...Object.values(b.tensors)].forEach((t) => t.dispose());
  }
  const read = (d: string, f: string) => Deno.readTextFileSync(`${d}/${f}`);
  assert.equal(read(dir, "alpha.csv"), read(ref, "alpha.csv"));
  assert.equal(untimedCsv(read(dir, "metrics.csv")), untimedCsv(read(ref, "metrics.csv")));
  assert.equal(read(dir, "config.json"), read(ref, "config.json"));
  const summary = (d: string) => {
    const { seconds: _, ...rest } = JSON.parse(read(d, "summary.json"));
    return rest;
  };
  assert.deepEqual(summary(dir), summary(ref));
  assert.equal(summary(dir).status, "finished");
}

/** Kill `args`' CLI run `trials` times at random moments; every chain resumed to the end equals `ref`. */
async function crashTest(label: string, args: string[], trials: number): Promise<void> {
  {
    await onBackend("cpu", async () => {
      const t0 = performance.now();
      const rnd = mulberry32(SEED); // the delays are reproducible from SEED
      const dir = await Deno.makeTempDir({ prefix: "sadarts-crash-" });
      const ref = `${dir}/ref`;
      const whole = await cli(args, ref, false).output();
      assert.equal(whole.code, 0, text(whole.stderr));
      const wholeMs = performance.now() - t0;

      const kinds = { startup: 0, running: 0, midWrite: 0, sigterm: 0 };
      const chains: string[] = [];
      let chain = 0, kills = 0, starts = 0, staleLeft = 0, midCheckpoint = 0;
      let out = `${dir}/chain0`;
      while (true) {
        const resume = names(out).includes("config.json");
        const runFilesBefore = names(out).filter((n) => RUN_FILES.includes(n));
        const graceful = kills < trials && rnd() < 0.2;
        const midWrite = kills < trials && !graceful && rnd() < 0.5;
        const p = cli(args, out, resume, 12);
        starts++;
        const done = p.output();
        let exited = false;
        done.then(() => (exited = true));
        if (kills < trials) {
          if (midWrite) {
            // Kill while a file is being written (most often the checkpoint): wait for its temporary file,
            // then up to ~60 ms more (a write takes 8 × 12 ms here).
            const file = rnd() < 0.7 ? `checkpoint.bin.tmp-${p.pid}` : `.tmp-${p.pid}`;
            const started = performance.now();
            while (!exited && !names(out).some((n) => n.endsWith(file))) {
              if (performance.now() - started > 60_000) break;
              await sleep(3);
            }
            await sleep(rnd() * 60);
          } else await sleep(rnd() * wholeMs * 1.2);
          if (!exited) {
            const writing = names(out).some((n) => n.endsWith(`.tmp-${p.pid}`));
            if (names(out).includes(`checkpoint.bin.tmp-${p.pid}`)) midCheckpoint++;
            const started = lockHolder(out) === p.pid;
            p.kill(graceful ? "SIGTERM" : "SIGKILL");
            kills++;
            if (graceful) kinds.sigterm++;
            else if (writing) kinds.midWrite++;
            else if (started) kinds.running++;
            else kinds.startup++;
          }
        }
        const r = await done;
        checkReadable(out);
        staleLeft += names(out).filter((n) => /\.tmp-\d+$/.test(n)).length;
        if (r.code === 0) {
          assertSameRun(out, ref);
          chains.push(out);
          if (kills >= trials) break;
          out = `${dir}/chain${++chain}`;
        } else if (graceful && r.signal === null && r.code === 143) {
          const err = text(r.stderr);
          assert.match(err, /interrupted \(SIGTERM\)/, err);
          if (names(out).includes("checkpoint.bin")) {
            assert.match(err, /resume with: deno task search .* --resume/);
            assert.equal(JSON.parse(Deno.readTextFileSync(`${out}/summary.json`)).status, "interrupted");
          } else {
            // No epoch finished in this start: it leaves the folder as it found it (a config.json that an
            // earlier, SIGKILLed start wrote stays; one this start wrote goes).
            assert.deepEqual(
              names(out).filter((n) => RUN_FILES.includes(n)),
              runFilesBefore,
              "nothing of this start kept before its first epoch",
            );
          }
        } else {
          // SIGKILL (or SIGTERM before the listener was installed): killed by a signal, nothing else.
          assert.ok(r.signal === "SIGKILL" || r.signal === "SIGTERM", `exit ${r.code}: ${text(r.stderr)}`);
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      console.log(
        `crash test, ${label} (seed ${SEED}): ${kills} kills (${kinds.startup} during start-up, ${kinds.running} mid-run, ` +
          `${kinds.midWrite} mid-write of which ${midCheckpoint} in checkpoint.bin, ${kinds.sigterm} SIGTERM), ${staleLeft} temporary files left by kills ` +
          `(all removed on reopening), ${starts} starts, ${chains.length} chains ` +
          `resumed to the end, all bit-exact; ${seconds.toFixed(0)} s (uninterrupted run ${
            (wholeMs / 1000).toFixed(1)
          } s)`,
      );
      await Deno.remove(dir, { recursive: true });
    });
  }
}

const SMOKE = ["--preset", "smoke", "--limit", "128", "--seed", "3"];
const CASES: [string, string[], number][] = [
  ["NB201, SA-DARTS", [...SMOKE, "--method", "sa", "--epochs", "4"], TRIALS],
  [
    "DARTS space, SAC-DARTS",
    [...SMOKE, "--space", "darts", "--method", "sac", "--epochs", "3"],
    Math.ceil(TRIALS / 3),
  ],
];
for (const [label, args, trials] of CASES) {
  Deno.test({
    name:
      `crash test, ${label}: ${trials} random kills (mid-write included), each chain resumed to the end bit for bit`,
    sanitizeResources: false,
    fn: () => crashTest(label, args, trials),
  });
}
