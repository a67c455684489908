import assert from "node:assert/strict";
import { cifarRecordBytes, loadCifarFile, readCifar } from "../../src/data/cifar.ts";
import { downloadCifar, downloadResumable, OfflineError, readTar } from "../../src/data/download.ts";
import { SYNTHETIC_CIFAR100_LABELS, syntheticPixel } from "../../src/data/makeCpuSubset.ts";
import {
  decodeSadarts,
  encodeSadarts,
  loadSadartsFile,
  SADARTS_HEADER_BYTES,
} from "../../src/data/sadartsFormat.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const CIFAR10_20 = new URL("cifar10_20.bin", FIXTURES);
const CIFAR100_5 = new URL("cifar100_5.bin", FIXTURES);
const SHIPPED = new URL("../../data/cifar10_train10k_16x16.bin", import.meta.url);
const SHARED = new URL("../../../shared/data/cifar10/train_10k.bin", import.meta.url);
const haveShared = (() => {
  try {
    return Deno.statSync(SHARED).isFile;
  } catch {
    return false;
  }
})();

/** Official-layout pixel: record n, channel c (0 = R), row y, column x. */
function rawPixel(
  raw: Uint8Array,
  recordBytes: number,
  labelBytes: number,
  n: number,
  c: number,
  y: number,
  x: number,
) {
  return raw[n * recordBytes + labelBytes + c * 1024 + y * 32 + x];
}

Deno.test("readCifar: CIFAR-10 fixture labels and pixels match the file's bytes, NHWC", async () => {
  const raw = await Deno.readFile(CIFAR10_20);
  const set = readCifar(raw, { variant: "cifar10" });
  assert.equal(set.count, 20);
  assert.deepEqual([set.height, set.width, set.channels], [32, 32, 3]);
  assert.equal(set.images.length, 20 * 3072);
  for (let n = 0; n < 20; n++) {
    assert.equal(set.labels[n], raw[n * 3073]);
    assert.equal(set.labels[n], n % 10, "train_10k is interleaved by class");
  }
  for (const [n, y, x] of [[0, 0, 0], [0, 31, 31], [7, 5, 20], [19, 16, 3]]) {
    for (let c = 0; c < 3; c++) {
      assert.equal(
        set.images[((n * 32 + y) * 32 + x) * 3 + c],
        rawPixel(raw, 3073, 1, n, c, y, x),
        `${n},${y},${x},${c}`,
      );
    }
  }
  const loaded = await loadCifarFile(CIFAR10_20, { variant: "cifar10" });
  assert.deepEqual(loaded.labels, set.labels);
});

Deno.test("readCifar: CIFAR-100 fine and coarse labels, pixels after 2 label bytes", async () => {
  const raw = await Deno.readFile(CIFAR100_5);
  const fine = readCifar(raw, { variant: "cifar100" });
  const coarse = readCifar(raw, { variant: "cifar100", label: "coarse" });
  assert.equal(fine.count, 5);
  assert.deepEqual(Array.from(fine.labels), SYNTHETIC_CIFAR100_LABELS.map(([, f]) => f));
  assert.deepEqual(Array.from(coarse.labels), SYNTHETIC_CIFAR100_LABELS.map(([c]) => c));
  assert.deepEqual(coarse.images, fine.images);
  for (const [n, y, x] of [[0, 0, 0], [1, 31, 0], [4, 9, 30]]) {
    for (let c = 0; c < 3; c++) {
      const p = c * 1024 + y * 32 + x;
      assert.equal(fine.images[((n * 32 + y) * 32 + x) * 3 + c], syntheticPixel(n, p));
      assert.equal(rawPixel(raw, 3074, 2, n, c, y, x), syntheticPixel(n, p));
    }
  }
});

