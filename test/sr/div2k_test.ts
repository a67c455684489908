import assert from "node:assert/strict";
import { join } from "node:path";
import { OfflineError } from "../../src/data/download.ts";
import { div2kFiles, downloadDiv2k } from "../../src/sr/div2k.ts";
import { writeZip } from "../zipWriter.ts";

/** A fetch that serves `bytes` at DIV2K's URL (HEAD with its size, GET in full) and counts the calls. */
function serve(bytes: Uint8Array) {
  const calls: string[] = [];
  const fetchStub = ((input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push(`${init?.method ?? "GET"} ${url}`);
    const headers = { "content-length": String(bytes.length) };
    return Promise.resolve(
      init?.method === "HEAD" ? new Response(null, { headers }) : new Response(bytes.slice(), { headers }),
    );
  }) as typeof fetch;
  return { fetchStub, calls };
}

const image = (name: string) => new TextEncoder().encode(`pixels of ${name}`);

Deno.test("downloadDiv2k: the valid split downloaded once, every image checked and in the official layout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { folder, images } = div2kFiles("valid");
    assert.deepEqual([folder, images.length, images[0], images.at(-1)], [
      "DIV2K_valid_HR",
      100,
      "0801.png",
      "0900.png",
    ]);
    const zip = await writeZip(
      images.map((n, i) => ({ name: `${folder}/${n}`, data: image(n), deflate: i % 2 === 0 })),
    );
    const { fetchStub, calls } = serve(zip);
    const out = await downloadDiv2k({ split: "valid", cacheDir: dir, fetch: fetchStub });
    assert.equal(out, join(dir, "DIV2K_valid_HR"));
    assert.deepEqual(await Deno.readFile(join(out, "0850.png")), image("0850.png"));
    assert.deepEqual(calls, [
      "HEAD https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_valid_HR.zip",
      "GET https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_valid_HR.zip",
    ]);
    // A second call finds every image and fetches nothing; a lost image is re-extracted from the archive.
    await Deno.remove(join(out, "0801.png"));
    await downloadDiv2k({ split: "valid", cacheDir: dir, fetch: fetchStub });
    assert.equal(calls.length, 2);
    assert.deepEqual(await Deno.readFile(join(out, "0801.png")), image("0801.png"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadDiv2k: offline it says where to put the files; a wrong archive is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const offline = (() => Promise.reject(new TypeError("dns error"))) as typeof fetch;
    await assert.rejects(
      () => downloadDiv2k({ split: "train", cacheDir: dir, fetch: offline }),
      (e: Error) =>
        e instanceof OfflineError &&
        /put DIV2K_train_HR\.zip .* or its images in .*0001\.png … 0800\.png/.test(e.message),
    );
    const partial = await writeZip([{ name: "DIV2K_valid_HR/0801.png", data: image("0801.png") }]);
    await assert.rejects(
      () => downloadDiv2k({ split: "valid", cacheDir: dir, fetch: serve(partial).fetchStub }),
      /lacks 99 of the 100 images of DIV2K_valid_HR \(first: 0802\.png\): not the official archive/,
    );
    await assert.rejects(
      () => downloadDiv2k({ split: "test" as never, cacheDir: dir }),
      /unknown DIV2K split "test"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
