/**
 * The epoch machinery on its own, with a loop that is not a search (what the trainer will be): one
 * weight fitted by gradient steps, its history a metrics table only.
 */
import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  type EpochLoop,
  NonFiniteLossError,
  runEpochs,
  RunInterruptedError,
} from "../../src/runs/epochLoop.ts";
import { readRun } from "../../src/runs/runFolder.ts";
import { onBackend } from "../helpers.ts";

type Row = { epoch: number; loss: number | null; w: number; seconds: number };
interface Summary {
  status: string;
  epochsDone: number;
  w: number;
  message?: string;
}

/** Fit w to 3 by gradient steps on (w - 3)²; `lr` large enough diverges to infinity. */
function fitLoop(
  o: Partial<EpochLoop<{ epochs: number; lr: number }, Row, Summary>> & { epochs?: number; lr?: number } = {},
) {
  const w = tf.variable(tf.scalar(0), true, `w-${Math.random()}`);
  const momentum = tf.variable(tf.scalar(0), false);
  const config = { epochs: o.epochs ?? 4, lr: o.lr ?? 0.1 };
  const loop: EpochLoop<typeof config, Row, Summary> = {
    what: "training",
    config,
    nonFiniteAdvice: "Lower the learning rate.",
    state: {
      tensors: () => ({ w, momentum, started: tf.scalar(1) }),
      free: (t) => t.started.dispose(),
      restore: (t) => {
        w.assign(t.w as tf.Scalar);
        momentum.assign(t.momentum as tf.Scalar);
      },
    },
    tables: {
      metrics: { rowsPerEpoch: 1, valid: (row) => typeof row.w === "number" },
      alpha: { rowsPerEpoch: 0, valid: () => false },
    },
    start: () => ({ metrics: [{ epoch: 0, loss: null, w: 0, seconds: 0 }], alpha: [] }),
    async epoch(epoch, ctx) {
      let loss = 0;
      for (let step = 0; step < 5; step++) {
        await ctx.pause();
        loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.square(tf.sub(w, 3)) as tf.Scalar, [w]);
          momentum.assign(tf.add(tf.mul(momentum, 0.5), grads[w.name]));
          w.assign(tf.sub(w, tf.mul(momentum, config.lr)));
          return value.dataSync()[0];
        });
        if (!Number.isFinite(loss)) {
          throw ctx.stopped("loss", loss, `at epoch ${epoch + 1}, step ${step + 1}`);
        }
      }
      return {
        metrics: [{ epoch: epoch + 1, loss, w: w.dataSync()[0], seconds: ctx.clock().seconds }],
        alpha: [],
      };
    },
    summary: (status, history, progress, message) => ({
      status,
      epochsDone: progress.epochsDone,
      w: history.metrics[history.metrics.length - 1].w,
      ...(message ? { message } : {}),
    }),
    ...o,
  };
  return { loop, dispose: () => [w, momentum].forEach((v) => v.dispose()) };
}

const untimed = (rows: readonly Row[]) => rows.map(({ seconds: _, ...r }) => r);

Deno.test("runEpochs: a loop that is not a search stops, resumes bit for bit, and reads back", async () => {
  await onBackend("cpu", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const whole = fitLoop();
      const reference = await runEpochs(whole.loop);
      whole.dispose();
      assert.equal(reference.summary.status, "finished");
      assert.ok(Math.abs(reference.summary.w - 3) < 0.05, `w = ${reference.summary.w} approaches 3`);

      const first = fitLoop({ out: `${dir}/run`, stopAfterEpochs: 2 });
      const before = tf.memory().numTensors;
      const partial = await runEpochs(first.loop);
      assert.equal(tf.memory().numTensors, before, "no tensor left by checkpointing");
      first.dispose();
      assert.equal(partial.summary.status, "running");
      const refused = fitLoop({ out: `${dir}/run` });
      await assert.rejects(runEpochs(refused.loop), /already holds this run \(2 of 4 epochs done\)/);
      refused.dispose();
      const rest = fitLoop({ out: `${dir}/run`, resume: true });
      const resumed = await runEpochs(rest.loop);
      rest.dispose();
      assert.deepEqual(untimed(resumed.history.metrics), untimed(reference.history.metrics));
      const files = await readRun(`${dir}/run`);
      assert.equal(files.metrics?.height, 5);
      assert.equal(files.alpha, undefined, "no alpha.csv for a loop without architecture parameters");

      const other = fitLoop({ out: `${dir}/run`, resume: true, lr: 0.2 });
      await assert.rejects(runEpochs(other.loop), /holds a run with a different config \(.*lr/);
      other.dispose();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("runEpochs: a NaN stop keeps the last checkpoint; an abort before any epoch keeps nothing", async () => {
  await onBackend("cpu", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const diverging = fitLoop({ out: `${dir}/nan`, lr: 10, epochs: 200 });
      const err = await runEpochs(diverging.loop).catch((e) => e);
      diverging.dispose();
      assert.ok(err instanceof NonFiniteLossError, String(err));
      assert.match(
        err.message,
        /the loss became Infinity at epoch \d+, step \d: the run stopped \(the checkpoint of epoch \d+ .* is kept\)\. Lower the learning rate\./,
      );
      const summary = JSON.parse(await Deno.readTextFile(`${dir}/nan/summary.json`));
      assert.equal(summary.status, "failed");

      const controller = new AbortController();
      controller.abort("SIGTERM");
      const aborted = fitLoop({ out: `${dir}/abort`, signal: controller.signal });
      const stop = await runEpochs(aborted.loop).catch((e) => e);
      aborted.dispose();
      assert.ok(stop instanceof RunInterruptedError, String(stop));
      assert.match(
        stop.message,
        /the training was interrupted \(SIGTERM\) in epoch 1 of 4, before any epoch had finished/,
      );
      await assert.rejects(Deno.stat(`${dir}/abort`), Deno.errors.NotFound, "the folder it created is gone");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