Deno.test("readCifar: truncated or wrong-variant data fails with the size and the record size", async () => {
  const raw = await Deno.readFile(CIFAR10_20);
  assert.throws(
    () => readCifar(raw.subarray(0, raw.length - 1), { variant: "cifar10" }),
    /61459 bytes.*3073 bytes/,
  );
  const raw100 = await Deno.readFile(CIFAR100_5);
  assert.throws(
    () => readCifar(raw100, { variant: "cifar10" }),
    /15370 bytes.*3073 bytes.*CIFAR-100 records have 3074/,
  );
  assert.throws(() => readCifar(raw, { variant: "cifar100" }), /61460 bytes.*3074 bytes/);
  assert.throws(() => readCifar(new Uint8Array(0), { variant: "cifar10" }), /empty/);
  assert.throws(() => readCifar(raw, { variant: "cifar10", label: "coarse" }), /CIFAR-100 only/);
  assert.throws(
    () => readCifar(raw, { variant: "cifar1000" as "cifar10" }),
    /unknown CIFAR variant "cifar1000"/,
  );

  const tmp = await Deno.makeTempFile({ suffix: ".bin" });
  try {
    await Deno.writeFile(tmp, raw.subarray(0, 3073 * 3 + 100));
    await assert.rejects(loadCifarFile(tmp, { variant: "cifar10" }), (e: Error) => {
      assert.ok(e.message.includes(tmp), "names the file");
      assert.match(
        e.message,
        /9319 bytes is not a whole number of CIFAR-10 records of 3073 bytes.*truncated/,
      );
      return true;
    });
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("readCifar: labels out of range are reported with the record", async () => {
  const raw = (await Deno.readFile(CIFAR10_20)).slice();
  raw[3 * 3073] = 10;
  assert.throws(
    () => readCifar(raw, { variant: "cifar10" }),
    /record 3 \(byte 9219\) has label 10, outside 0\.\.9/,
  );
  const raw100 = (await Deno.readFile(CIFAR100_5)).slice();
  raw100[2 * 3074] = 20; // coarse label of record 2
  assert.throws(
    () => readCifar(raw100, { variant: "cifar100" }),
    /record 2 .*coarse label 20, outside 0\.\.19/,
  );
  raw100[2 * 3074] = 19;
  raw100[4 * 3074 + 1] = 100; // fine label of record 4
  assert.throws(
    () => readCifar(raw100, { variant: "cifar100", label: "coarse" }),
    /record 4 .*fine label 100/,
  );
});

Deno.test("loadCifarFile: a missing file says where the official archive comes from", async () => {
  await assert.rejects(
    loadCifarFile("/nonexistent/data_batch_1.bin", { variant: "cifar10" }),
    /CIFAR-10 file not found: \/nonexistent\/data_batch_1\.bin.*https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz/,
  );
  await assert.rejects(
    loadCifarFile("/nonexistent/train.bin", { variant: "cifar100" }),
    /cifar-100-binary\.tar\.gz.*downloadCifar/,
  );
});

// ---------------------------------------------------------------------------------------------------
// The shipped 16x16 subset

Deno.test("data/cifar10_train10k_16x16.bin: header, count and size", async () => {
  const bytes = await Deno.readFile(SHIPPED);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "SADARTS1");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.deepEqual([0, 1, 2, 3].map((i) => view.getUint32(8 + 4 * i, true)), [10000, 16, 16, 3]);
  assert.equal(bytes.length, SADARTS_HEADER_BYTES + 10000 * (1 + 16 * 16 * 3));
  const set = decodeSadarts(bytes);
  assert.equal(set.count, 10000);
  for (let k = 0; k < 10; k++) assert.equal(set.labels.filter((l) => l === k).length, 1000, `class ${k}`);
});

Deno.test({
  name: "data/cifar10_train10k_16x16.bin: record i is the rounded 2x2 average of train_10k.bin record i",
  ignore: !haveShared,
  fn: async () => {
    const raw = await Deno.readFile(SHARED);
    const small = await loadSadartsFile(SHIPPED);
    for (const n of [0, 1, 2345, 9999]) {
      assert.equal(small.labels[n], raw[n * 3073]);
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          for (let c = 0; c < 3; c++) {
            const sum = rawPixel(raw, 3073, 1, n, c, 2 * y, 2 * x) +
              rawPixel(raw, 3073, 1, n, c, 2 * y, 2 * x + 1) +
              rawPixel(raw, 3073, 1, n, c, 2 * y + 1, 2 * x) +
              rawPixel(raw, 3073, 1, n, c, 2 * y + 1, 2 * x + 1);
            const expected = Math.floor(sum / 4 + 0.5); // nearest, halves up
            assert.equal(
              small.images[((n * 16 + y) * 16 + x) * 3 + c],
              expected,
              `record ${n} (${y},${x},${c})`,
            );
          }
        }
      }
    }
  },
});

