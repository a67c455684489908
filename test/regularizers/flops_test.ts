import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { flopsRegularizer } from "../../src/regularizers/flops.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

Deno.test("FLOPs regularizer: value and gradient by hand on one layer, β = (1, 2, 3)/6, c = (1, 2, 3)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await onBackend(backend, () => {
      const alpha = tf.tensor2d([[0, Math.log(2), Math.log(3)]]);
      const reg = flopsRegularizer({ costs: [[1, 2, 3]], weight: 2 });
      // Σ β c / Σ c = (1·1 + 2·2 + 3·3)/6 / 6 = 14/36, times w = 2.
      assert.ok(relativeError([tf.tidy(() => reg.loss(alpha, 0).dataSync()[0])], [28 / 36]) < 1e-6, backend);
      // ∂/∂α_j = w · β_j (c_j − 14/6) / 6: 2 · (−1/27, −1/54, 1/18).
      const grad = tf.grad((a: tf.Tensor) => reg.loss(a as tf.Tensor2D, 0))(alpha);
      assert.ok(relativeError(values(grad), [-2 / 27, -2 / 54, 2 / 18]) < 1e-5, `${backend} gradient`);
      tf.dispose([alpha, grad]);
    });
  }
});

Deno.test("FLOPs regularizer: layers add up, each normalized by its own total; a schedule sets the weight", async () => {
  await onBackend("cpu", () => {
    const alpha = tf.tensor2d([[0, 0], [5, -5]]);
    const reg = flopsRegularizer({ costs: [[10, 30], [1, 1]], weight: (epoch) => epoch / 2 });
    const b = 1 / (1 + Math.exp(-10)); // β of the second layer's first candidate
    const want = 3 * ((0.5 * 10 + 0.5 * 30) / 40 + (b * 1 + (1 - b) * 1) / 2);
    assert.ok(relativeError([tf.tidy(() => reg.loss(alpha, 6).dataSync()[0])], [want]) < 1e-6);
    alpha.dispose();
  });
});

Deno.test("FLOPs regularizer: bad costs, or α of another shape, are refused", async () => {
  assert.throws(() => flopsRegularizer({ costs: [] }), /costs must list each searched layer/);
  assert.throws(
    () => flopsRegularizer({ costs: [[1, 2], [1]] }),
    /layer 1 has 1 candidate costs, layer 0 has 2/,
  );
  assert.throws(
    () => flopsRegularizer({ costs: [[0, 0]] }),
    /layer 0's costs must be finite, non-negative and not all 0/,
  );
  assert.throws(() => flopsRegularizer({ costs: [[1, -1]] }), /non-negative/);
  assert.throws(() => flopsRegularizer({ costs: [[1, 2]], weight: -1 }), /flops regularizer: .* ≥ 0/);
  await onBackend("cpu", () => {
    const alpha = tf.tensor2d([[0, 0, 0]]);
    assert.throws(
      () => flopsRegularizer({ costs: [[1, 2]] }).loss(alpha, 0),
      /α is \[1,3\], the costs are \[1, 2\]/,
    );
    alpha.dispose();
  });
});
