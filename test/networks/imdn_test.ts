import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  createImdn,
  imdnForward,
  imdnGenotype,
  imdnPositions,
  imdnSize,
  measureImdn,
  pixelShuffle,
} from "../../src/networks/imdn.ts";
import { ParamStore } from "../../src/ops/params.ts";
import { IMDN_CANDIDATES, srConvMacsPerPixel, srConvParams } from "../../src/ops/srOps.ts";
import { onBackend, relativeError, values } from "../helpers.ts";
import { fill, type Layout, nchw, permuted, TO_OURS } from "../torchTwin.ts";

const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/imdn.json", import.meta.url)));

/** A torch name of make_imdn.py → our variable's name and the tensor's layout. */
function ours(torchName: string): [string, Layout] {
  const name = torchName.replace(/^blocks\.(\d+)\./, "block$1.");
  if (/\.bn\./.test(name)) {
    const field = { weight: "gamma", bias: "beta", running_mean: "runningMean", running_var: "runningVar" };
    return [
      name.replace(
        /\.(weight|bias|running_mean|running_var)$/,
        (_, f) => `.${field[f as keyof typeof field]}`,
      ),
      "vector",
    ];
  }
  if (name.endsWith(".weight")) {
    return [name.replace(/\.weight$/, ".filter"), name.includes(".depthwise.") ? "depthwise" : "dense"];
  }
  return [name, "vector"];
}

Deno.test("IMDN x2: 694,404 parameters and 158.77G multiply-adds at 1280×720, IMDN's published 694K / 158.8G", () =>
  onBackend("cpu", () => {
    // By hand: head 3·64·9 + 64 = 1,792; per block c1 36,928 + c2 27,712 + c3 27,712 + c4 (48·16·9 + 16) 6,928
    // + CCA 260 + 320 + c5 4,160 = 104,020, six of them 624,120; merge 384·64 + 64 = 24,640; body 36,928;
    // tail 64·12·9 + 12 = 6,924.
    const x2 = measureImdn();
    assert.equal(x2.parameters, 1792 + 6 * 104020 + 24640 + 36928 + 6924);
    assert.equal(x2.parameters, 694404);
    // Per input pixel (640×360 of them): 1,728 + 6·(36,864 + 27,648 + 27,648 + 6,912 + 4,096) + 24,576 + 36,864
    // + 6,912 = 689,088, plus the CCA's 2·256 per block on the 1×1 statistics.
    assert.equal(x2.multiplyAdds, 689088 * 640 * 360 + 6 * 512);
    assert.ok(Math.abs(x2.multiplyAdds / 1e9 - 158.8) < 0.05);
  }));

Deno.test("IMDN: the paper's Table 3 figures for IMDN (715.18 / 654.53) are the x4 model's, on a 1280×720 input", () =>
  onBackend("cpu", () => {
    const x4 = measureImdn({ scale: 4 });
    assert.equal(x4.parameters, 715176); // 715.18K: the tail makes 48 channels for a 4×4 shuffle
    const atInput = measureImdn({ scale: 4 }, 1280 * 4, 720 * 4);
    assert.ok(
      Math.abs(atInput.multiplyAdds / 1e9 - 654.53) / 654.53 < 0.001,
      `${atInput.multiplyAdds / 1e9}G`,
    );
  }));

Deno.test("SR candidates: parameters and multiply-adds of a separable and a dilated op by hand", () =>
  onBackend("cpu", () => {
    const store = new ParamStore(0);
    srConvParams(store, "sep", "sep_conv_3x3", 64, 64); // dw 9·64 + 64, pw 64·64 + 64
    assert.equal(store.size, 640 + 4160);
    srConvParams(store, "dil", "dil_conv_5x5_bn", 48, 16); // dw 25·48 + 48, pw 48·16 (no bias), BN 2·16
    assert.equal(store.size, 640 + 4160 + 1248 + 768 + 32);
    assert.equal(srConvMacsPerPixel("dil_conv_5x5_bn", 48, 16), 25 * 48 + 48 * 16);
    assert.equal(srConvMacsPerPixel("conv_5x5", 48, 64), 25 * 48 * 64);
    assert.throws(
      () => srConvParams(store, "x", "conv_7x7", 4, 4),
      /unknown SR convolution "conv_7x7": choose from conv_3x3/,
    );
    store.dispose();
  }));

