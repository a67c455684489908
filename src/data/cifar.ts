/**
 * Readers for the official CIFAR-10 / CIFAR-100 binary files (`cifar-10-batches-bin/*.bin`,
 * `cifar-100-binary/*.bin`, Krizhevsky 2009).
 *
 * A CIFAR-10 record is 1 label byte then 3072 pixel bytes: the 1024 red, then 1024 green, then 1024 blue
 * values of a 32x32 image, each plane row-major. CIFAR-100 records have 2 label bytes (coarse class
 * 0..19, then fine class 0..99) before the same 3072 bytes. The readers turn the planes into NHWC
 * (channel fastest), the layout of tfjs' convolutions.
 * @module
 */
import type { ImageSet } from "./pipeline.ts";
import { readDataFile } from "./dataFile.ts";

/** Which CIFAR. */
export type CifarVariant = "cifar10" | "cifar100";

/** Which CIFAR-100 label: the 100 fine classes or the 20 superclasses. */
export type CifarLabel = "fine" | "coarse";

/** Options of `readCifar` / `loadCifarFile`. */
export interface CifarOptions {
  variant: CifarVariant;
  /** CIFAR-100 only: which label to return (default "fine"). */
  label?: CifarLabel;
}

/** CIFAR images: 32x32, 3 channels. */
export const CIFAR_SIZE = 32;
const PIXELS = CIFAR_SIZE * CIFAR_SIZE;
const IMAGE_BYTES = 3 * PIXELS;

/** Bytes per record: label byte(s) + 3072 pixel bytes. */
export function cifarRecordBytes(variant: CifarVariant): number {
  return labelBytes(variant) + IMAGE_BYTES;
}

function labelBytes(variant: CifarVariant): number {
  if (variant === "cifar10") return 1;
  if (variant === "cifar100") return 2;
  throw new Error(`unknown CIFAR variant "${variant}": use "cifar10" or "cifar100"`);
}

/** Where each variant's official archive comes from (Alex Krizhevsky's CIFAR page, University of Toronto). */
export const CIFAR_ARCHIVE_URLS: Record<CifarVariant, string> = {
  cifar10: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  cifar100: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
};

const NAMES: Record<CifarVariant, string> = { cifar10: "CIFAR-10", cifar100: "CIFAR-100" };

/**
 * Reads CIFAR records from bytes (a whole file, or several concatenated). Throws when the length is
 * not a whole number of records or a label is out of range: both mean a wrong or damaged file.
 */
export function readCifar(bytes: Uint8Array, options: CifarOptions): ImageSet {
  const { variant } = options;
  const skip = labelBytes(variant);
  const label = options.label ?? "fine";
  if (label !== "fine" && label !== "coarse") {
    throw new Error(`label must be "fine" or "coarse", got "${label}"`);
  }
  if (variant === "cifar10" && label === "coarse") {
    throw new Error(`label "coarse" exists in CIFAR-100 only; CIFAR-10 has one label per record`);
  }
  const recordBytes = skip + IMAGE_BYTES;
  if (bytes.length === 0) throw new Error(`no ${NAMES[variant]} records: the data is empty`);
  if (bytes.length % recordBytes !== 0) {
    throw new Error(
      `${bytes.length} bytes is not a whole number of ${NAMES[variant]} records of ${recordBytes} bytes ` +
        `(${skip} label byte${skip > 1 ? "s" : ""} + 3072 pixels): the file is truncated or not ` +
        `${NAMES[variant]}` + (variant === "cifar10"
          ? " (CIFAR-100 records have 3074 bytes)"
          : " (CIFAR-10 records have 3073 bytes)"),
    );
  }
  const count = bytes.length / recordBytes;
  // CIFAR-10: the only label byte. CIFAR-100: coarse first, then fine.
  const labelOffset = variant === "cifar100" && label === "fine" ? 1 : 0;
  const classes = variant === "cifar10" ? 10 : label === "coarse" ? 20 : 100;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const record = n * recordBytes;
    if (variant === "cifar100") {
      // Check both labels whichever is returned: either out of range means a wrong file.
      checkLabel(bytes[record], 20, n, record, "coarse ");
      checkLabel(bytes[record + 1], 100, n, record + 1, "fine ");
    } else {
      checkLabel(bytes[record], classes, n, record, "");
    }
    labels[n] = bytes[record + labelOffset];
    const r = record + skip;
    const g = r + PIXELS;
    const b = g + PIXELS;
    let o = n * IMAGE_BYTES;
    for (let p = 0; p < PIXELS; p++) {
      images[o++] = bytes[r + p];
      images[o++] = bytes[g + p];
      images[o++] = bytes[b + p];
    }
  }
  return { images, labels, count, height: CIFAR_SIZE, width: CIFAR_SIZE, channels: 3 };
}

function checkLabel(value: number, classes: number, record: number, offset: number, what: string): void {
  if (value >= classes) {
    throw new Error(
      `record ${record} (byte ${offset}) has ${what}label ${value}, outside 0..${classes - 1}: ` +
        `the file is not in the expected CIFAR layout (wrong variant, or not a CIFAR file)`,
    );
  }
}

/**
 * Reads an official CIFAR binary file (e.g. `cifar-10-batches-bin/data_batch_1.bin`). A missing file
 * is an error that says where the official archive comes from.
 */
export async function loadCifarFile(path: string | URL, options: CifarOptions): Promise<ImageSet> {
  labelBytes(options.variant); // an unknown variant is reported as such, not as a missing file
  return await readDataFile(
    path,
    (bytes) => readCifar(bytes, options),
    (name) =>
      `${NAMES[options.variant]} file not found: ${name}. ` +
      `The official binaries come in ${CIFAR_ARCHIVE_URLS[options.variant]} ` +
      `(downloadCifar({ variant: "${options.variant}", cacheDir }) in src/data/download.ts fetches and ` +
      `extracts it).`,
  );
}
