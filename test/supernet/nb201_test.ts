import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ParamStore } from "../../src/ops/params.ts";
import { createNb201Supernet, nb201Forward, type Nb201SupernetOptions } from "../../src/supernet/nb201.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

Deno.test("nb201 supernet has PyTorch's parameter count (plus the search-time conv biases)", async () => {
  await onBackend("cpu", () => {
    // torch_nb201_step.Net counts 1,686,106 (C=16, N=5) and 180,018 (C=8, N=2) without conv biases;
    // xautodl adds one bias per cell conv: 5 cells x 6 edges x 2 convs x (16+32+64) = 6,720.
    for (const [channels, cellsPerStage, torchCount] of [[16, 5, 1686106], [8, 2, 180018]]) {
      const store = new ParamStore(0);
      createNb201Supernet(store, { channels, cellsPerStage });
      const biases = cellsPerStage * 6 * 2 * (channels * 7);
      assert.equal(store.size, torchCount + biases);
      store.dispose();
    }
  });
});

function build(options: Nb201SupernetOptions) {
  const store = new ParamStore(7);
  return { store, net: createNb201Supernet(store, { channels: 4, cellsPerStage: 1, ...options }) };
}

Deno.test("nb201 grouped cells compute the same logits, gradients and running stats as edge-by-edge", async () => {
  await onBackend("cpu", () => {
    const x = tf.randomNormal([3, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const alpha = tf.randomNormal([6, 5], 0, 1, "float32", 2) as tf.Tensor2D;
    const run = (grouped: boolean) => {
      const { store, net } = build({ grouped });
      const f = (a: tf.Tensor) => tf.sum(tf.square(nb201Forward(net, x, tf.softmax(a) as tf.Tensor2D, "train")));
      const { value, grads } = tf.valueAndGrads(f)([alpha]);
      const logitsEval = nb201Forward(net, x, tf.softmax(alpha) as tf.Tensor2D, "eval");
      const stats = store.entries().filter(([n]) => n.includes("running")).flatMap(([, v]) => values(v));
      const out = { loss: values(value), grad: values(grads[0]), eval: values(logitsEval), stats };
      store.dispose();
      return out;
    };
    const g = run(true);
    const e = run(false);
    assert.ok(relativeError(g.loss, e.loss) < 1e-5, "loss");
    assert.ok(relativeError(g.grad, e.grad) < 1e-4, `α gradient: ${g.grad} vs ${e.grad}`);
    assert.ok(relativeError(g.eval, e.eval) < 1e-5, "eval-mode logits (running statistics)");
    assert.ok(relativeError(g.stats, e.stats) < 1e-5, "running statistics");
    assert.ok(g.stats.some((v) => v !== 0 && v !== 1), "running statistics moved");
  });
});

Deno.test("nb201 supernet output shape, op subsets, and clear errors on bad shapes", async () => {
  await onBackend("cpu", () => {
    const { store, net } = build({ ops: ["skip_connect", "nor_conv_3x3"], numClasses: 7 });
    const y = nb201Forward(net, tf.zeros([2, 12, 12, 3]) as tf.Tensor4D, tf.ones([6, 2]) as tf.Tensor2D, "train");
    assert.deepEqual(y.shape, [2, 7]);
    assert.throws(() => nb201Forward(net, tf.zeros([2, 12, 12, 3]) as tf.Tensor4D, tf.ones([6, 5]) as tf.Tensor2D, "train"), /shape \[6, 2\]/);
    assert.throws(() => nb201Forward(net, tf.zeros([2, 12, 12, 1]) as tf.Tensor4D, tf.ones([6, 2]) as tf.Tensor2D, "train"), /3 channels/);
    assert.throws(() => createNb201Supernet(new ParamStore(), { ops: ["sep_conv_3x3"] }), /unknown NAS-Bench-201 operation/);
    assert.throws(() => createNb201Supernet(new ParamStore(), { channels: 0 }), /positive integer/);
    store.dispose();
  });
});

Deno.test("nb201 supernet: the same seed gives the same weights, another seed others", async () => {
  await onBackend("cpu", () => {
    const a = build({});
    const b = build({});
    const c = { store: new ParamStore(8) };
    createNb201Supernet(c.store, { channels: 4, cellsPerStage: 1 });
    const flat = (s: ParamStore) => s.trainable.flatMap((v) => values(v));
    assert.deepEqual(flat(a.store), flat(b.store));
    assert.notDeepEqual(flat(a.store), flat(c.store));
    [a, b, c].forEach((s) => s.store.dispose());
  });
});
