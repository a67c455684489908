import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  checkAuxiliaryInput,
  createDartsNetwork,
  type DartsNetwork,
  dartsNetwork,
  dropPath,
  measureDartsNetwork,
} from "../../src/networks/darts.ts";
import { ParamStore } from "../../src/ops/params.ts";
import { sgd } from "../../src/search/optimizers.ts";
import { DARTS_GENOTYPES, dartsGenotypeByName } from "../../src/spaces/darts.ts";
import { crossEntropy } from "../../src/tasks/classification.ts";
import { onBackend, values } from "../helpers.ts";
import {
  bnNames,
  checkClose,
  dartsOpNames,
  factorizedReduceNames,
  fill,
  type Layout,
  type Named,
  permuted,
  present,
  reluConvBnNames,
  TO_OURS,
  TO_TORCH,
} from "../torchTwin.ts";

interface SizeCase {
  genotype: "DARTS_V1" | "DARTS_V2" | "PC_DARTS";
  dataset: "cifar" | "imagenet";
  channels: number;
  layers: number;
  numClasses: number;
  parameters: number;
  auxiliaryParameters: number;
  image: number;
  multiplyAdds: number;
}

interface StepCase {
  genotype: "DARTS_V2";
  channels: number;
  layers: number;
  numClasses: number;
  params: [string, number[], number, number][];
  paramCount: number;
  input: { shape: number[]; data: number[] };
  labels: number[];
  loss: number;
  logits: number[];
  auxLogits: number[];
  gradNorm: number;
  prefix: number;
  paramGrads: Record<string, number[]>;
  buffers: Record<string, number[]>;
  stepped: Record<string, number[]>;
  evalLogits: number[];
  /** How far PyTorch's own float32 run of the step is from its float64 one (max relative error). */
  torchFloat32Error: { logits: number; gradients: number };
}

const fixture: { sizes: SizeCase[]; step: StepCase } = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/darts_network.json", import.meta.url)),
);

Deno.test("DARTS evaluation networks: parameters (DARTS' count, auxiliary head apart) and multiply-adds equal PyTorch's", async () => {
  await onBackend("cpu", () => {
    for (const s of fixture.sizes) {
      const size = measureDartsNetwork(DARTS_GENOTYPES[s.genotype], {
        dataset: s.dataset,
        channels: s.channels,
        layers: s.layers,
        numClasses: s.numClasses,
      });
      const what = `${s.genotype} ${s.dataset} C=${s.channels} ${s.layers} cells`;
      assert.equal(size.parameters, s.parameters, `${what}: parameters`);
      assert.equal(size.auxiliaryParameters, s.auxiliaryParameters, `${what}: auxiliary parameters`);
      assert.equal(size.multiplyAdds, s.multiplyAdds, `${what}: multiply-adds`);
    }
    // What DARTS' train.py prints for DARTS_V2 ("param size = 3.349342MB") and PC-DARTS' 3.63M.
    assert.equal(fixture.sizes[1].parameters, 3_349_342);
    assert.equal(Math.round(fixture.sizes[2].parameters / 1e4), 363);
  });
});

/** Our variable for each state_dict name of model.py's network (which also checks the structure). */
function torchNames(net: DartsNetwork): Record<string, [tf.Variable, Layout]> {
  const [stem] = net.stems;
  let names: Named = {
    "stem.0.weight": [stem[0].conv.filter, "dense"],
    ...bnNames("stem.1", stem[0].bn!),
    "classifier.weight": [net.classifier.kernel, "linear"],
    "classifier.bias": [net.classifier.bias, "vector"],
  };
  const aux = net.auxiliary!;
  names = {
    ...names,
    "auxiliary_head.features.2.weight": [aux.layers[0].conv.filter, "dense"],
    ...bnNames("auxiliary_head.features.3", aux.layers[0].bn!),
    "auxiliary_head.features.5.weight": [aux.layers[1].conv.filter, "dense"],
    ...bnNames("auxiliary_head.features.6", aux.layers[1].bn!),
    "auxiliary_head.classifier.weight": [aux.classifier.kernel, "linear"],
    "auxiliary_head.classifier.bias": [aux.classifier.bias, "vector"],
  };
  net.cells.forEach((cell, i) => {
    const c = `cells.${i}`;
    const pre = cell.preprocess0;
    names = {
      ...names,
      ...(pre.kind === "factorizedReduce"
        ? factorizedReduceNames(`${c}.preprocess0`, pre.params)
        : reluConvBnNames(`${c}.preprocess0`, pre.params)),
      ...reluConvBnNames(`${c}.preprocess1`, cell.preprocess1),
    };
    cell.ops.forEach((o, k) => {
      if (o.params) names = { ...names, ...dartsOpNames(`${c}._ops.${k}`, o.params) };
    });
  });
  return present(names);
}