Deno.test("pixelShuffle: PyTorch's channel order (c·s² + i·s + j → pixel (i, j) of channel c)", async () => {
  await onBackend("cpu", () => {
    const x = tf.tensor4d([0, 1, 2, 3, 10, 11, 12, 13], [1, 1, 1, 8]);
    const y = pixelShuffle(x, 2);
    assert.deepEqual(y.shape, [1, 2, 2, 2]);
    assert.deepEqual([...y.dataSync()], [0, 10, 1, 11, 2, 12, 3, 13]);
    tf.dispose([x, y]);
  });
});

Deno.test("IMDN-space network: any genotype builds and upscales, without leaking tensors; bad genotypes refused", async () => {
  await onBackend("wasm", () => {
    const store = new ParamStore(3);
    const genotype = imdnGenotype(2);
    genotype[1] = ["sep_conv_5x5", "dil_conv_3x3_bn", "conv_5x5_bn", "sep_conv_3x3_bn"];
    const net = createImdn(store, { channels: 16, blocks: 2, genotype });
    const x = tf.randomUniform([2, 9, 7, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = imdnForward(net, x, "train");
    assert.deepEqual(y.shape, [2, 18, 14, 3]);
    y.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.ok(imdnSize(net).parameters === store.size);
    tf.dispose(x);
    store.dispose();
  });
  // Other widths and rates, as IMDN computes them: d = ⌊C · rate⌋, the CCA and c5 over the 4·d kept channels.
  await onBackend("cpu", () => {
    const store = new ParamStore(0);
    const net = createImdn(store, { channels: 20, blocks: 1, distillationRate: 0.2 });
    assert.deepEqual([
      net.distilled,
      net.blocks[0].cca.down.filter.shape[2],
      net.blocks[0].fuse.filter.shape[3],
    ], [4, 16, 20]);
    const x = tf.zeros([1, 6, 6, 3]) as tf.Tensor4D;
    const y = imdnForward(net, x, "eval");
    assert.deepEqual(y.shape, [1, 12, 12, 3]);
    tf.dispose([x, y]);
    store.dispose();
    assert.ok(measureImdn({ channels: 50 }).parameters > 0);
  });
  assert.throws(
    () => measureImdn({ blocks: 2, genotype: imdnGenotype(6) }),
    /the genotype has 6 blocks, the network 2/,
  );
  assert.throws(
    () => measureImdn({ genotype: [["conv_3x3", "conv_3x3", "conv_3x3"] as never, ...imdnGenotype(5)] }),
    /block 0 of the genotype has 3 ops, not 4/,
  );
  assert.throws(
    () => measureImdn({ genotype: [["conv_3x3", "conv_3x3", "conv_3x3", "max_pool"], ...imdnGenotype(5)] }),
    /unknown SR convolution "max_pool"/,
  );
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`IMDN-space network (${backend}): output, L1 loss, every gradient, BN statistics and eval output equal PyTorch's`, async () => {
    await onBackend(backend, () => {
      const c = fixture;
      const store = new ParamStore(0);
      const net = createImdn(store, {
        channels: c.channels,
        blocks: c.genotype.length,
        scale: c.scale,
        genotype: c.genotype,
      });
      assert.equal(store.size, c.paramCount, "parameter count");
      const vars = new Map(store.entries());
      assert.deepEqual(
        c.params.map(([n]: [string]) => ours(n)[0]).sort(),
        store.trainable.map((v) => [...vars].find(([, w]) => w === v)![0]).sort(),
        "parameter names",
      );
      // Float64 references, float32 here: 10× PyTorch's own float32 error, at least 1e-5.
      const tol = Math.max(1e-5, 10 * Math.max(c.torchFloat32Error.output, c.torchFloat32Error.gradients));
      tf.tidy(() => {
        for (const [name, shape, center, bound] of c.params) {
          const [mine, layout] = ours(name);
          vars.get(mine)!.assign(permuted(fill(name, shape, center, bound), TO_OURS[layout]) as tf.Tensor);
        }
        const x = tf.transpose(tf.tensor4d(c.input.data, c.input.shape), [0, 2, 3, 1]) as tf.Tensor4D;
        const target = tf.transpose(tf.tensor4d(c.target.data, c.target.shape), [0, 2, 3, 1]) as tf.Tensor4D;
        let out: tf.Tensor4D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          out = tf.keep(imdnForward(net, x, "train"));
          return tf.mean(tf.abs(tf.sub(out, target))) as tf.Scalar;
        }, store.trainable);
        const rel = (a: number[], b: number[], floor = 0) => {
          let diff = 0, scale = floor;
          for (let i = 0; i < b.length; i++) {
            [diff, scale] = [Math.max(diff, Math.abs(a[i] - b[i])), Math.max(scale, Math.abs(b[i]))];
          }
          return diff / scale;
        };
        assert.ok(rel(nchw(out!), c.output) < tol, `output: ${rel(nchw(out!), c.output)}`);
        assert.ok(Math.abs(value.dataSync()[0] - c.loss) / c.loss < tol, "loss");
        // A gradient that is 0 in exact arithmetic (a bias in front of a BN) is measured against 1e-3 of
        // the largest gradient, as make_imdn.py measures PyTorch's float32 error.
        const gradOf = (torchName: string) => {
          const [mine, layout] = ours(torchName);
          const perm = layout === "dense" ? [3, 2, 0, 1] : layout === "depthwise" ? [2, 3, 0, 1] : undefined;
          return values(permuted(grads[vars.get(mine)!.name], perm));
        };
        const floor = 1e-3 *
          Math.max(
            ...Object.values(c.paramGrads as Record<string, number[]>).map((g) =>
              Math.max(...g.map(Math.abs))
            ),
          );
        for (const [n, expected] of Object.entries(c.paramGrads as Record<string, number[]>)) {
          const err = rel(gradOf(n), expected, floor);
          assert.ok(err < tol, `gradient of ${n}: ${err}`);
        }
        for (const [n, expected] of Object.entries(c.buffers as Record<string, number[]>)) {
          assert.ok(rel(values(vars.get(ours(n)[0])!), expected) < tol, `${n} after the forward`);
        }
        const evalOut = nchw(imdnForward(net, x, "eval"));
        assert.ok(rel(evalOut, c.evalOutput) < tol, `eval output: ${rel(evalOut, c.evalOutput)}`);
      });
      store.dispose();
    });
  });
}

