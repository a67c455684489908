import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  concentration,
  dirichlet,
  gammaLogDraw,
  gammaLogDrawGradient,
  regularizedGammaP,
} from "../../src/samplers/dirichlet.ts";
import { gumbel, gumbelTau } from "../../src/samplers/gumbel.ts";
import { type Sampler, type SamplerContext, uniformStream } from "../../src/samplers/sampler.ts";
import { softmax } from "../../src/samplers/softmax.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

const ALPHA = [[0.3, -0.7, 1.2, 0, -2.5], [2, -0.05, 0.6, -1.1, 0.01], [0, 0, 0, 0, 0], [-8, -8, 1, -8, -8]];
const CTX: SamplerContext = { epoch: 3, step: 7, seed: 11, training: true };
const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, v) => s + v, 0);
const rows = (t: tf.Tensor) => t.arraySync() as number[][];

function weightsOf(sampler: Sampler, alpha: number[][], ctx: SamplerContext): number[][] {
  return tf.tidy(() => rows(sampler.weights(tf.tensor2d(alpha), ctx)));
}

/** Mean of each column over the rows. */
function columnMeans(rs: number[][]): number[] {
  return rs[0].map((_, j) => sum(rs.map((r) => r[j])) / rs.length);
}

Deno.test("every sampler gives rows that sum to 1, the same for the same context, on cpu and wasm", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await onBackend(backend, () => {
      for (const sampler of [softmax(), gumbel(), dirichlet()]) {
        const w = weightsOf(sampler, ALPHA, CTX);
        for (const r of w) {
          assert.ok(Math.abs(sum(r) - 1) < 1e-5, `${backend} ${sampler.name}: row sums to ${sum(r)}`);
          assert.ok(r.every((v) => v >= 0 && Number.isFinite(v)), `${backend} ${sampler.name}: ${r}`);
        }
        assert.deepEqual(weightsOf(sampler, ALPHA, CTX), w, `${sampler.name}: same context, same weights`);
        if (sampler.name === "softmax") continue;
        for (const other of [{ step: 8 }, { epoch: 4 }, { seed: 12 }, { draw: 1 }]) {
          assert.notDeepEqual(
            weightsOf(sampler, ALPHA, { ...CTX, ...other }),
            w,
            `${sampler.name} ${JSON.stringify(other)}`,
          );
        }
      }
    });
  }
});

Deno.test("the noise depends on the context only, not on the backend", async () => {
  const on = (backend: "cpu" | "wasm") => onBackend(backend, () => weightsOf(dirichlet(), ALPHA, CTX).flat());
  assert.ok(relativeError(await on("wasm"), await on("cpu")) < 1e-5);
  const u = uniformStream("x", CTX);
  const draws = Array.from({ length: 1000 }, u);
  assert.ok(draws.every((v) => v > 0 && v < 1));
  assert.throws(() => uniformStream("x", { ...CTX, step: -1 }), /step must be an integer ≥ 0/);
});

Deno.test("softmax is softmax(α); samplers fall back to their mean in evaluation when asked", async () => {
  await onBackend("cpu", () => {
    const want = tf.tidy(() => values(tf.softmax(tf.tensor2d(ALPHA))));
    const evalCtx = { ...CTX, training: false };
    assert.deepEqual(weightsOf(softmax(), ALPHA, CTX).flat(), want);
    assert.deepEqual(weightsOf(gumbel({ sampleInEval: false }), ALPHA, evalCtx).flat(), want);
    assert.notDeepEqual(weightsOf(gumbel(), ALPHA, evalCtx).flat(), want, "the reference samples in eval");
    const beta = ALPHA.map((r) => r.map((a) => (a > 0 ? a : Math.exp(a) - 1) + 1));
    const mean = beta.flatMap((r) => r.map((b) => b / sum(r)));
    assert.ok(
      relativeError(weightsOf(dirichlet({ sampleInEval: false }), ALPHA, evalCtx).flat(), mean) < 1e-5,
    );
  });
});

Deno.test("Gumbel: τ falls linearly from 10 to 1; the argmax is distributed as softmax(α)", async () => {
  assert.deepEqual([0, 25, 50, 60].map((e) => gumbelTau(e)), [10, 5.5, 1, 1]);
  assert.equal(gumbelTau(50, { epochs: 100 }), 5.5);
  assert.throws(() => gumbel({ tauMin: 0 }), /tauMin must be > 0/);
  assert.throws(() => gumbel({ tauMax: 0.5 }), /tauMax must be ≥ tauMin/);
  await onBackend("cpu", () => {
    // Gumbel-max: argmax(α + g) ~ Categorical(softmax(α)), whatever τ.
    const row = [1, 0, -1, 0.5, 2];
    const n = 20000;
    const w = weightsOf(gumbel(), Array(n).fill(row), CTX);
    const freq = row.map((_, j) => w.filter((r) => r.indexOf(Math.max(...r)) === j).length / n);
    const z = sum(row.map(Math.exp));
    assert.ok(relativeError(freq, row.map((a) => Math.exp(a) / z)) < 0.03, `${freq}`);
    // Small τ: nearly one-hot.
    const hard = weightsOf(gumbel({ tauMax: 1e-3, tauMin: 1e-3 }), ALPHA, CTX);
    assert.ok(hard.every((r) => Math.max(...r) > 0.999));
    // A shift of a row of α changes nothing: the gradient of any loss sums to 0 per row.
    const c = tf.tensor2d(ALPHA.map((r) => r.map((_, j) => j - 2)));
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gumbel().weights(a as tf.Tensor2D, CTX), c)))(
      tf.tensor2d(ALPHA),
    );
    for (const r of rows(g)) assert.ok(Math.abs(sum(r)) < 1e-6 && r.some((v) => v !== 0), `${r}`);
  });
});

