import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { hfenLoss, l1Loss, superResolutionTask } from "../../src/tasks/superResolution.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/sr_losses.json", import.meta.url)));
const nhwc = (t: { shape: number[]; data: number[] }) =>
  tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`DLSR's loss (${backend}): L1, HFEN and the gradient of L1 + 0.2·HFEN equal its PyTorch code's`, async () => {
    await onBackend(backend, () => {
      const [output, target] = [nhwc(fixture.output), nhwc(fixture.target)];
      assert.ok(relativeError([l1Loss(output, target).dataSync()[0]], [fixture.l1]) < 1e-6);
      assert.ok(relativeError([hfenLoss(output, target).dataSync()[0]], [fixture.hfen]) < 1e-5);
      const task = superResolutionTask({ hfenWeight: 0.2 });
      const grad = tf.grad((o: tf.Tensor) => task.loss(o, target))(output);
      const ours = values(tf.transpose(grad, [0, 3, 1, 2]));
      assert.ok(
        relativeError(ours, fixture.gradient) < 1e-4,
        `gradient: ${relativeError(ours, fixture.gradient)}`,
      );
      tf.dispose([output, target, grad]);
    });
  });
}

Deno.test("super-resolution task: the score is each image's PSNR (peak 1, output clipped to [0, 1]); bad weights refused", async () => {
  await onBackend("cpu", () => {
    const target = tf.concat([tf.fill([1, 2, 2, 3], 0.5), tf.fill([1, 2, 2, 3], 0.2)]) as tf.Tensor4D;
    // Image 1 off by 0.1 (20 dB), image 2 by 0.01 (40 dB); a value above 1 is clipped first.
    const output = tf.concat([tf.fill([1, 2, 2, 3], 0.6), tf.fill([1, 2, 2, 3], 0.21)]) as tf.Tensor4D;
    assert.ok(Math.abs(superResolutionTask().scoreSum(output, target).dataSync()[0] - 60) < 1e-3);
    const over = tf.fill([1, 2, 2, 3], 1.7) as tf.Tensor4D, one = tf.fill([1, 2, 2, 3], 0.9) as tf.Tensor4D;
    assert.ok(Math.abs(superResolutionTask().scoreSum(over, one).dataSync()[0] - 20) < 1e-3);
    tf.dispose([target, output, over, one]);
  });
  assert.throws(
    () => superResolutionTask({ hfenWeight: -1 }),
    /hfenWeight must be a finite number ≥ 0, got -1/,
  );
});
