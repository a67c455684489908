import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { setJsKernelsEnabled } from "../../src/backend/kernels/jsKernel.ts";
import { batchNorm } from "../../src/ops/batchNorm.ts";
import { conv, reluConvBn } from "../../src/ops/conv.ts";
import { linear } from "../../src/ops/linear.ts";
import { type Mode, ParamStore } from "../../src/ops/params.ts";
import { avgPool } from "../../src/ops/pool.ts";
import { resNetBlock } from "../../src/ops/resnetBlock.ts";
import { channelShuffle } from "../../src/ops/darts.ts";
import { NB201_EDGES } from "../../src/spaces/nb201.ts";
import { type Candidate, mixedEdge } from "../../src/supernet/mixedEdge.ts";
import {
  createNb201Supernet,
  type Nb201CellParams,
  nb201EdgeSoftmax,
  nb201Forward,
  type Nb201Supernet,
  type Nb201SupernetOptions,
} from "../../src/supernet/nb201.ts";
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

/** Edge k's candidates in `layer` (a cell), written the plain way. */
function candidates(net: Nb201Supernet, params: Nb201CellParams, k: number, mode: Mode): Candidate[] {
  return net.options.ops.map((op) => {
    if (op === "none") return null;
    if (op === "skip_connect") return (v) => v;
    if (op === "avg_pool_3x3") return (v) => avgPool(v);
    return (v) => reluConvBn(params.edges[k][op]!, v, mode);
  });
}

/**
 * The supernet with each cell node the plain sum of its edges, `edge(params, k, source)` computing edge
 * k's output from its source node.
 */
function plainForward(
  net: Nb201Supernet,
  x: tf.Tensor4D,
  mode: Mode,
  edge: (params: Nb201CellParams, k: number, source: tf.Tensor4D) => tf.Tensor4D,
): tf.Tensor2D {
  let h = batchNorm(net.stem.bn, conv(net.stem.conv, x), mode);
  for (const layer of net.layers) {
    if (layer.kind === "reduction") {
      h = resNetBlock(layer.params, h, mode);
      continue;
    }
    const nodes = [h];
    for (let i = 1; i < 4; i++) {
      const edges = NB201_EDGES.flatMap((e, k) => e.to === i ? [edge(layer.params, k, nodes[e.from])] : []);
      nodes.push(tf.addN(edges) as tf.Tensor4D);
    }
    h = nodes[3];
  }
  h = tf.relu(batchNorm(net.head.bn, h, mode));
  return linear(net.head.fc, tf.mean(h, [1, 2]) as tf.Tensor2D);
}

/**
 * The supernet written the plain way: every mixed edge on its own, no fused kernels. (Not stock
 * tf.avgPool: its gradient divides by 9 at the borders where its forward divides by the valid count.)
 */
