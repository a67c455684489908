import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "../../src/runs/checkpoint.ts";
import { onBackend, values } from "../helpers.ts";

Deno.test("checkpoint: tensors and state round-trip bit for bit, written atomically", async () => {
  await onBackend("cpu", async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/ckpt.bin`;
    const a = tf.tensor([Math.PI, -0, 1e-38, 3.4e38, NaN], [5]);
    const b = tf.tensor([[1, -2], [3, 2147483647]], [2, 2], "int32");
    const state = { epoch: 3, rng: [1, 2, 3], note: "héllo" };
    await saveCheckpoint(path, { tensors: { a, b }, state });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["ckpt.bin"], "no temporary file left behind");
    const back = (await loadCheckpoint<typeof state>(path))!;
    assert.deepEqual(back.state, state);
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
    assert.deepEqual(bits(back.tensors.a), bits(a));
    assert.equal(back.tensors.b.dtype, "int32");
    assert.deepEqual(values(back.tensors.b), [1, -2, 3, 2147483647]);
    assert.equal(await loadCheckpoint(`${dir}/none.bin`), undefined);
  });
});

Deno.test("checkpoint: truncated or foreign files are refused with the reason", async () => {
  await onBackend("cpu", () => {
    const bytes = encodeCheckpoint({ tensors: { w: tf.ones([100]) }, state: {} });
    assert.throws(
      () => decodeCheckpoint(bytes.subarray(0, bytes.length - 10), "x.bin"),
      /x.bin is not a valid sadarts checkpoint \(truncated data for "w"\)/,
    );
    assert.throws(() => decodeCheckpoint(bytes.subarray(0, 20), "x.bin"), /truncated header/);
    assert.throws(
      () => decodeCheckpoint(new TextEncoder().encode("PK\x03\x04 not ours at all"), "x.bin"),
      /bad magic/,
    );
  });
});
