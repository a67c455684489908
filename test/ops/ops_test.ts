import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { batchNorm, batchNormParams } from "../../src/ops/batchNorm.ts";
import { conv, convParams } from "../../src/ops/conv.ts";
import { ParamStore } from "../../src/ops/params.ts";
import { avgPool, maxPool } from "../../src/ops/pool.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`batch norm (${backend}): hand-computed output, running statistics and eval mode`, async () => {
    await onBackend(backend, () => {
      const store = new ParamStore();
      const p = batchNormParams(store, "bn", 1, { affine: false });
      const x = tf.tensor4d([1, 2, 3, 4], [4, 1, 1, 1]);
      // mean 2.5, biased var 1.25: x̂ = (x − 2.5)/√(1.25 + 1e-5)
      const y = values(batchNorm(p, x, "train"));
      const s = Math.sqrt(1.25 + 1e-5);
      assert.ok(relativeError(y, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]) < 1e-6);
      // running: 0.9·0 + 0.1·2.5; 0.9·1 + 0.1·(unbiased 5/3)
      assert.ok(relativeError(values(p.runningMean!), [0.25]) < 1e-6);
      assert.ok(relativeError(values(p.runningVar!), [0.9 + 0.1 * 5 / 3]) < 1e-6);
      const e = values(batchNorm(p, tf.tensor4d([1], [1, 1, 1, 1]), "eval"));
      assert.ok(relativeError(e, [(1 - 0.25) / Math.sqrt(0.9 + 0.1 * 5 / 3 + 1e-5)]) < 1e-6);
      store.dispose();
    });
  });

  Deno.test(`batch norm (${backend}): variance stays exact when the mean is large (one-pass sums in float64)`, async () => {
    await onBackend(backend, () => {
      const store = new ParamStore();
      const p = batchNormParams(store, "bn", 1, { affine: false });
      const x = tf.tensor4d([1000.5, 1001.5, 1002.5, 1003.5], [4, 1, 1, 1]); // exact in float32
      const s = Math.sqrt(1.25 + 1e-5);
      assert.ok(
        relativeError(values(batchNorm(p, x, "train")), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]) < 1e-5,
      );
      assert.ok(relativeError(values(p.runningVar!), [0.9 + 0.1 * 5 / 3]) < 1e-6);
      store.dispose();
    });
  });

  Deno.test(`batch norm (${backend}): hand-written gradient equals tfjs' generic one`, async () => {
    await onBackend(backend, () => {
      const store = new ParamStore(3);
      const p = batchNormParams(store, "bn", 5, { affine: true, trackRunningStats: false });
      p.gamma!.assign(tf.randomNormal([5], 1, 0.5, "float32", 4));
      const x = tf.randomNormal([3, 4, 4, 5], 0.3, 2, "float32", 5) as tf.Tensor4D;
      const r = tf.randomNormal([3, 4, 4, 5], 0, 1, "float32", 6);
      const ours = tf.grads((a: tf.Tensor, g: tf.Tensor) =>
        tf.sum(tf.mul(batchNorm({ ...p, gamma: g as tf.Variable }, a as tf.Tensor4D, "train"), r))
      )([x, p.gamma!]);
      const generic = tf.grads((a: tf.Tensor, g: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, p.beta!, g, 1e-5), r));
      })([x, p.gamma!]);
      assert.ok(relativeError(values(ours[0]), values(generic[0])) < 1e-4, "dx");
      assert.ok(relativeError(values(ours[1]), values(generic[1])) < 1e-4, "dγ");
      store.dispose();
    });
  });

  Deno.test(`pooling (${backend}): average excludes padding, max pads with −∞, stride 2 is PyTorch's`, async () => {
    await onBackend(backend, () => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
      const avg = values(avgPool(x));
      assert.equal(avg[0], (1 + 2 + 5 + 6) / 4); // corner: 4 valid pixels, not 9
      assert.equal(avg[1], (1 + 2 + 3 + 5 + 6 + 7) / 6);
      assert.equal(avg[5], (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9);
      // stride 2, padding 1 (torch): windows centred on rows/cols 0 and 2.
      assert.deepEqual(values(avgPool(x, { stride: 2 })), [
        (1 + 2 + 5 + 6) / 4,
        (2 + 3 + 4 + 6 + 7 + 8) / 6,
        (5 + 6 + 9 + 10 + 13 + 14) / 6,
        (6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16) / 9,
      ]);
      assert.deepEqual(values(maxPool(tf.neg(x) as tf.Tensor4D, { stride: 2 })), [-1, -2, -5, -6]);
    });
  });

  Deno.test(`average pooling (${backend}): gradient divides by each window's valid count (stock tfjs divides by 9)`, async () => {
    await onBackend(backend, () => {
      const g = values(tf.grad((x: tf.Tensor) => tf.sum(avgPool(x as tf.Tensor4D)))(tf.zeros([1, 3, 3, 1])));
      // Windows centred on a corner hold 4 pixels, on an edge 6, in the middle 9.
      const corner = 1 / 4 + 2 / 6 + 1 / 9;
      const edge = 2 / 4 + 2 / 6 + 1 / 6 + 1 / 9;
      const centre = 4 / 4 + 4 / 6 + 1 / 9;
      assert.ok(
        relativeError(g, [corner, edge, corner, edge, centre, edge, corner, edge, corner]) < 1e-6,
        `${g}`,
      );
    });
  });

  Deno.test(`average pooling (${backend}): 2x2 stride 2 without padding (ResNet shortcut), values and gradient`, async () => {
    await onBackend(backend, () => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
      const pooled = (v: tf.Tensor) => avgPool(v as tf.Tensor4D, { kernel: 2, stride: 2, padding: 0 });
      assert.deepEqual(values(pooled(x)), [3.5, 5.5, 11.5, 13.5]);
      const g = values(
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pooled(v), tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]))))(x),
      );
      assert.deepEqual(g, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4].map((v) => v / 4));
    });
  });
}

Deno.test("conv: inputs that do not fit get a readable error, not one from inside tfjs", async () => {
  await onBackend("wasm", () => {
    const store = new ParamStore();
    const p = convParams(store, "c", { cin: 3, cout: 4, kernel: 3 });
    assert.throws(
      () => conv(p, tf.zeros([1, 8, 8, 5]) as tf.Tensor4D),
      /conv: expects an NHWC batch with 3 channels, got shape \[1,8,8,5\]/,
    );
    const v = convParams(store, "v", { cin: 3, cout: 4, kernel: 5, padding: 0 });
    assert.throws(() => conv(v, tf.zeros([1, 4, 4, 3]) as tf.Tensor4D), /smaller than the 5x5 kernel/);
    assert.throws(() => convParams(store, "bad", { cin: 0, cout: 4, kernel: 3 }), /positive integers/);
    assert.throws(() => convParams(store, "c", { cin: 3, cout: 4, kernel: 3 }), /defined twice/);
    store.dispose();
  });
});