Deno.test("sadarts format: round trip, and clear errors for a wrong magic or size", async () => {
  const set = {
    images: Uint8Array.from({ length: 2 * 2 * 3 * 1 }, (_, i) => i * 20),
    labels: Int32Array.from([7, 255]),
    count: 2,
    height: 2,
    width: 3,
    channels: 1,
  };
  const bytes = encodeSadarts(set);
  assert.equal(bytes.length, 24 + 2 * 7);
  assert.deepEqual(decodeSadarts(bytes), set);
  assert.throws(
    () => decodeSadarts(bytes.subarray(0, bytes.length - 1)),
    /37 bytes, but the header says 2 records/,
  );
  const bad = bytes.slice();
  bad[0] = 0x58;
  assert.throws(() => decodeSadarts(bad), /not a sadarts image file: it starts with "XADARTS1"/);
  assert.throws(() => decodeSadarts(bytes.subarray(0, 10)), /shorter than the 24-byte/);
  assert.throws(() => encodeSadarts({ ...set, labels: Int32Array.from([0, 256]) }), /label 256 of image 1/);
  await assert.rejects(
    loadSadartsFile("/nonexistent/x.bin"),
    /sadarts image file not found: \/nonexistent\/x\.bin/,
  );
});

// ---------------------------------------------------------------------------------------------------
// Download and tar (no network)

