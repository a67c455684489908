import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { betaDecay } from "../../src/regularizers/beta.ts";
import { l2Penalty } from "../../src/regularizers/l2.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

const ALPHA = [[0.3, -0.7, 1.2, 0, -2.5], [2, -0.05, 0.6, -1.1, 0.01], [-3, -3, -3, -3, 5]];
const logSumExp = (row: number[]) => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};

Deno.test("Beta-Decay is λ · mean over edges of logsumexp(α_edge), gradient λ · softmax / edges", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await onBackend(backend, () => {
      const alpha = tf.tensor2d(ALPHA);
      const reg = betaDecay();
      // Default λ = 0.5 · epoch: 2.5 at (0-based) epoch 5, 0 at epoch 0.
      const lse = ALPHA.map(logSumExp);
      const want = 2.5 * lse.reduce((s, v) => s + v, 0) / ALPHA.length;
      assert.ok(relativeError([tf.tidy(() => reg.loss(alpha, 5).dataSync()[0])], [want]) < 1e-6, backend);
      assert.equal(tf.tidy(() => reg.loss(alpha, 0).dataSync()[0]), 0);
      const grad = tf.grad((a: tf.Tensor) => reg.loss(a as tf.Tensor2D, 5))(alpha);
      const wantGrad = ALPHA.flatMap((row, i) => row.map((v) => 2.5 * Math.exp(v - lse[i]) / ALPHA.length));
      assert.ok(relativeError(values(grad), wantGrad) < 1e-5, `${backend} gradient`);
      tf.dispose([alpha, grad]);
    });
  }
});

Deno.test("Beta-Decay takes a constant λ and refuses a negative one; L2 is λ · Σα²", async () => {
  await onBackend("cpu", () => {
    const alpha = tf.tensor2d(ALPHA);
    const lse = ALPHA.map(logSumExp);
    const got = tf.tidy(() => betaDecay({ lambda: 3 }).loss(alpha, 0).dataSync()[0]);
    assert.ok(relativeError([got], [3 * lse.reduce((s, v) => s + v, 0) / 3]) < 1e-6);
    assert.throws(() => betaDecay({ lambda: -1 }), /beta decay: λ must be a finite number ≥ 0/);
    const sq = ALPHA.flat().reduce((s, v) => s + v * v, 0);
    const l2 = tf.tidy(() => l2Penalty({ lambda: 0.1 }).loss(alpha, 7).dataSync()[0]);
    assert.ok(relativeError([l2], [0.1 * sq]) < 1e-6);
    alpha.dispose();
  });
});
