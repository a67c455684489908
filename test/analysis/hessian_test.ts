import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { dominantHessianEigenvalue } from "../../src/analysis/hessian.ts";
import { onBackend } from "../helpers.ts";

/** The largest eigenvalue of a symmetric matrix, by power iteration in float64 to 1e-13. */
function exactDominant(h: number[][]): number {
  let v = h.map((_, i) => 1 + i / 7);
  let value = 0;
  for (let k = 0; k < 10_000; k++) {
    const w = h.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
    const next = w.reduce((s, x, i) => s + x * v[i], 0) / v.reduce((s, x) => s + x * x, 0);
    const n = Math.hypot(...w);
    v = w.map((x) => x / n);
    if (Math.abs(next - value) < 1e-13) return next;
    value = next;
  }
  return value;
}

Deno.test("dominantHessianEigenvalue: the cross-entropy of softmax rows (α-shaped), against the exact Hessian", async () => {
  await onBackend("wasm", () => {
    // L(α) = Σ_r w_r · −log softmax(α_r)[k_r]: per row r, ∇² = w_r (diag(p_r) − p_r p_rᵀ).
    const alpha = [[0.3, -1.2, 0.8, 0.1], [2.0, 0.5, -0.4, -1.0]];
    const targets = [1, 2];
    const weights = [3, 1.5];
    const a = tf.variable(tf.tensor2d(alpha));
    const loss = () =>
      tf.tidy(() => {
        const logp = tf.logSoftmax(a);
        const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(targets, "int32"), 4)), 1);
        return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weights)))) as tf.Scalar;
      });
    const n = 8;
    const h = Array.from({ length: n }, () => new Array(n).fill(0));
    alpha.forEach((row, r) => {
      const e = row.map(Math.exp);
      const p = e.map((x) => x / e.reduce((s, y) => s + y, 0));
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          h[4 * r + i][4 * r + j] = weights[r] * ((i === j ? p[i] : 0) - p[i] * p[j]);
        }
      }
    });
    const exact = exactDominant(h);
    const before = tf.memory().numTensors;
    const est = dominantHessianEigenvalue(loss, [a], { iterations: 100, tolerance: 1e-7 });
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    assert.ok(Math.abs(est.value - exact) < 2e-3 * exact, `${est.value} vs exact ${exact}`);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(new Float32Array(alpha.flat())), "α is restored");
    // The eigenvector: H v = λ v.
    const v = Array.from(est.vector[0]);
    const hv = h.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
    assert.ok(hv.every((x, i) => Math.abs(x - exact * v[i]) < 5e-3), `${hv} vs ${v.map((x) => x * exact)}`);
    a.dispose();
  });
});

Deno.test("dominantHessianEigenvalue: several variables form one vector; bad options are refused", async () => {
  await onBackend("cpu", () => {
    // L = (x·y)²/2 with x, y scalars at (1, 2): ∇² = [[y², 2xy], [2xy, x²]] = [[4, 4], [4, 1]].
    const x = tf.variable(tf.scalar(1));
    const y = tf.variable(tf.scalar(2));
    const loss = () => tf.tidy(() => tf.mul(0.5, tf.square(tf.mul(x, y))) as tf.Scalar);
    const { value, iterations } = dominantHessianEigenvalue(loss, [x, y], {
      tolerance: 1e-6,
      iterations: 200,
    });
    const exact = exactDominant([[4, 4], [4, 1]]); // (5 + √73) / 2
    assert.ok(Math.abs(value - exact) < 1e-2, `${value} vs ${exact}`);
    assert.ok(iterations > 1 && iterations <= 200);
    assert.throws(
      () => dominantHessianEigenvalue(loss, [x], { iterations: 0 }),
      /iterations must be an integer ≥ 1/,
    );
    assert.throws(() => dominantHessianEigenvalue(loss, [x], { epsilon: 0 }), /epsilon must be > 0/);
    x.dispose();
    y.dispose();
  });
});

Deno.test("search with hessian: a hessianEigenvalue per epoch (0 too), and the search itself unchanged", async () => {
  const { search } = await import("../../src/search/search.ts");
  const { searchConfig } = await import("../../src/search/config.ts");
  const { runName } = await import("../../src/search/cache.ts");
  await onBackend("wasm", async () => {
    const base = { method: "darts", preset: "smoke", epochs: 2, data: { limit: 128 } } as const;
    const plain = await search(searchConfig(base));
    const config = searchConfig({ ...base, hessian: { images: 32, iterations: 5 } });
    assert.notEqual(runName(config), runName(searchConfig(base)), "its own run folder");
    assert.equal(runName(searchConfig({ ...base, hessian: false })), runName(searchConfig(base)));
    const before = tf.memory().numTensors;
    const measured = await search(config);
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    const values = measured.metrics.map((r) => r.hessianEigenvalue as number);
    assert.equal(values.length, 3);
    assert.ok(values.every((v) => Number.isFinite(v) && v !== 0), `${values}`);
    const strip = (rows: typeof plain.metrics) =>
      rows.map(({ hessianEigenvalue: _, seconds: _s, elapsed: _e, ...rest }) => rest);
    assert.deepEqual(strip(measured.metrics), strip(plain.metrics));
    assert.deepEqual(measured.alpha, plain.alpha);
  });
});

Deno.test("config hessian: true keeps its defaults; an object sets the measurement; bad values are refused", async () => {
  const { searchConfig, HESSIAN_DEFAULTS } = await import("../../src/search/config.ts");
  assert.deepEqual(HESSIAN_DEFAULTS, { images: 128, iterations: 20, tolerance: 1e-3 });
  assert.equal(searchConfig({ preset: "smoke", hessian: true }).hessian, true);
  assert.deepEqual(searchConfig({ preset: "smoke", hessian: { images: 32 } }).hessian, { images: 32 });
  assert.throws(() => searchConfig({ hessian: { images: 0 } }), /hessian.images/);
  assert.throws(
    () => searchConfig({ hessian: { tolerance: 2 } }),
    /hessian.tolerance must be a number in \(0, 1\)/,
  );
  assert.throws(() => searchConfig({ hessian: { steps: 3 } as never }), /unknown key of hessian "steps"/);
  assert.throws(
    () => searchConfig({ hessian: "yes" as never }),
    /hessian must be true or \{ images, iterations, tolerance \}/,
  );
});