/** One ustar header block for `name` (split into prefix/name when long) with `size` bytes. */
function tarHeader(name: string, size: number, flag = "0", prefix = ""): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, at: number) => h.set(new TextEncoder().encode(text), at);
  put(name, 0);
  put("0000644\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(size.toString(8).padStart(11, "0") + "\0", 124);
  put("00000000000\0", 136);
  put(flag, 156);
  put("ustar\0" + "00", 257);
  put(prefix, 345);
  put("        ", 148);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

function tarFile(entries: { name: string; data?: Uint8Array; flag?: string; prefix?: string }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    parts.push(tarHeader(e.name, data.length, e.flag, e.prefix));
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    parts.push(padded);
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The tar stream as extractCifar sees it: gzipped, then gunzipped by the platform. */
async function gzip(bytes: Uint8Array): Promise<ReadableStream<Uint8Array>> {
  const zipped = new Uint8Array(
    await new Response(new Blob([bytes.slice()]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  // Deliver in odd-sized chunks so headers straddle chunk boundaries.
  return new ReadableStream<BufferSource>({
    start(controller) {
      for (let i = 0; i < zipped.length; i += 7) controller.enqueue(zipped.slice(i, i + 7));
      controller.close();
    },
  }).pipeThrough(new DecompressionStream("gzip"));
}

Deno.test("readTar: files, directories, ustar prefixes and GNU long names from a tar.gz", async () => {
  const a = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  const b = new TextEncoder().encode("airplane\nautomobile\n");
  const long = "cifar-10-batches-bin/" + "x".repeat(120) + ".bin";
  const tar = tarFile([
    { name: "cifar-10-batches-bin/", flag: "5" },
    { name: "data_batch_1.bin", prefix: "cifar-10-batches-bin", data: a },
    { name: "cifar-10-batches-bin/batches.meta.txt", data: b },
    { name: "././@LongLink", flag: "L", data: new TextEncoder().encode(long + "\0") },
    { name: long.slice(0, 99), data: Uint8Array.of(1, 2, 3) },
    { name: "cifar-10-batches-bin/readme.html", data: new Uint8Array(600) },
  ]);
  const entries = [];
  for await (const e of readTar(await gzip(tar), { include: (n) => !n.endsWith(".html") })) entries.push(e);
  assert.deepEqual(entries.map((e) => [e.name, e.type, e.size]), [
    ["cifar-10-batches-bin/", "directory", 0],
    ["cifar-10-batches-bin/data_batch_1.bin", "file", 1000],
    ["cifar-10-batches-bin/batches.meta.txt", "file", b.length],
    [long, "file", 3],
    ["cifar-10-batches-bin/readme.html", "file", 600],
  ]);
  assert.deepEqual(entries[1].data, a);
  assert.deepEqual(entries[2].data, b);
  assert.deepEqual(entries[3].data, Uint8Array.of(1, 2, 3));
  assert.equal(entries[4].data, undefined, "excluded files are skipped, not buffered");

  const damaged = tar.slice();
  damaged[512 + 10] ^= 1; // a byte of the second header's name
  await assert.rejects(async () => {
    for await (const _ of readTar(await gzip(damaged))) { /* read all */ }
  }, /bad tar header checksum at byte 512/);
  await assert.rejects(async () => {
    for await (const _ of readTar(await gzip(tar.subarray(0, 1024 + 100)))) { /* read all */ }
  }, /ends in the middle/);
});

Deno.test("downloadCifar: offline, it says so and where to put the files", async () => {
  const cacheDir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      downloadCifar({ variant: "cifar10", cacheDir, baseUrl: "http://127.0.0.1:9/" }),
      (e: Error) => {
        assert.ok(e instanceof OfflineError);
        assert.match(
          e.message,
          /could not reach http:\/\/127\.0\.0\.1:9\/cifar-10-binary\.tar\.gz: you seem to be offline/,
        );
        assert.ok(e.message.includes(`put the files in ${cacheDir} by hand`), e.message);
        assert.match(e.message, /cifar-10-batches-bin\/.*data_batch_1\.bin/);
        return true;
      },
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("downloadResumable: resumes a .part with a Range request, restarts when Range is ignored, checks the size", async () => {
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 13) & 255);
  const dir = await Deno.makeTempDir();
  const dest = `${dir}/archive.tar.gz`;
  const ranges: (string | null)[] = [];
  /** A server that drops the connection after `cut` bytes, and honours Range unless told not to. */
  const server = (cut: number, honourRange = true): typeof fetch => (_url, init) => {
    const range = new Headers(init?.headers).get("range");
    ranges.push(range);
    const start = honourRange && range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    const body = payload.subarray(start);
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) controller.enqueue(body.slice(0, Math.min(cut, body.length)));
        else if (cut < body.length) controller.error(new Error("connection reset"));
        else controller.close();
        sent = true;
      },
    });
    return Promise.resolve(
      new Response(stream, {
        status: start > 0 ? 206 : 200,
        headers: start > 0
          ? { "content-range": `bytes ${start}-${payload.length - 1}/${payload.length}` }
          : {},
      }),
    );
  };
  try {
    const options = { expectedBytes: payload.length };
    await assert.rejects(
      downloadResumable("http://mirror/a", dest, { ...options, fetch: server(1000) }),
      /interrupted after 1000 of 3000 bytes.*call again to resume/,
    );
    assert.equal(Deno.statSync(dest + ".part").size, 1000);
    await downloadResumable("http://mirror/a", dest, { ...options, fetch: server(5000) });
    assert.deepEqual(ranges, [null, "bytes=1000-"]);
    assert.deepEqual(await Deno.readFile(dest), payload);
    assert.throws(() => Deno.statSync(dest + ".part"), Deno.errors.NotFound);

    // A server that ignores Range: the .part is rewritten from byte 0, not appended to.
    await Deno.remove(dest);
    await Deno.writeFile(dest + ".part", payload.subarray(0, 500));
    await downloadResumable("http://mirror/a", dest, { ...options, fetch: server(5000, false) });
    assert.deepEqual(await Deno.readFile(dest), payload);

    // Present with the right size: no request at all.
    ranges.length = 0;
    await downloadResumable("http://mirror/a", dest, { ...options, fetch: server(5000) });
    assert.equal(ranges.length, 0);

    // The wrong file (longer than expected).
    await assert.rejects(
      downloadResumable("http://mirror/a", `${dir}/other`, { expectedBytes: 2000, fetch: server(5000) }),
      /gave 3000 bytes, expected 2000: not the expected file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cifarRecordBytes: 3073 and 3074", () => {
  assert.equal(cifarRecordBytes("cifar10"), 3073);
  assert.equal(cifarRecordBytes("cifar100"), 3074);
});
