import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  writeFileAtomic,
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

Deno.test("checkpoint: truncated, damaged or foreign files are refused with the reason and what to do", async () => {
  await onBackend("cpu", () => {
    const bytes = encodeCheckpoint({ tensors: { w: tf.ones([100]) }, state: { epoch: 1 } });
    assert.throws(
      () => decodeCheckpoint(bytes.subarray(0, bytes.length - 10), "x.bin"),
      /x.bin is truncated \(\d+ of \d+ bytes\): delete it to restart from scratch or restore a copy/,
    );
    assert.throws(() => decodeCheckpoint(bytes.subarray(0, 20), "x.bin"), /x.bin is (damaged|truncated)/);
    for (const at of [12, 30, bytes.length - 200, bytes.length - 1]) {
      const damaged = bytes.slice();
      damaged[at] ^= 0x01;
      assert.throws(
        () => decodeCheckpoint(damaged, "x.bin"),
        /x.bin is damaged \(checksum mismatch\): delete it to restart from scratch or restore a copy/,
        `one bit flipped at byte ${at}`,
      );
    }
    assert.throws(
      () => decodeCheckpoint(new TextEncoder().encode("PK\x03\x04 not ours at all"), "x.bin"),
      /bad magic/,
    );
  });
});

Deno.test("checkpoint: CRC-32 is zlib's; files of the layout before checksums still load", async () => {
  await onBackend("cpu", () => {
    assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
    // The old layout: "SADARTSC", header length, header, data; no trailer.
    const header = new TextEncoder().encode(
      JSON.stringify({
        state: { v: 1 },
        tensors: [{ name: "a", dtype: "float32", shape: [2], offset: 0, length: 8 }],
      }),
    );
    const pad = (4 - ((12 + header.length) % 4)) % 4;
    const old = new Uint8Array(12 + header.length + pad + 8);
    old.set(new TextEncoder().encode("SADARTSC"));
    new DataView(old.buffer).setUint32(8, header.length + pad, true);
    old.set(header, 12);
    old.fill(0x20, 12 + header.length, 12 + header.length + pad);
    old.set(new Uint8Array(new Float32Array([1.5, -2]).buffer), 12 + header.length + pad);
    const c = decodeCheckpoint<{ v: number }>(old, "old.bin");
    assert.equal(c.checksummed, false);
    assert.deepEqual(c.state, { v: 1 });
    assert.deepEqual(values(c.tensors.a), [1.5, -2]);
    c.tensors.a.dispose();
  });
});

Deno.test("writeFileAtomic: a write that fails leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/target`); // renaming a file onto a folder fails
  await Deno.writeTextFile(`${dir}/target/x`, "");
  await assert.rejects(writeFileAtomic(`${dir}/target`, "data"));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["target"]);
  await Deno.remove(dir, { recursive: true });
});
