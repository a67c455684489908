import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  createImdn,
  imdnForward,
  imdnGenotype,
  imdnSize,
  measureImdn,
  pixelShuffle,
} from "../../src/networks/imdn.ts";
import { ParamStore } from "../../src/ops/params.ts";
import { srConvMacsPerPixel, srConvParams } from "../../src/ops/srOps.ts";
import { onBackend } from "../helpers.ts";

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
