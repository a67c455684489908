/**
 * sadarts' own image file format, for the small data sets shipped in `data/` (e.g. the 16x16 CIFAR-10
 * subset of the `cpu` preset). The official CIFAR layout is fixed at 32x32x3 in planes; this one says its
 * shape and is already NHWC, so it loads without conversion.
 *
 * Layout (all integers little-endian uint32):
 * ```
 * offset 0    "SADARTS1"  (8 ASCII bytes)
 * offset 8    count
 * offset 12   height
 * offset 16   width
 * offset 20   channels
 * offset 24   count records: 1 label byte, then height × width × channels pixel bytes (NHWC, channel fastest)
 * ```
 * @module
 */
import { readDataFile } from "./dataFile.ts";
import type { ImageSet } from "./pipeline.ts";

/** The first 8 bytes of every file. */
export const SADARTS_MAGIC = "SADARTS1";

/** Header size in bytes. */
export const SADARTS_HEADER_BYTES = 24;

/** Encodes images (labels 0..255) in the sadarts format. */
export function encodeSadarts(set: ImageSet): Uint8Array {
  const { count, height, width, channels, images, labels } = set;
  const per = height * width * channels;
  if (images.length !== count * per || labels.length !== count) {
    throw new Error(
      `encodeSadarts: ${images.length} pixel bytes and ${labels.length} labels do not make ${count} images of ` +
        `${height}x${width}x${channels}`,
    );
  }
  const out = new Uint8Array(SADARTS_HEADER_BYTES + count * (1 + per));
  out.set(new TextEncoder().encode(SADARTS_MAGIC), 0);
  const view = new DataView(out.buffer);
  [count, height, width, channels].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  for (let n = 0; n < count; n++) {
    const label = labels[n];
    if (!Number.isInteger(label) || label < 0 || label > 255) {
      throw new Error(`encodeSadarts: label ${label} of image ${n} does not fit in one byte`);
    }
    const o = SADARTS_HEADER_BYTES + n * (1 + per);
    out[o] = label;
    out.set(images.subarray(n * per, (n + 1) * per), o + 1);
  }
  return out;
}

/** Decodes a sadarts file; throws on a wrong magic or a size that does not match the header. */
export function decodeSadarts(bytes: Uint8Array): ImageSet {
  if (bytes.length < SADARTS_HEADER_BYTES) {
    throw new Error(`${bytes.length} bytes is shorter than the ${SADARTS_HEADER_BYTES}-byte sadarts header`);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== SADARTS_MAGIC) {
    throw new Error(
      `not a sadarts image file: it starts with ${JSON.stringify(magic)}, not "${SADARTS_MAGIC}"`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [count, height, width, channels] = [0, 1, 2, 3].map((i) => view.getUint32(8 + 4 * i, true));
  if (height === 0 || width === 0 || channels === 0) {
    throw new Error(`sadarts header has an empty image shape ${height}x${width}x${channels}`);
  }
  const per = height * width * channels;
  const expected = SADARTS_HEADER_BYTES + count * (1 + per);
  if (bytes.length !== expected) {
    throw new Error(
      `${bytes.length} bytes, but the header says ${count} records of 1 + ${height}x${width}x${channels} bytes ` +
        `(${expected} bytes in all): the file is truncated or damaged`,
    );
  }
  const images = new Uint8Array(count * per);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const o = SADARTS_HEADER_BYTES + n * (1 + per);
    labels[n] = bytes[o];
    images.set(bytes.subarray(o + 1, o + 1 + per), n * per);
  }
  return { images, labels, count, height, width, channels };
}

/** Reads a sadarts file (e.g. `data/cifar10_train10k_16x16.bin`). */
export async function loadSadartsFile(path: string | URL): Promise<ImageSet> {
  return await readDataFile(
    path,
    decodeSadarts,
    (name) =>
      `sadarts image file not found: ${name} (the shipped ones are in data/; data/README.md says how each ` +
      `was made)`,
  );
}
