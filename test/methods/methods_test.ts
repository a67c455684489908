import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { ParamStore } from "../../src/ops/params.ts";
import { l2Penalty } from "../../src/regularizers/l2.ts";
import { adam } from "../../src/search/optimizers.ts";
import {
  betaDarts,
  darts,
  drnas,
  initArchParam,
  methodByName,
  METHODS,
  regularizationLoss,
  saDarts,
  snas,
  snasSa,
  updatesAlpha,
  weightLr,
} from "../../src/methods/mod.ts";
import { onBackend, relativeError, values } from "../helpers.ts";
import { NB201_OPS } from "../../src/spaces/nb201.ts";
import type { ArchParamSpec } from "../../src/spaces/space.ts";

/** The settings of a method other than its name, sampler and regularizers. */
const settings = (m: ReturnType<typeof darts>) => {
  const { name: _n, sampler: _s, regularizers: _r, ...rest } = m;
  return rest;
};

Deno.test("DARTS has the NB201 settings: Adam 3e-4 (0.5, 0.999) with weight decay 1e-3, softmax, no loss", () => {
  const m = darts();
  assert.equal(m.sampler.name, "softmax");
  assert.deepEqual(m.regularizers, []);
  assert.deepEqual(m.archOptimizer, { lr: 3e-4, betas: [0.5, 0.999], weightDecay: 1e-3 });
  assert.deepEqual(m.weightOptimizer, {
    lr: 0.025,
    momentum: 0.9,
    weightDecay: 3e-4,
    nesterov: false,
    minLr: 0.001,
  });
  assert.equal(m.gradClip, 5);
  assert.deepEqual(m.alphaInit, { scale: 1e-3, offset: 0 });
  assert.equal(m.warmupEpochs, 0);
  assert.equal(m.partialChannels, undefined);
});

Deno.test("methods are DARTS plus one change: SA drops α's weight decay, Beta keeps it", () => {
  const base = darts();
  const sa = saDarts();
  assert.equal(sa.name, "sa");
  assert.deepEqual(sa.regularizers.map((r) => r.name), ["sa"]);
  assert.equal(sa.archOptimizer.weightDecay, 0);
  assert.deepEqual(settings(sa), {
    ...settings(base),
    archOptimizer: { ...base.archOptimizer, weightDecay: 0 },
  });
  assert.equal(
    saDarts({ archOptimizer: { weightDecay: 1e-4 } }).archOptimizer.weightDecay,
    1e-4,
    "explicit wins",
  );

  const beta = betaDarts();
  assert.deepEqual(beta.regularizers.map((r) => r.name), ["beta"]);
  assert.deepEqual(settings(beta), settings(base));

  for (const [m, sampler] of [[snas(), "gumbel"], [drnas(), "dirichlet"]] as const) {
    assert.equal(m.sampler.name, sampler);
    assert.deepEqual(m.regularizers, []);
    assert.deepEqual(settings(m), settings(base), m.name);
  }
  const both = snasSa();
  assert.equal(both.sampler.name, "gumbel");
  assert.deepEqual(both.regularizers.map((r) => r.name), ["sa"]);
  assert.equal(both.archOptimizer.weightDecay, 0);
});

Deno.test("options reach the parts: λ, ν and μ the SA loss, overrides the settings", async () => {
  await onBackend("cpu", () => {
    const alpha = tf.tensor2d([[1, -2, 3, 0, 0.5]]);
    const mean = 2.5 / 5;
    const at = (m: ReturnType<typeof darts>, epoch: number) =>
      tf.tidy(() => regularizationLoss(m, alpha, epoch).dataSync()[0]);
    assert.ok(relativeError([at(saDarts(), 0)], [0.2 * mean]) < 1e-6, "λ_0 = 1/5");
    assert.ok(relativeError([at(saDarts(), 9)], [2 * mean]) < 1e-6, "λ_9 = 10/5");
    assert.ok(relativeError([at(saDarts({ lambda: 1 }), 9)], [mean]) < 1e-6);
    const leaky = [1, -2, 3, 0, 0.5].map((a) => (1.25 * a + 0.75 * Math.abs(a)) / 2).reduce((s, v) => s + v) /
      5;
    assert.ok(relativeError([at(saDarts({ nu: 0.25, mu: 1e6, lambda: 1 }), 0)], [leaky]) < 1e-6);
    assert.equal(at(darts(), 5), 0);
    assert.equal(at(betaDarts(), 0), 0, "Beta's λ starts at 0");
    alpha.dispose();
  });
  const m = darts({
    weightOptimizer: { lr: 0.1, minLr: 0 },
    gradClip: 10,
    warmupEpochs: 15,
    partialChannels: 4,
  });
  assert.deepEqual([m.weightOptimizer.lr, m.weightOptimizer.minLr, m.weightOptimizer.momentum], [
    0.1,
    0,
    0.9,
  ]);
  assert.deepEqual([m.gradClip, m.warmupEpochs, m.partialChannels], [10, 15, 4]);
  assert.deepEqual([updatesAlpha(m, 14), updatesAlpha(m, 15)], [false, true]);
  assert.equal(weightLr(darts(), 0, 50), 0.025);
  assert.ok(Math.abs(weightLr(darts(), 25, 50) - 0.013) < 1e-12, "cosine midpoint");
  assert.equal(snas({ tauMax: 5 }).name, "snas");
});

