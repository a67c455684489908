import assert from "node:assert/strict";
import { join } from "node:path";
import { crc32, extractZipEntry, listZip } from "../../src/data/zip.ts";
import { writeZip } from "../zipWriter.ts";

Deno.test("crc32: the standard check value and continuation over chunks", () => {
  const bytes = new TextEncoder().encode("123456789");
  assert.equal(crc32(bytes), 0xcbf43926);
  assert.equal(crc32(bytes.subarray(4), crc32(bytes.subarray(0, 4))), 0xcbf43926);
});

Deno.test("listZip / extractZipEntry: stored and deflated entries come back byte for byte", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const big = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 7919) % 251);
    const small = new TextEncoder().encode("hello zip");
    const path = join(dir, "a.zip");
    await Deno.writeFile(
      path,
      await writeZip([
        { name: "d/big.bin", data: big, deflate: true },
        { name: "d/small.txt", data: small },
        { name: "d/streamed.bin", data: big.subarray(0, 70000), deflate: true, descriptor: true },
      ]),
    );
    const entries = await listZip(path);
    assert.deepEqual(entries.map((e) => [e.name, e.method, e.size]), [
      ["d/big.bin", 8, big.length],
      ["d/small.txt", 0, 9],
      ["d/streamed.bin", 8, 70000],
    ]);
    await extractZipEntry(path, entries[0], join(dir, "big.bin"));
    await extractZipEntry(path, entries[1], join(dir, "small.txt"));
    assert.deepEqual(await Deno.readFile(join(dir, "big.bin")), big);
    assert.equal(await Deno.readTextFile(join(dir, "small.txt")), "hello zip");
    // Sizes come from the central directory, so an entry with a data descriptor reads the same.
    await extractZipEntry(path, entries[2], join(dir, "streamed.bin"));
    assert.deepEqual(await Deno.readFile(join(dir, "streamed.bin")), big.subarray(0, 70000));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listZip / extractZipEntry: a damaged or truncated archive is refused and leaves no file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new TextEncoder().encode("some image bytes, stored");
    const zip = await writeZip([{ name: "x.png", data }]);
    const path = join(dir, "x.zip");
    await Deno.writeFile(path, zip.subarray(0, zip.length - 30));
    await assert.rejects(() => listZip(path), /is not a ZIP archive/);
    const flipped = zip.slice();
    flipped[30 + 5 + 3] ^= 0xff; // a byte of the stored data
    await Deno.writeFile(path, flipped);
    const [entry] = await listZip(path);
    await assert.rejects(() => extractZipEntry(path, entry, join(dir, "x.png")), /the archive is damaged/);
    await assert.rejects(() => Deno.stat(join(dir, "x.png")), Deno.errors.NotFound);
    await assert.rejects(() => Deno.stat(join(dir, "x.png.part")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