Deno.test("Dirichlet: concentration ELU(α) + 1, mean β / Σβ over many draws, tiny β still sums to 1", async () => {
  await onBackend("cpu", () => {
    const c = tf.tidy(() => values(concentration(tf.tensor2d([[-1, 0, 2]]))));
    assert.ok(relativeError(c, [Math.exp(-1), 1, 3]) < 1e-6);
    const row = [0.5, -0.3, 1, 0, 2];
    const beta = row.map((a) => (a > 0 ? a : Math.exp(a) - 1) + 1);
    const n = 20000;
    const mean = columnMeans(weightsOf(dirichlet(), Array(n).fill(row), CTX));
    // Each weight has std ≤ 0.16 here, so the mean's is ≈ 0.0011: 0.006 is five of them.
    mean.forEach((m, j) =>
      assert.ok(Math.abs(m - beta[j] / sum(beta)) < 0.006, `op ${j}: ${m} vs ${beta[j] / sum(beta)}`)
    );
    // α = −8: β ≈ 3e-4, whose Gamma draws underflow float64; log-space keeps the row a distribution.
    const tiny = weightsOf(dirichlet(), [[-8, -8, -8, -8, -8]], CTX)[0];
    assert.ok(Math.abs(sum(tiny) - 1) < 1e-5 && tiny.every(Number.isFinite), `${tiny}`);
  });
});

Deno.test("Dirichlet: the implicit gradient equals d/dβ of the Gamma quantile at fixed CDF value", () => {
  const quantileLog = (a: number, u: number) => {
    let lo = -800;
    let hi = Math.log(1e4);
    for (let i = 0; i < 200; i++) {
      const m = (lo + hi) / 2;
      if (regularizedGammaP(a, Math.exp(m)) < u) lo = m;
      else hi = m;
    }
    return (lo + hi) / 2;
  };
  assert.ok(Math.abs(regularizedGammaP(1, 2) - (1 - Math.exp(-2))) < 1e-14);
  assert.ok(Math.abs(regularizedGammaP(3, 7) - (1 - Math.exp(-7) * (1 + 7 + 24.5))) < 1e-14);
  for (const a of [0.01, 0.3, 1, 2.5, 20]) {
    for (const u of [0.01, 0.5, 0.99]) {
      const h = 1e-4 * a;
      const fd = (quantileLog(a + h, u) - quantileLog(a - h, u)) / (2 * h);
      const got = gammaLogDrawGradient(quantileLog(a, u), a);
      assert.ok(Math.abs(got - fd) < 1e-6 * Math.abs(fd), `a=${a} u=${u}: ${got} vs ${fd}`);
    }
  }
  // Gamma(a, 1) has mean a: its draws average to a, and their pathwise gradients dz/da to 1.
  const uniform = uniformStream("test", CTX);
  for (const a of [0.2, 3.7]) {
    let z = 0;
    let dz = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const lz = gammaLogDraw(a, uniform);
      z += Math.exp(lz);
      dz += Math.exp(lz) * gammaLogDrawGradient(lz, a);
    }
    assert.ok(Math.abs(z / n - a) < 0.03 * a, `mean ${z / n} for a = ${a}`);
    assert.ok(Math.abs(dz / n - 1) < 0.02, `E[dz/da] = ${dz / n} for a = ${a}`);
  }
});

Deno.test("Dirichlet: the pathwise gradient is unbiased: E[∂w/∂α] = ∂E[w]/∂α", async () => {
  await onBackend("cpu", () => {
    const row = [0.5, -0.3, 1, 0, 2];
    const cost = [1, -2, 0.5, 3, -1];
    const n = 20000;
    const base = tf.tensor2d([row]);
    // Loss = mean over draws of Σ_k c_k w_k; its exact expectation is Σ_k c_k β_k / Σβ.
    const grad = tf.grad((a: tf.Tensor) => {
      const w = dirichlet().weights(tf.tile(a, [n, 1]) as tf.Tensor2D, CTX);
      return tf.div(tf.sum(tf.mul(w, tf.tensor1d(cost))), n);
    })(base);
    const beta = row.map((a) => (a > 0 ? a : Math.exp(a) - 1) + 1);
    const b0 = sum(beta);
    const m = sum(beta.map((b, k) => cost[k] * b)) / b0;
    const want = row.map((a, j) => (cost[j] - m) / b0 * (a > 0 ? 1 : Math.exp(a)));
    const got = values(grad);
    got.forEach((g, j) =>
      assert.ok(Math.abs(g - want[j]) < 0.01, `α_${j}: ${g} vs ${want[j]} (all: ${got})`)
    );
    tf.dispose([base, grad]);
  });
});

Deno.test("sampling and its gradient leak no tensor", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await onBackend(backend, () => {
      const alpha = tf.variable(tf.tensor2d(ALPHA));
      for (const sampler of [softmax(), gumbel(), dirichlet()]) {
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(sampler.weights(alpha, CTX))), [
          alpha,
        ]);
        assert.ok(values(grads[alpha.name]).every(Number.isFinite));
        tf.dispose([value, grads[alpha.name]]);
        assert.equal(tf.memory().numTensors, before, `${backend} ${sampler.name}`);
      }
      alpha.dispose();
    });
  }
});