/** The first `n` values of a tensor in torch's layout. */
function head(v: tf.Tensor, layout: Layout, n: number): number[] {
  return values(permuted(v, TO_TORCH[layout])).slice(0, n);
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`DARTS network training step (${backend}): loss, logits, gradients, BN statistics, the SGD step and eval logits equal PyTorch's`, async () => {
    await onBackend(backend, () => {
      const c = fixture.step;
      const store = new ParamStore(0);
      const net = createDartsNetwork(store, DARTS_GENOTYPES[c.genotype], {
        channels: c.channels,
        layers: c.layers,
        numClasses: c.numClasses,
      });
      assert.equal(store.size, c.paramCount, "parameter count");
      const names = torchNames(net);
      const params = Object.keys(names).filter((n) => !n.includes(".running_")).sort();
      assert.deepEqual(params, c.params.map(([n]) => n).sort(), "parameter names");
      // Float64 references, float32 here: batch statistics over 2 images make the gradients ill-conditioned
      // (PyTorch's own float32 run is up to ~1e-3 off): twice PyTorch's error, at least 1e-4.
      const tol = Math.max(1e-4, 2 * Math.max(c.torchFloat32Error.logits, c.torchFloat32Error.gradients));
      tf.tidy(() => {
        for (const [name, shape, center, bound] of c.params) {
          const [v, layout] = names[name];
          v.assign(permuted(fill(name, shape, center, bound), TO_OURS[layout]) as tf.Tensor);
        }
        const x = tf.transpose(tf.tensor4d(c.input.data, c.input.shape as [number, number, number, number]), [
          0,
          2,
          3,
          1,
        ]);
        const labels = tf.tensor1d(c.labels, "int32");
        let logits: tf.Tensor | undefined, auxLogits: tf.Tensor | undefined;
        const vars = store.trainable;
        const { value, grads } = tf.variableGrads(() => {
          const out = dartsNetwork(net, x, { mode: "train" });
          logits = tf.keep(out.logits);
          auxLogits = tf.keep(out.auxLogits!);
          return tf.add(
            crossEntropy(out.logits, labels),
            tf.mul(crossEntropy(out.auxLogits!, labels), 0.4),
          ) as tf.Scalar;
        }, vars);
        checkClose([value.dataSync()[0]], [c.loss], "loss", tol);
        checkClose(values(logits!), c.logits, "logits", tol);
        checkClose(values(auxLogits!), c.auxLogits, "auxiliary logits", tol);
        for (const [n, expected] of Object.entries(c.paramGrads)) {
          const [v, layout] = names[n];
          checkClose(head(grads[v.name], layout, c.prefix), expected, `gradient of ${n}`, tol);
        }
        for (const [n, expected] of Object.entries(c.buffers)) {
          checkClose(head(names[n][0], "vector", c.prefix), expected, `${n} after the forward`, tol);
        }
        const opt = sgd(vars, { lr: 0.025, momentum: 0.9, weightDecay: 3e-4 });
        opt.step(vars.map((v) => grads[v.name]), { maxGradNorm: 5 });
        for (const [n, expected] of Object.entries(c.stepped)) {
          const [v, layout] = names[n];
          checkClose(head(v, layout, c.prefix), expected, `${n} after one SGD step`, tol);
        }
        opt.dispose();
        checkClose(values(dartsNetwork(net, x, { mode: "eval" }).logits), c.evalLogits, "eval logits", tol);
      });
      store.dispose();
    });
  });
}

Deno.test("dropPath: each image kept whole (scaled by 1 / keep) or zeroed, seeded", async () => {
  await onBackend("cpu", () => {
    tf.tidy(() => {
      const x = tf.add(tf.randomUniform([400, 2, 2, 3], 0, 1, "float32", 1), 0.5) as tf.Tensor4D;
      const y = values(dropPath(x, 0.25, 7));
      const xs = values(x);
      let kept = 0;
      for (let i = 0; i < 400; i++) {
        const ratios = Array.from({ length: 12 }, (_, j) => y[i * 12 + j] / xs[i * 12 + j]);
        const zero = ratios.every((r) => r === 0);
        assert.ok(zero || ratios.every((r) => Math.abs(r - 1 / 0.75) < 1e-6), `image ${i}: ${ratios}`);
        if (!zero) kept++;
      }
      assert.ok(kept > 260 && kept < 340, `${kept} of 400 kept at keep = 0.75`);
      assert.deepEqual(values(dropPath(x, 0.25, 7)), y, "the same seed, the same masks");
      assert.notDeepEqual(values(dropPath(x, 0.25, 8)), y, "another seed, other masks");
    });
  });
});