Deno.test("IMDN supernet: one-hot op weights give the derived network's output; the weights get gradients", async () => {
  await onBackend("wasm", () => {
    const genotype = [["sep_conv_3x3", "conv_5x5_bn", "dil_conv_3x3", "conv_3x3"]] as const;
    const [superStore, derivedStore] = [new ParamStore(5), new ParamStore(9)];
    const supernet = createImdn(superStore, { channels: 16, blocks: 1, candidates: IMDN_CANDIDATES });
    const derived = createImdn(derivedStore, { channels: 16, blocks: 1, genotype });
    assert.deepEqual(imdnPositions(1), ["block0.c1", "block0.c2", "block0.c3", "block0.c4"]);
    // The derived network takes the supernet's weights of the chosen ops (block0.cI.<op>.… → block0.cI.…).
    const byName = new Map(superStore.entries());
    for (const [name, v] of derivedStore.entries()) {
      const m = /^block0\.c([1-4])\.(.*)$/.exec(name);
      const from = m ? `block0.c${m[1]}.${genotype[0][Number(m[1]) - 1]}.${m[2]}` : name;
      v.assign(byName.get(from)!);
    }
    const x = tf.randomUniform([2, 8, 6, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const oneHot = tf.tensor2d(genotype[0].map((op) => IMDN_CANDIDATES.map((c) => (c === op ? 1 : 0))));
    const mixed = imdnForward(supernet, x, "train", oneHot);
    const plain = imdnForward(derived, x, "train");
    assert.ok(relativeError(values(mixed), values(plain)) < 1e-5);
    const grad = tf.grad((w: tf.Tensor) => tf.mean(imdnForward(supernet, x, "train", w as tf.Tensor2D)))(
      oneHot,
    );
    assert.deepEqual(grad.shape, [4, 12]);
    assert.ok(values(grad).every(Number.isFinite) && values(grad).some((g) => g !== 0));
    const before = tf.memory().numTensors;
    imdnForward(supernet, x, "eval", oneHot).dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(
      () => imdnForward(supernet, x, "eval"),
      /op weights must be \[4, 12\] \(positions × candidates\), got none/,
    );
    assert.throws(() => imdnForward(derived, x, "eval", oneHot), /a derived network takes no op weights/);
    assert.ok(imdnSize(supernet).parameters > 5 * imdnSize(derived).parameters);
    tf.dispose([x, oneHot, mixed, plain, grad]);
    superStore.dispose();
    derivedStore.dispose();
  });
  assert.throws(() => measureImdn({ genotype: imdnGenotype(6), candidates: IMDN_CANDIDATES }), /not both/);
});