function referenceForward(net: Nb201Supernet, x: tf.Tensor4D, weights: tf.Tensor2D, mode: Mode): tf.Tensor2D {
  const rows = tf.unstack(weights) as tf.Tensor1D[];
  return plainForward(
    net,
    x,
    mode,
    (params, k, src) => mixedEdge(candidates(net, params, k, mode), src, rows[k]),
  );
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`nb201 supernet (${backend}) equals the edge-by-edge definition: logits, α and w gradients, running stats`, async () => {
    await onBackend(backend, () => {
      const x = tf.randomNormal([3, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const alpha = tf.randomNormal([6, 5], 0, 1, "float32", 2) as tf.Tensor2D;
      const run = (forward: typeof nb201Forward) => {
        const { store, net } = build({});
        const loss = () =>
          tf.sum(tf.square(forward(net, x, tf.softmax(alpha) as tf.Tensor2D, "train"))) as tf.Scalar;
        const alphaGrad = tf.grad((a: tf.Tensor) =>
          tf.sum(tf.square(forward(net, x, tf.softmax(a) as tf.Tensor2D, "train")))
        )(alpha);
        const { grads } = tf.variableGrads(loss, store.trainable);
        const logitsEval = forward(net, x, tf.softmax(alpha) as tf.Tensor2D, "eval");
        const out = {
          alphaGrad: values(alphaGrad),
          wGrad: store.trainable.flatMap((v) => values(grads[v.name])),
          eval: values(logitsEval),
          stats: store.entries().filter(([n]) => n.includes("running")).flatMap(([, v]) => values(v)),
        };
        store.dispose();
        return out;
      };
      const ours = run(nb201Forward);
      setJsKernelsEnabled(false);
      const ref = run(referenceForward);
      setJsKernelsEnabled(true);
      assert.ok(
        relativeError(ours.alphaGrad, ref.alphaGrad) < 1e-4,
        `α gradient: ${ours.alphaGrad} vs ${ref.alphaGrad}`,
      );
      assert.ok(relativeError(ours.wGrad, ref.wGrad) < 1e-4, "weight gradients");
      assert.ok(relativeError(ours.eval, ref.eval) < 1e-4, "eval-mode logits (running statistics)");
      assert.ok(relativeError(ours.stats, ref.stats) < 1e-5, "running statistics");
      assert.ok(ours.stats.some((v) => v !== 0 && v !== 1), "running statistics moved");
    });
  });
}

Deno.test("nb201 supernet output shape, op subsets, and clear errors on bad shapes", async () => {
  await onBackend("cpu", () => {
    const { store, net } = build({ ops: ["skip_connect", "nor_conv_3x3"], numClasses: 7 });
    const y = nb201Forward(
      net,
      tf.zeros([2, 12, 12, 3]) as tf.Tensor4D,
      tf.ones([6, 2]) as tf.Tensor2D,
      "train",
    );
    assert.deepEqual(y.shape, [2, 7]);
    assert.throws(
      () =>
        nb201Forward(net, tf.zeros([2, 12, 12, 3]) as tf.Tensor4D, tf.ones([6, 5]) as tf.Tensor2D, "train"),
      /shape \[6, 2\]/,
    );
    assert.throws(
      () =>
        nb201Forward(net, tf.zeros([2, 12, 12, 1]) as tf.Tensor4D, tf.ones([6, 2]) as tf.Tensor2D, "train"),
      /3 channels/,
    );
    assert.throws(
      () => createNb201Supernet(new ParamStore(), { ops: ["sep_conv_3x3"] }),
      /unknown NAS-Bench-201 operation/,
    );
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

/**
 * PC-DARTS on NB201 written edge by edge, as PC-DARTS' MixedOp: each edge splits its source into the
 * first C/K channels (through the ops) and the rest, concatenates and shuffles, and the node sums its
 * edges times their per-node softmax of β — a shuffle per edge, where the supernet shuffles once per node.
 */
function referencePcForward(
  net: Nb201Supernet,
  x: tf.Tensor4D,
  weights: tf.Tensor2D,
  mode: Mode,
  edgeWeights?: tf.Tensor1D,
): tf.Tensor2D {
  const K = net.options.partialChannels;
  const rows = tf.unstack(weights) as tf.Tensor1D[];
  const e = tf.unstack(edgeWeights!) as tf.Scalar[];
  return plainForward(net, x, mode, (params, k, src) => {
    const c = src.shape[3];
    const [part, rest] = tf.split(src, [c / K, c - c / K], 3) as tf.Tensor4D[];
    const mixed = mixedEdge(candidates(net, params, k, mode), part, rows[k]);
    return tf.mul(channelShuffle(tf.concat([mixed, rest], 3), K), e[k]) as tf.Tensor4D;
  });
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`nb201 supernet with partial channels K=2 (${backend}) equals PC-DARTS' edge-by-edge definition: logits, α, β and w gradients`, async () => {
    await onBackend(backend, () => {
      const x = tf.randomNormal([3, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const alpha = tf.randomNormal([6, 5], 0, 1, "float32", 2) as tf.Tensor2D;
      const beta = tf.randomNormal([6], 0, 1, "float32", 3) as tf.Tensor1D;
      const run = (forward: typeof nb201Forward) => {
        const { store, net } = build({ partialChannels: 2 });
        const logits = (a: tf.Tensor, b: tf.Tensor) =>
          forward(net, x, tf.softmax(a) as tf.Tensor2D, "train", nb201EdgeSoftmax(b as tf.Tensor1D));
        const [da, db] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(logits(a, b))))([
          alpha,
          beta,
        ]);
        const { grads } = tf.variableGrads(
          () => tf.sum(tf.square(logits(alpha, beta))) as tf.Scalar,
          store.trainable,
        );
        const out = {
          alphaGrad: values(da),
          betaGrad: values(db),
          wGrad: store.trainable.flatMap((v) => values(grads[v.name])),
          logits: values(logits(alpha, beta)),
        };
        store.dispose();
        return out;
      };
      const ours = run(nb201Forward);
      setJsKernelsEnabled(false);
      const ref = run(referencePcForward);
      setJsKernelsEnabled(true);
      for (const k of ["alphaGrad", "betaGrad", "wGrad", "logits"] as const) {
        assert.ok(relativeError(ours[k], ref[k]) < 1e-4, `${k}: ${relativeError(ours[k], ref[k])}`);
      }
      // β of node 1's only edge gets no gradient (its softmax is always 1); the others do.
      assert.equal(ours.betaGrad[0], 0);
      assert.ok(ours.betaGrad.slice(1).every((g) => g !== 0));
    });
  });
}

Deno.test("nb201 supernet: partial channels refuse a K that does not divide C, and missing or stray edge weights", async () => {
  await onBackend("cpu", () => {
    assert.throws(
      () => build({ partialChannels: 3 }),
      /partialChannels \(PC-DARTS' K\) 3 must divide the 4 channels/,
    );
    const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.fill([6, 5], 0.2) as tf.Tensor2D;
    const pc = build({ partialChannels: 2 });
    assert.throws(() => nb201Forward(pc.net, x, w, "eval"), /needs edge weights/);
    pc.store.dispose();
    const plain = build({});
    assert.throws(() => nb201Forward(plain.net, x, w, "eval", tf.ones([6])), /partialChannels is 1/);
    plain.store.dispose();
  });
});