Deno.test("DARTS network: drop path in train mode only; noise ops (S4) draw from the pass's seed, which they require", async () => {
  await onBackend("cpu", () => {
    const store = new ParamStore(1);
    const net = createDartsNetwork(store, DARTS_GENOTYPES.DARTS_V2, {
      channels: 4,
      layers: 3,
      auxiliary: false,
    });
    const g = DARTS_GENOTYPES.DARTS_V2;
    const noisyStore = new ParamStore(1);
    const noisy = createDartsNetwork(noisyStore, { ...g, normal: [["noise", 0], ...g.normal.slice(1)] }, {
      channels: 4,
      layers: 3,
      auxiliary: false,
    });
    tf.tidy(() => {
      const x = tf.randomNormal([4, 16, 16, 3], 0, 1, "float32", 3) as tf.Tensor4D;
      const run = (prob: number, seed: number, mode: "train" | "eval" = "train") =>
        values(dartsNetwork(net, x, { mode, dropPath: { prob, seed } }).logits);
      assert.notDeepEqual(run(0.3, 7), run(0, 0));
      assert.deepEqual(run(0.3, 7, "eval"), run(0, 0, "eval"), "no drop path in eval mode");
      assert.throws(
        () => dartsNetwork(noisy, x, { mode: "eval" }),
        /cell 0 has a noise op \(pair 0\): pass noiseSeed/,
      );
      const noise = (seed: number) =>
        values(dartsNetwork(noisy, x, { mode: "eval", noiseSeed: seed }).logits);
      assert.deepEqual(noise(5), noise(5));
      assert.notDeepEqual(noise(5), noise(6), "fresh noise for another pass's seed");
    });
    store.dispose();
    noisyStore.dispose();
  });
});

Deno.test("DARTS network: the ImageNet network's stems, auxiliary head and classifier; bad input refused", async () => {
  await onBackend("cpu", () => {
    const store = new ParamStore(0);
    const net = createDartsNetwork(store, DARTS_GENOTYPES.DARTS_V2, {
      dataset: "imagenet",
      channels: 8,
      layers: 3,
      numClasses: 5,
    });
    tf.tidy(() => {
      // 224 → 28 after the stems, 7 × 7 at the auxiliary head (cell 2, after both reductions).
      const x = tf.randomNormal([2, 224, 224, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const out = dartsNetwork(net, x, { mode: "train" });
      assert.deepEqual(out.logits.shape, [2, 5]);
      assert.deepEqual(out.auxLogits!.shape, [2, 5]);
      assert.equal(dartsNetwork(net, x, { mode: "eval" }).auxLogits, undefined);
    });
    store.dispose();
    const g = dartsGenotypeByName("DARTS_V2");
    assert.throws(
      () => createDartsNetwork(new ParamStore(0), g, { channels: 0 }),
      /channels must be a positive integer, got 0/,
    );
    assert.throws(
      () => createDartsNetwork(new ParamStore(0), g, { dataset: "svhn" as "cifar" }),
      /dataset must be "cifar" or "imagenet"/,
    );
    assert.throws(
      () => createDartsNetwork(new ParamStore(0), g, { dataset: "imagenet", channels: 7 }),
      /must be even, got 7/,
    );
    const pair0 = (gene: [string, number]) => ({ ...g, normal: [gene, ...g.normal.slice(1)] });
    assert.throws(
      () => createDartsNetwork(new ParamStore(0), pair0(["sep_conv_3x3", 9])),
      /pair 0 \(node 0\): input 9 is out of range/,
    );
    assert.throws(
      () => createDartsNetwork(new ParamStore(0), pair0(["conv_9x9", 0])),
      /unknown op "conv_9x9"/,
    );
  });
});

Deno.test("DARTS network: recomputed cells give the stored pass's gradients; a training pass leaks no tensor", async () => {
  await onBackend("wasm", () => {
    const grads = (recompute: boolean) => {
      const store = new ParamStore(2);
      const net = createDartsNetwork(store, DARTS_GENOTYPES.PC_DARTS, { channels: 4, layers: 3, recompute });
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 5) as tf.Tensor4D;
      const labels = tf.tensor1d([1, 4], "int32");
      const pass = () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const o = dartsNetwork(net, x, { mode: "train", dropPath: { prob: 0.2, seed: 9 } });
            return tf.add(
              crossEntropy(o.logits, labels),
              tf.mul(crossEntropy(o.auxLogits!, labels), 0.4),
            ) as tf.Scalar;
          }, store.trainable);
          return store.trainable.map((v) => values(grads[v.name]));
        });
      // The first pass creates the poolings' cached constants; the second must leave nothing behind.
      pass();
      const before = tf.memory().numTensors;
      const out = pass();
      assert.equal(tf.memory().numTensors, before, "tensors left after the pass");
      tf.dispose([x, labels]);
      store.dispose();
      return out;
    };
    const stored = grads(false), again = grads(true);
    stored.forEach((g, i) => checkClose(again[i], g, `gradient ${i}`, 1e-4));
  });
});

Deno.test("DARTS network: the auxiliary head's input size is checked, naming the fix", async () => {
  await onBackend("cpu", () => {
    const store = new ParamStore(0);
    const net = createDartsNetwork(store, DARTS_GENOTYPES.DARTS_V2, { channels: 4, layers: 8 });
    assert.throws(
      () => checkAuxiliaryInput(net, 16, 16),
      /needs 8–10-pixel maps at cell 5 \(32x32 inputs\), but 16x16 inputs give 4x4 there: turn it off/,
    );
    checkAuxiliaryInput(net, 32, 32);
    checkAuxiliaryInput(net, 40, 40); // 10x10 at the head still pools to 2x2
    assert.throws(() => checkAuxiliaryInput(net, 48, 48), /give 12x12 there/);
    store.dispose();
  });
});
