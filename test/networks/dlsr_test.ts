import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { createDlsr, dlsrForward, dlsrSize, measureDlsr } from "../../src/networks/dlsr.ts";
import { DLSR_CANDIDATES, dlsrOpMacsPerPixel, dlsrOpParams } from "../../src/ops/dlsrOps.ts";
import { ParamStore } from "../../src/ops/params.ts";
import { onBackend, relativeError, values } from "../helpers.ts";
import { fill, type Layout, nchw, permuted, TO_OURS } from "../torchTwin.ts";

const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/dlsr.json", import.meta.url)));

/** make_dlsr.py's torch name → ours and the layout. */
const ours = (n: string): [string, Layout] =>
  n.endsWith(".weight")
    ? [n.replace(/\.weight$/, ".filter"), n.includes(".depthwise") ? "depthwise" : "dense"]
    : [n, "vector"];

const TO_TORCH_PERM: Record<Layout, number[] | undefined> = {
  dense: [3, 2, 0, 1],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  vector: undefined,
};

function load(store: ParamStore, params: [string, number[], number, number][]) {
  const vars = new Map(store.entries());
  assert.deepEqual(params.map(([n]) => ours(n)[0]).sort(), [...vars.keys()].sort(), "parameter names");
  for (const [name, shape, center, bound] of params) {
    const [mine, layout] = ours(name);
    vars.get(mine)!.assign(permuted(fill(name, shape, center, bound), TO_OURS[layout]) as tf.Tensor);
  }
  return vars;
}

const nhwc = (t: { shape: number[]; data: number[] }) =>
  tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`DLSR derived network (${backend}): output, L1 loss and every gradient equal PyTorch's`, async () => {
    await onBackend(backend, () => {
      const c = fixture.derived;
      const store = new ParamStore(0);
      const net = createDlsr(store, {
        channels: c.channels,
        blocks: c.blocks,
        cell: c.cell,
        inputs: c.inputs,
      });
      assert.equal(store.size, c.paramCount);
      const vars = load(store, c.params);
      tf.tidy(() => {
        const [x, target] = [nhwc(fixture.input), nhwc(fixture.target)];
        let out: tf.Tensor4D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          out = tf.keep(dlsrForward(net, x, "train"));
          return tf.mean(tf.abs(tf.sub(out, target))) as tf.Scalar;
        }, store.trainable);
        assert.ok(
          relativeError(nchw(out!), c.output) < 1e-5,
          `output ${relativeError(nchw(out!), c.output)}`,
        );
        assert.ok(Math.abs(value.dataSync()[0] - c.loss) < 1e-6, "loss");
        const scale = Math.max(
          ...Object.values(c.paramGrads as Record<string, number[]>).flat().map(Math.abs),
        );
        for (const [n, expected] of Object.entries(c.paramGrads as Record<string, number[]>)) {
          const [mine, layout] = ours(n);
          const got = values(permuted(grads[vars.get(mine)!.name], TO_TORCH_PERM[layout]));
          let diff = 0;
          got.forEach((g, i) => diff = Math.max(diff, Math.abs(g - expected[i])));
          assert.ok(diff / scale < 1e-4, `gradient of ${n}: ${diff / scale}`);
        }
      });
      store.dispose();
    });
  });

  Deno.test(`DLSR supernet (${backend}): mixed ops and input weights, output and their gradients equal PyTorch's`, async () => {
    await onBackend(backend, () => {
      const c = fixture.supernet;
      const store = new ParamStore(0);
      const net = createDlsr(store, { channels: c.channels, blocks: c.blocks, candidates: DLSR_CANDIDATES });
      assert.equal(store.size, c.paramCount);
      load(store, c.params);
      tf.tidy(() => {
        const [x, target] = [nhwc(fixture.input), nhwc(fixture.target)];
        const cell = tf.tensor2d(c.cellWeights, [3, 9]);
        const input = tf.tensor1d(c.inputWeights);
        const loss = (w: tf.Tensor2D, v: tf.Tensor1D) =>
          tf.mean(
            tf.abs(tf.sub(dlsrForward(net, x, "train", { cell: w, inputs: [v] }), target)),
          ) as tf.Scalar;
        const out = dlsrForward(net, x, "train", { cell, inputs: [input] });
        assert.ok(relativeError(nchw(out), c.output) < 1e-5, `output ${relativeError(nchw(out), c.output)}`);
        const [gCell, gInput] = tf.grads((w: tf.Tensor, v: tf.Tensor) =>
          loss(w as tf.Tensor2D, v as tf.Tensor1D)
        )([
          cell,
          input,
        ]);
        assert.ok(
          relativeError(values(gCell), c.cellGrad) < 1e-4,
          `cell ${relativeError(values(gCell), c.cellGrad)}`,
        );
        assert.ok(relativeError(values(gInput), c.inputGrad) < 1e-4, "input weights");
      });
      store.dispose();
    });
  });
}

Deno.test("DLSR ops: parameters and multiply-adds by hand; sizes and bad shapes", async () => {
  await onBackend("cpu", () => {
    const store = new ParamStore(0);
    dlsrOpParams(store, "sep", "sep_conv_5x5", 48); // 2 × (25·48 + 48·48), no bias
    assert.equal(store.size, 2 * (25 * 48 + 48 * 48));
    assert.equal(dlsrOpMacsPerPixel("dil_conv_3x3", 48), 9 * 48 + 48 * 48);
    assert.equal(dlsrOpMacsPerPixel("conv_7x7", 48), 49 * 48 * 48);
    assert.throws(() => dlsrOpParams(store, "x", "conv_2x2", 8), /unknown DLSR op "conv_2x2"/);
    store.dispose();
    const size = measureDlsr({ cell: ["sep_conv_5x5", "sep_conv_5x5", "sep_conv_3x3"] });
    assert.ok(size.parameters > 300e3 && size.parameters < 350e3, `${size.parameters}`);
    const s2 = new ParamStore(0);
    const net = createDlsr(s2, {
      channels: 16,
      blocks: 2,
      cell: ["conv_1x1", "conv_1x1", "conv_1x1"],
      inputs: [],
    });
    assert.ok(dlsrSize(net, 64, 64).multiplyAdds > 0);
    const tiny = tf.zeros([1, 12, 12, 3]) as tf.Tensor4D;
    assert.throws(() => dlsrForward(net, tiny, "eval"), /too small for ESA's 7×7 pooling/);
    tiny.dispose();
    s2.dispose();
  });
  assert.throws(() => measureDlsr({}), /give either a cell .* or candidates/);
  assert.throws(
    () => measureDlsr({ cell: ["conv_1x1", "conv_1x1", "conv_1x1"], inputs: [[0], [5], [0], [0]] }),
    /block 4 reads \[5\]/,
  );
});