Deno.test("methodByName builds registered methods and refuses unknown names and options", () => {
  assert.deepEqual(Object.keys(METHODS), [
    "darts",
    "darts-2nd",
    "beta",
    "sa",
    "snas",
    "snas-sa",
    "drnas",
    "pc-darts",
    "sac",
    "pc-beta",
  ]);
  for (const name of Object.keys(METHODS)) assert.equal(methodByName(name).name, name);
  assert.equal(methodByName("sa", { nu: 0.25, mu: 1e6 }).archOptimizer.weightDecay, 0);
  assert.throws(
    () => methodByName("gdas"),
    /unknown search method "gdas": choose one of darts, darts-2nd, beta, sa, snas, snas-sa, drnas/,
  );
  assert.throws(() => methodByName("toString"), /unknown search method/);
  assert.throws(() => methodByName("darts", { nu: 0.5 }), /method darts takes no option "nu"/);
  assert.throws(
    () => methodByName("sa", { archOptimizer: { lR: 1 } as never }),
    /unknown option archOptimizer.lR/,
  );
});

Deno.test("invalid settings fail with the name of the setting", () => {
  assert.throws(() => saDarts({ nu: 1.5 }), /ν must be in \[0, 1\]/);
  assert.throws(() => saDarts({ mu: -1 }), /μ must be a finite number ≥ 0/);
  assert.throws(() => saDarts({ lambda: -0.2 }), /λ must be a finite number ≥ 0/);
  assert.throws(() => betaDarts({ lambda: -1 }), /λ must be a finite number ≥ 0/);
  assert.throws(
    () => darts({ archOptimizer: { lr: -1 } }),
    /method darts: archOptimizer.lr must be a finite number ≥ 0/,
  );
  assert.throws(() => saDarts({ weightOptimizer: { lr: -0.1 } }), /method sa: weightOptimizer.lr/);
  assert.throws(() => darts({ weightOptimizer: { minLr: 0.5 } }), /minLr \(0.5\) must not exceed lr/);
  assert.throws(() => darts({ weightOptimizer: { momentum: 1 } }), /momentum must be in \[0, 1\)/);
  assert.throws(() => darts({ archOptimizer: { betas: [0.5, 1] } }), /betas\[1\] must be in \[0, 1\)/);
  assert.throws(() => darts({ gradClip: 0 }), /gradClip must be > 0/);
  assert.throws(() => darts({ warmupEpochs: 1.5 }), /warmupEpochs must be an integer ≥ 0/);
  assert.throws(() => darts({ partialChannels: 0 }), /partialChannels must be an integer ≥ 1/);
  assert.throws(() => snas({ epochs: 0 }), /epochs must be an integer ≥ 1/);
});

/** An op-score parameter like NB201's α: 6 edges with the same `ops`. */
const opsSpec = (ops: readonly string[] = NB201_OPS): ArchParamSpec => ({
  name: "alpha",
  role: "ops",
  rows: ["1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2"],
  columns: Array(6).fill(ops),
});

