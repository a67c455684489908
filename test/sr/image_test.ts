import assert from "node:assert/strict";
import { encodePngBytes } from "../../src/deps/fast_png.ts";
import { cropImage, decodePng, modCrop, readPng } from "../../src/sr/image.ts";

const SET5 = new URL("../../data/sr/Set5/x2/", import.meta.url);

Deno.test("readPng: a shipped Set5 pair decodes to RGB, the LR half the HR's size", async () => {
  const hr = await readPng(new URL("img_001_SRF_2_HR.png", SET5));
  const lr = await readPng(new URL("img_001_SRF_2_LR.png", SET5));
  assert.deepEqual([hr.width, hr.height, hr.channels, hr.data.length], [512, 512, 3, 512 * 512 * 3]);
  assert.deepEqual([lr.width, lr.height, lr.channels], [256, 256, 3]);
});

const encode = (width: number, height: number, channels: number, data: Uint8Array | Uint16Array, depth = 8) =>
  encodePngBytes({ width, height, channels, depth, data } as never);

Deno.test("decodePng: grey stays grey, opaque alpha is dropped", () => {
  const grey = decodePng(encode(2, 1, 1, new Uint8Array([7, 9])), "grey.png");
  assert.deepEqual([grey.channels, [...grey.data]], [1, [7, 9]]);
  const rgba = decodePng(encode(1, 1, 4, new Uint8Array([1, 2, 3, 255])), "rgba.png");
  assert.deepEqual([rgba.channels, [...rgba.data]], [3, [1, 2, 3]]);
  const greyAlpha = decodePng(encode(1, 1, 2, new Uint8Array([5, 255])), "ga.png");
  assert.deepEqual([greyAlpha.channels, [...greyAlpha.data]], [1, [5]]);
});

Deno.test("decodePng: bad images are refused, naming the file and the reason", async () => {
  assert.throws(
    () => decodePng(new TextEncoder().encode("GIF89a......"), "cat.gif"),
    /cat\.gif is not a PNG file/,
  );
  const whole = await Deno.readFile(new URL("img_002_SRF_2_LR.png", SET5));
  assert.throws(
    () => decodePng(whole.subarray(0, 4000), "cut.png"),
    /cut\.png is a truncated or damaged PNG/,
  );
  assert.throws(
    () => decodePng(encode(1, 1, 3, new Uint16Array([1, 2, 3]), 16), "deep.png"),
    /deep\.png has 16-bit samples/,
  );
  assert.throws(
    () => decodePng(encode(2, 1, 4, new Uint8Array([1, 2, 3, 255, 4, 5, 6, 0])), "glass.png"),
    /glass\.png has transparent pixels/,
  );
  await assert.rejects(() => readPng("/nonexistent/img.png"), /no image at \/nonexistent\/img\.png/);
});

Deno.test("cropImage and modCrop: the pixels of the part, sides cut to multiples of the scale", () => {
  const img = {
    width: 3,
    height: 3,
    channels: 1 as const,
    data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]),
  };
  assert.deepEqual([...cropImage(img, 1, 1, 2, 2).data], [4, 5, 7, 8]);
  const cut = modCrop(img, 2);
  assert.deepEqual([cut.width, cut.height, [...cut.data]], [2, 2, [0, 1, 3, 4]]);
  assert.equal(modCrop(img, 3), img);
  assert.throws(() => cropImage(img, 2, 0, 2, 1), /2×1 at \(2, 0\) is outside the 3×3 image/);
});
