/**
 * Reading ZIP archives without loading them (DIV2K's are 3.5 GB): the central directory is read from the
 * end of the file, and each entry is streamed through the platform's `DecompressionStream("deflate-raw")`
 * into its file, its size and CRC-32 checked against the directory before it is renamed into place. Stored
 * and deflated entries are read; ZIP64 archives (over 4 GiB or 65,535 entries) and encrypted entries are
 * refused with a message.
 * @module
 */

/** One file of an archive, as its central directory describes it. */
export interface ZipEntry {
  /** Path inside the archive ("/" separated; folders end in "/"). */
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Byte offset of the entry's local header. */
  readonly localHeaderOffset: number;
}

const EOCD = 0x06054b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, as ZIP and PNG use it) of `bytes`, continuing from `crc` (default: a fresh start).
 * @example
 * ```ts
 * import { crc32 } from "./zip.ts";
 * console.assert(crc32(new TextEncoder().encode("123456789")) === 0xcbf43926);
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await file.read(out.subarray(got));
    if (n === null) break;
    got += n;
  }
  if (got < length) throw new Error(`unexpected end of file at byte ${offset + got}`);
  return out;
}

/** The entries of the ZIP archive at `path`, in directory order. */
export async function listZip(path: string): Promise<ZipEntry[]> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const tail = await readAt(file, Math.max(0, size - 65557), Math.min(size, 65557));
    const view = new DataView(tail.buffer);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new Error(`${path} is not a ZIP archive (no end-of-directory record): re-download it`);
    const count = view.getUint16(at + 10, true);
    const dirSize = view.getUint32(at + 12, true), dirOffset = view.getUint32(at + 16, true);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      throw new Error(`${path} is a ZIP64 archive, which is not read here: unzip it by hand`);
    }
    if (dirOffset + dirSize > size) throw new Error(`${path} is truncated (its directory lies past its end)`);
    const dir = await readAt(file, dirOffset, dirSize);
    const d = new DataView(dir.buffer);
    const entries: ZipEntry[] = [];
    let p = 0;
    const decoder = new TextDecoder();
    for (let i = 0; i < count; i++) {
      if (p + 46 > dir.length || d.getUint32(p, true) !== CENTRAL) {
        throw new Error(`${path}: damaged central directory at entry ${i}`);
      }
      const flags = d.getUint16(p + 8, true);
      const nameLength = d.getUint16(p + 28, true);
      const entry: ZipEntry = {
        name: decoder.decode(dir.subarray(p + 46, p + 46 + nameLength)),
        method: d.getUint16(p + 10, true),
        crc32: d.getUint32(p + 16, true),
        compressedSize: d.getUint32(p + 20, true),
        size: d.getUint32(p + 24, true),
        localHeaderOffset: d.getUint32(p + 42, true),
      };
      if (flags & 1) throw new Error(`${path}: ${entry.name} is encrypted`);
      if ([entry.size, entry.compressedSize, entry.localHeaderOffset].includes(0xffffffff)) {
        throw new Error(
          `${path}: ${entry.name} needs ZIP64 fields, which are not read here: unzip it by hand`,
        );
      }
      entries.push(entry);
      p += 46 + nameLength + d.getUint16(p + 30, true) + d.getUint16(p + 32, true);
    }
    return entries;
  } finally {
    file.close();
  }
}

/**
 * Extract `entry` of the archive at `path` to `dest` (through `dest.part`), checking its size and CRC-32;
 * a mismatch deletes the part and names the entry.
 */
export async function extractZipEntry(path: string, entry: ZipEntry, dest: string): Promise<void> {
  if (entry.method !== 0 && entry.method !== 8) {
    throw new Error(
      `${path}: ${entry.name} uses compression method ${entry.method}; only stored and deflated are read`,
    );
  }
  const archive = await Deno.open(path, { read: true });
  const part = dest + ".part";
  try {
    const local = await readAt(archive, entry.localHeaderOffset, 30);
    const lv = new DataView(local.buffer);
    if (lv.getUint32(0, true) !== LOCAL) throw new Error(`${path}: no local header for ${entry.name}`);
    const start = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
    await archive.seek(start, Deno.SeekMode.Start);
    let left = entry.compressedSize;
    const compressed = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (left === 0) return controller.close();
        const chunk = new Uint8Array(Math.min(left, 1 << 20));
        const n = await archive.read(chunk);
        if (n === null) return controller.error(new Error(`${path} ends inside ${entry.name}`));
        left -= n;
        controller.enqueue(chunk.subarray(0, n));
      },
    });
    const data = entry.method === 8
      ? compressed.pipeThrough(
        new DecompressionStream("deflate-raw") as unknown as TransformStream<Uint8Array, Uint8Array>,
      )
      : compressed;
    const out = await Deno.open(part, { write: true, create: true, truncate: true });
    let crc = 0, size = 0;
    try {
      for await (const chunk of data) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        let off = 0;
        while (off < chunk.length) off += await out.write(chunk.subarray(off));
      }
    } catch (e) {
      throw new Error(
        `${path}: ${entry.name} does not decompress (${(e as Error).message}): the archive is damaged; ` +
          "delete and re-download it",
        { cause: e },
      );
    } finally {
      out.close();
    }
    if (size !== entry.size || crc !== entry.crc32) {
      throw new Error(
        `${path}: ${entry.name} extracted to ${size} bytes with CRC ${crc.toString(16)}, the archive says ` +
          `${entry.size} bytes and ${
            entry.crc32.toString(16)
          }: the archive is damaged; delete and re-download it`,
      );
    }
    await Deno.rename(part, dest);
  } catch (e) {
    await Deno.remove(part).catch(() => {});
    throw e;
  } finally {
    archive.close();
  }
}