Deno.test("initArchParam: scale · N(0, 1) + offset + per-op bias, seeded, and refuses unknown ops", async () => {
  await onBackend("cpu", () => {
    const exact = darts({ alphaInit: { scale: 0, offset: -2, bias: { skip_connect: 0.1 } } });
    const store = new ParamStore(3);
    const a = initArchParam(store, exact, opsSpec());
    assert.deepEqual(a.shape, [6, 5]);
    assert.ok(relativeError(values(a), Array(6).fill([-2, -1.9, -2, -2, -2]).flat()) < 1e-7);

    const noisy = darts({ alphaInit: { offset: -0.5 } });
    const v1 = values(initArchParam(new ParamStore(3), noisy, opsSpec()));
    assert.deepEqual(
      values(initArchParam(new ParamStore(3), noisy, opsSpec())),
      v1,
      "same store seed, same α",
    );
    assert.notDeepEqual(values(initArchParam(new ParamStore(4), noisy, opsSpec())), v1);
    assert.notDeepEqual(values(initArchParam(new ParamStore(3), noisy, opsSpec(), 9)), v1, "explicit seed");
    assert.ok(v1.every((v) => Math.abs(v + 0.5) < 6e-3) && v1.some((v) => v !== -0.5), "−0.5 + 1e-3 noise");

    const ops = ["none", "skip_connect", "nor_conv_3x3"];
    assert.deepEqual(initArchParam(new ParamStore(0), darts(), opsSpec(ops)).shape, [6, 3]);
    const bad = darts({ alphaInit: { bias: { sep_conv_3x3: 0.1 } } });
    assert.throws(
      () => initArchParam(new ParamStore(0), bad, opsSpec(ops)),
      /"sep_conv_3x3", not one of the ops none, skip_connect/,
    );
    // Rows naming different ops (RobustDARTS' S1): the bias lands wherever its op is.
    const perEdge: ArchParamSpec = {
      name: "alpha_normal",
      role: "ops",
      rows: ["e0", "e1"],
      columns: [["skip_connect", "dil_conv_3x3"], ["max_pool_3x3", "skip_connect"]],
    };
    assert.ok(
      relativeError(values(initArchParam(new ParamStore(0), exact, perEdge)), [-1.9, -2, -2, -1.9]) < 1e-7,
    );
    // Edge scores (PC-DARTS' β) take the noise only: no offset, no op bias.
    const edges: ArchParamSpec = {
      name: "beta_normal",
      role: "edges",
      rows: ["normal"],
      columns: [["a", "b", "c"]],
    };
    assert.deepEqual(values(initArchParam(new ParamStore(0), exact, edges)), [0, 0, 0]);
    store.dispose();
  });
});

Deno.test("DARTS' L2 is Adam's weight decay: wd on α equals the gradient of (wd / 2) · Σα²", async () => {
  await onBackend("cpu", () => {
    const start = [[0.3, -0.2, 0.1, 0.05, -0.4]];
    const g = tf.tensor2d([[0.1, -0.3, 0.2, 0, 0.05]]);
    const decayed = tf.variable(tf.tensor2d(start));
    const penalized = tf.variable(tf.tensor2d(start));
    const withDecay = adam([decayed], { lr: 0.01, weightDecay: 1e-3 });
    const plain = adam([penalized], { lr: 0.01 });
    const l2 = l2Penalty({ lambda: 5e-4 });
    for (let i = 0; i < 3; i++) {
      withDecay.step([g]);
      tf.tidy(() =>
        plain.step([tf.add(g, tf.grad((a: tf.Tensor) => l2.loss(a as tf.Tensor2D, i))(penalized))])
      );
    }
    assert.ok(relativeError(values(penalized), values(decayed)) < 1e-6);
    tf.dispose([g, decayed, penalized]);
    withDecay.dispose();
    plain.dispose();
  });
});

Deno.test("PC compositions: pc-darts, sac and pc-beta add PC-DARTS' K (default 4) to DARTS, SA and Beta", () => {
  const pc = methodByName("pc-darts");
  assert.equal(pc.partialChannels, 4);
  const { sampler: _s, name: _n, partialChannels: _k, ...settings } = pc;
  const { sampler: _s2, name: _n2, ...dartsSettings } = darts();
  assert.deepEqual(settings, dartsSettings, "DARTS' settings otherwise");
  const sac = methodByName("sac", { partialChannels: 2, nu: 0.25 });
  assert.equal(sac.partialChannels, 2);
  assert.deepEqual(
    sac.regularizers.map((r) => r.name),
    methodByName("sa", { nu: 0.25 }).regularizers.map((r) => r.name),
  );
  assert.equal(sac.archOptimizer.weightDecay, 0, "SA drops α's weight decay, with or without PC");
  assert.equal(methodByName("pc-beta").regularizers.length, 1);
  assert.throws(
    () => methodByName("pc-darts", { partialChannels: 0 }),
    /partialChannels must be an integer ≥ 1/,
  );
  assert.throws(() => methodByName("pc-darts", { nu: 1 }), /method pc-darts takes no option "nu"/);
});

Deno.test("darts-2nd: DARTS with the unrolled α step; any method takes secondOrder; a non-boolean is refused", () => {
  assert.equal(methodByName("darts-2nd").secondOrder, true);
  assert.equal(methodByName("darts").secondOrder, undefined);
  assert.equal(methodByName("sa", { secondOrder: true }).secondOrder, true);
  assert.throws(
    () => darts({ secondOrder: 1 as unknown as boolean }),
    /secondOrder must be true or false, got 1/,
  );
});
