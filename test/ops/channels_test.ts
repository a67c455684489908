import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { concatChannels, splitChannels } from "../../src/ops/channels.ts";
import { channelShuffle } from "../../src/ops/darts.ts";
import { setJsKernelsEnabled } from "../../src/backend/kernels/jsKernel.ts";
import { onBackend, values } from "../helpers.ts";

/** Values and gradients of a split → scale → shuffled concat, whose parts get different weights. */
function splitAndMerge(sizes: number[], groups: number): number[][] {
  return tf.tidy(() => {
    const c = sizes.reduce((a, b) => a + b, 0);
    const x = tf.randomNormal([2, 3, 5, c], 0, 1, "float32", 1) as tf.Tensor4D;
    const r = tf.randomNormal([2, 3, 5, c], 0, 1, "float32", 2);
    const f = (a: tf.Tensor) => {
      const parts = splitChannels(a as tf.Tensor4D, sizes).map((p, i) => tf.mul(p, i + 1) as tf.Tensor4D);
      return concatChannels(parts, groups);
    };
    const y = f(x);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x);
    // Only the first part reaches the loss: the other parts' gradients are zeros.
    const dFirst = tf.grad((a: tf.Tensor) => tf.sum(splitChannels(a as tf.Tensor4D, sizes)[0]))(x);
    return [y, dx, dFirst].map(values);
  });
}

for (const [sizes, groups] of [[[2, 6], 4], [[3, 5], 1], [[4, 4, 4, 4], 1], [[2, 2], 2]] as const) {
  Deno.test(`concatChannels / splitChannels [${sizes}] groups ${groups}: kernels on wasm and cpu equal tf.concat, tf.split and channelShuffle, values and gradients`, async () => {
    const reference = await onBackend("cpu", () => {
      setJsKernelsEnabled(false);
      try {
        return splitAndMerge([...sizes], groups);
      } finally {
        setJsKernelsEnabled(true);
      }
    });
    for (const backend of ["cpu", "wasm"] as const) {
      const got = await onBackend(backend, () => splitAndMerge([...sizes], groups));
      assert.deepEqual(got, reference, backend);
    }
    // The shuffle is really applied: a plain concat differs.
    if (groups > 1) {
      const plain = await onBackend(
        "cpu",
        () =>
          values(
            concatChannels([
              tf.range(0, sizes[0]).reshape([1, 1, 1, sizes[0]]) as tf.Tensor4D,
              tf.range(sizes[0], sizes[0] + sizes[1]).reshape([1, 1, 1, sizes[1]]) as tf.Tensor4D,
            ], groups),
          ),
      );
      assert.deepEqual(
        plain,
        values(
          await onBackend("cpu", () =>
            channelShuffle(
              tf.range(0, sizes[0] + sizes[1]).reshape([1, 1, 1, sizes[0] + sizes[1]]) as tf.Tensor4D,
              groups,
            )),
        ),
      );
      assert.notDeepEqual(plain, [...Array(sizes[0] + sizes[1]).keys()]);
    }
  });
}

Deno.test("splitChannels: sizes that do not add up to the channels are refused, naming both", async () => {
  await onBackend("cpu", () => {
    assert.throws(
      () => splitChannels(tf.zeros([1, 2, 2, 8]) as tf.Tensor4D, [2, 5]),
      /\[2,5\] add up to 7, not the input's 8/,
    );
  });
});
