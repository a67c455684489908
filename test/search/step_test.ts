import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { benchStep, type StepPreset } from "../../src/cli/bench.ts";
import { withoutWeightGradients } from "../../src/ops/gradientScope.ts";
import { normal, ParamStore } from "../../src/ops/params.ts";
import { crossEntropy } from "../../src/tasks/classification.ts";
import { createNb201Supernet, nb201Forward } from "../../src/supernet/nb201.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

const TINY: Record<string, StepPreset> = {
  nb201: {
    kind: "search",
    space: "nb201",
    model: { channels: 4, cellsPerStage: 1, affine: false, trackRunningStats: true },
    batch: 6,
    size: 8,
    peer: { script: "", args: [] },
  },
  "nb201 pc-darts": {
    kind: "search",
    space: "nb201",
    model: { channels: 4, cellsPerStage: 1, affine: false, trackRunningStats: true },
    partialChannels: 2,
    batch: 6,
    size: 8,
    peer: { script: "", args: [] },
  },
  "pc-darts": {
    kind: "search",
    space: "darts",
    model: { channels: 4, layers: 3 },
    partialChannels: 2,
    batch: 4,
    size: 8,
    peer: { script: "", args: [] },
  },
  // The trainer's step (deno task train) of a small evaluation network, auxiliary head and drop path on.
  "train DARTS_V2": {
    kind: "train",
    genotype: "DARTS_V2",
    channels: 4,
    layers: 3,
    auxiliary: true,
    recompute: false,
    batch: 2,
    size: 32,
    peer: { script: "", args: [] },
  },
};

for (const backend of ["wasm", "cpu"] as const) {
  for (const [name, preset] of Object.entries(TINY)) {
    Deno.test(`${preset.kind} step (${backend}, ${name}): no tensor leaks (tf.memory().numTensors after step 10 = after step 2)`, async () => {
      await onBackend(backend, () => {
        const r = benchStep(preset, 8); // 2 warm-up steps, then 8 counted
        assert.equal(r.leakedTensorsPerStep, 0);
        assert.ok(r.msPerStep > 0 && r.imagesPerSecond > 0);
        // A second run (constant caches now filled) leaves exactly what it found.
        const before = tf.memory().numTensors;
        benchStep(preset, 2);
        assert.equal(tf.memory().numTensors, before, "everything the step created is disposed afterwards");
      });
    });
  }
}

Deno.test("withoutWeightGradients: α gradients unchanged, fused weight gradients are zeros inside", async () => {
  await onBackend("wasm", () => {
    const store = new ParamStore(1);
    const net = createNb201Supernet(store, { channels: 4, cellsPerStage: 1 });
    const alpha = new ParamStore(2).param("alpha", [6, 5], normal(0.1));
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    const y = tf.tensor1d([1, 2, 3, 4], "int32");
    const loss = () => crossEntropy(nb201Forward(net, x, tf.softmax(alpha) as tf.Tensor2D, "train"), y);
    const all = () => tf.variableGrads(loss, [alpha, ...store.trainable]).grads;
    const normal_ = all();
    const hinted = withoutWeightGradients(all);
    assert.ok(relativeError(values(hinted[alpha.name]), values(normal_[alpha.name])) < 1e-5, "α gradient");
    const cellFilter = store.entries().find(([name]) => name.endsWith("nor_conv_3x3.conv.filter"))![1];
    assert.ok(values(normal_[cellFilter.name]).some((v) => v !== 0), "filter gradient normally non-zero");
    assert.ok(
      values(hinted[cellFilter.name]).every((v) => v === 0),
      "filter gradient skipped under the hint",
    );
    store.dispose();
  });
});
