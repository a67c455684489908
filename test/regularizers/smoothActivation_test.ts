import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { smoothActivation } from "../../src/regularizers/smoothActivation.ts";
import { betaSchedule, linearSchedule, saSchedule } from "../../src/regularizers/schedules.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

/**
 * erf in float64 to ~1e-13: the Maclaurin series below 3 (terms stay under ~200, so about two digits
 * are lost to cancellation), the continued fraction of erfc above.
 */
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x * x / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let f = ax;
  for (let k = 80; k >= 1; k--) f = ax + (k / 2) / f;
  return Math.sign(x) * (1 - Math.exp(-x * x) / (Math.sqrt(Math.PI) * f));
}

/** The summand of eq. 7 and its derivative, in float64. */
const f = (a: number, nu: number, mu: number) => ((1 + nu) * a + (1 - nu) * a * erf64(mu * (1 - nu) * a)) / 2;
function df(a: number, nu: number, mu: number): number {
  const k = mu * (1 - nu);
  return ((1 + nu) + (1 - nu) * (erf64(k * a) + a * k * 2 / Math.sqrt(Math.PI) * Math.exp(-k * k * a * a))) /
    2;
}

const ALPHA = [[0.3, -0.7, 1.2, 0, -2.5], [2, -0.05, 0.6, -1.1, 0.01]];
const FLAT = ALPHA.flat();
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const BACKENDS = ["cpu", "wasm"] as const;

Deno.test("the test's float64 erf matches tabulated values (Python math.erf) to 1e-13", () => {
  const table: [number, number][] = [
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.9, 0.9999589021219005],
    [3, 0.9999779095030014],
    [3.5, 0.9999992569016276],
  ];
  for (const [x, v] of table) {
    assert.ok(Math.abs(erf64(x) - v) < 1e-13, `erf(${x}) = ${erf64(x)}, want ${v}`);
    assert.ok(Math.abs(erf64(-x) + v) < 1e-13, `erf(${-x})`);
  }
});

Deno.test("L_SA equals eq. 7 by hand, and its gradient the analytic derivative", async () => {
  for (const backend of BACKENDS) {
    await onBackend(backend, () => {
      for (
        const [nu, mu, lambda] of [[0.25, 1, 2], [0, Math.SQRT1_2, 1], [0.5, 3, 0.7], [1, 1, 1.3], [
          0.25,
          0,
          1,
        ]]
      ) {
        const reg = smoothActivation({ nu, mu, lambda });
        const alpha = tf.tensor2d(ALPHA);
        const want = lambda * mean(FLAT.map((a) => f(a, nu, mu)));
        const got = tf.tidy(() => reg.loss(alpha, 3).dataSync()[0]);
        assert.ok(relativeError([got], [want]) < 1e-5, `${backend} ν=${nu} μ=${mu}: ${got} vs ${want}`);
        const grad = tf.grad((a: tf.Tensor) => reg.loss(a as tf.Tensor2D, 3))(alpha);
        const wantGrad = FLAT.map((a) => lambda * df(a, nu, mu) / FLAT.length);
        assert.ok(relativeError(values(grad), wantGrad) < 1e-5, `${backend} gradient ν=${nu} μ=${mu}`);
        tf.dispose([alpha, grad]);
      }
    });
  }
});

Deno.test("L_SA special cases: ν = 1 is λ·mean(α); μ → ∞ Leaky ReLU; μ = 1/√2, ν = 0 GELU", async () => {
  await onBackend("cpu", () => {
    const alpha = tf.tensor2d(ALPHA);
    const at = (o: Parameters<typeof smoothActivation>[0]) =>
      tf.tidy(() => smoothActivation(o).loss(alpha, 0).dataSync()[0]);
    // Default: ν = 1, λ_e = (0 + 1) / 5 in the first epoch.
    assert.ok(relativeError([at({})], [0.2 * mean(FLAT)]) < 1e-6, "default = 0.2 · mean(α)");
    assert.ok(relativeError([at({ nu: 1, mu: 7, lambda: 3 })], [3 * mean(FLAT)]) < 1e-6, "ν = 1 ignores μ");
    const nu = 0.25;
    const leaky = mean(FLAT.map((a) => ((1 + nu) * a + (1 - nu) * Math.abs(a)) / 2));
    assert.ok(relativeError([at({ nu, mu: 1e6, lambda: 1 })], [leaky]) < 1e-6, "μ = 1e6: Leaky ReLU");
    const gelu = mean(FLAT.map((a) => a * (1 + erf64(a / Math.SQRT2)) / 2));
    assert.ok(relativeError([at({ nu: 0, mu: Math.SQRT1_2, lambda: 1 })], [gelu]) < 1e-5, "GELU");
    alpha.dispose();
  });
});

Deno.test("λ schedules: SA (epoch + 1) / 5 on the 0-based epoch, Beta 0.5 · epoch, both linear", () => {
  const sa = saSchedule();
  // Paper epochs 1, 5, 10 are the loop's epochs 0, 4, 9.
  assert.deepEqual([0, 4, 9].map(sa), [0.2, 1, 2]);
  assert.deepEqual([1, 5, 10].map(saSchedule({ countFrom: 0 })), [0.2, 1, 2]);
  assert.deepEqual([0, 1, 9].map(saSchedule({ divisor: 2 })), [0.5, 1, 5]);
  const beta = betaSchedule();
  assert.deepEqual([0, 1, 5, 10, 99].map(beta), [0, 0.5, 2.5, 5, 49.5]);
  assert.deepEqual([0, 2].map(linearSchedule({ slope: 0.1, start: 1, countFrom: 1 })), [1.1, 1.3]);
  assert.throws(() => saSchedule({ divisor: 0 }), /divisor must be a finite number > 0/);
  assert.throws(() => linearSchedule({ slope: -1 }), /slope must be a finite number ≥ 0/);
});

Deno.test("L_SA refuses ν outside [0, 1], negative μ or λ, and a negative epoch", async () => {
  await onBackend("cpu", () => {
    assert.throws(() => smoothActivation({ nu: 1.5 }), /ν must be in \[0, 1\], got 1.5/);
    assert.throws(() => smoothActivation({ nu: -0.1 }), /ν must be in \[0, 1\]/);
    assert.throws(() => smoothActivation({ mu: -1 }), /μ must be a finite number ≥ 0/);
    assert.throws(() => smoothActivation({ lambda: -2 }), /λ must be a finite number ≥ 0, got -2/);
    const alpha = tf.zeros([6, 5]) as tf.Tensor2D;
    assert.throws(
      () => smoothActivation({ lambda: (e) => 1 - e }).loss(alpha, 3),
      /λ must be .* got -2 at epoch 3/,
    );
    assert.throws(() => smoothActivation().loss(alpha, -1), /epoch must be ≥ 0/);
    alpha.dispose();
  });
});
