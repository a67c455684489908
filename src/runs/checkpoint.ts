/**
 * Checkpoints: named float32/int32 tensors plus a JSON state, in one file written atomically (a temporary
 * file in the same folder, flushed to disk, then a rename), so a run killed at any moment leaves either
 * the previous checkpoint or the new one, never half of one. Values round-trip bit for bit.
 *
 * Layout: "SADARTS2" (8 bytes), the JSON header's byte length (uint32 LE), the UTF-8 JSON header
 * `{ state, tensors: [{ name, dtype, shape, offset, length }] }`, the raw little-endian data (each
 * tensor's bytes starting at a multiple of 4), then the CRC-32 of everything before it (uint32 LE).
 *
 * The checksum is CRC-32 (IEEE, as zlib and PNG): the damage it guards against is accidental (a disk, a
 * copy, a hand edit), for which CRC-32 catches every burst up to 32 bits and anything else but 1 in 2³²;
 * unlike SHA-256 it is computed synchronously in a few milliseconds per megabyte, so `decodeCheckpoint`
 * stays synchronous. Files written before the checksum ("SADARTSC", no trailer) still load; every
 * header entry of either layout is checked before a tensor is made, so a damaged file gives a sentence
 * that names the file, not a TypeError.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { readFileIfExists } from "../data/dataFile.ts";

const MAGIC = "SADARTS2";
/** The layout before checksums: read, never written. */
const MAGIC_V1 = "SADARTSC";

/** What a checkpoint holds: tensors by name, and any JSON-serialisable state (epoch, RNG, history…). */
export interface Checkpoint<S = unknown> {
  tensors: Record<string, tf.Tensor>;
  state: S;
  /** Whether the file carried a checksum (false: the layout of before checksums). Set by decoding. */
  checksummed?: boolean;
}

interface Entry {
  name: string;
  dtype: "float32" | "int32";
  shape: number[];
  offset: number;
  length: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Encode a checkpoint (reads the tensors' values synchronously). */
export function encodeCheckpoint<S>(c: Checkpoint<S>): Uint8Array {
  const entries: Entry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    if (t.dtype !== "float32" && t.dtype !== "int32") {
      throw new Error(`checkpoint: tensor "${name}" has dtype ${t.dtype}`);
    }
    const data = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    entries.push({ name, dtype: t.dtype, shape: t.shape, offset, length: bytes.length });
    chunks.push(bytes);
    offset += bytes.length; // float32 and int32: always a multiple of 4
  }
  const header = new TextEncoder().encode(JSON.stringify({ state: c.state, tensors: entries }));
  const pad = (4 - ((12 + header.length) % 4)) % 4;
  const body = 12 + header.length + pad + offset;
  const out = new Uint8Array(body + 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, header.length + pad, true);
  out.set(header, 12);
  out.fill(0x20, 12 + header.length, 12 + header.length + pad); // spaces: still valid JSON
  let at = 12 + header.length + pad;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  view.setUint32(body, crc32(out.subarray(0, body)), true);
  return out;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Why `e` is not a usable entry of a data section of `dataLength` bytes, or undefined. */
function badEntry(e: unknown, dataLength: number, seen: Set<string>): string | undefined {
  if (!e || typeof e !== "object") return "a tensor entry is not an object";
  const { name, dtype, shape, offset, length } = e as Partial<Entry>;
  if (typeof name !== "string" || !name) return "a tensor entry has no name";
  if (seen.has(name)) return `tensor "${name}" is listed twice`;
  seen.add(name);
  if (dtype !== "float32" && dtype !== "int32") return `tensor "${name}": dtype ${dtype}`;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    return `tensor "${name}": shape ${JSON.stringify(shape)}`;
  }
  if (!isCount(offset) || offset % 4 || !isCount(length)) {
    return `tensor "${name}": offset ${offset}, length ${length}`;
  }
  const needed = 4 * shape.reduce((a, b) => a * b, 1);
  if (length !== needed) {
    return `tensor "${name}": shape [${shape}] needs ${needed} bytes, the entry says ${length}`;
  }
  if (offset + length > dataLength) return `truncated data for "${name}"`;
  return undefined;
}

/**
 * Decode a checkpoint; throws a clear error on anything that is not a whole one: a checksum mismatch
 * says the file is damaged and what to do, a file cut short says so.
 */
export function decodeCheckpoint<S>(bytes: Uint8Array, source = "checkpoint"): Checkpoint<S> {
  const fail = (why: string) => new Error(`${source} is not a valid sadarts checkpoint (${why})`);
  const advice = "delete it to restart from scratch or restore a copy";
  const magic = bytes.length >= 12 ? new TextDecoder().decode(bytes.subarray(0, 8)) : "";
  if (magic !== MAGIC && magic !== MAGIC_V1) throw fail("bad magic");
  const checksummed = magic === MAGIC;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const end = checksummed ? bytes.length - 4 : bytes.length;
  const parseHeader = () => {
    if (12 + headerLength > end) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
    } catch {
      return undefined;
    }
  };
  const header = parseHeader();
  if (checksummed) {
    const stored = end >= 12 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(end, true) : -1;
    if (end < 12 || crc32(bytes.subarray(0, end)) !== stored) {
      // Cut short (a copy or a disk that ran out) reads better than "damaged" when the header says so.
      const entries = Array.isArray(header?.tensors) ? header.tensors as Partial<Entry>[] : [];
      const dataLength = Math.max(0, ...entries.map((e) => (e.offset ?? 0) + (e.length ?? 0)));
      const whole = 12 + headerLength + dataLength + 4;
      if (header && bytes.length < whole) {
        throw new Error(`${source} is truncated (${bytes.length} of ${whole} bytes): ${advice}`);
      }
      if (12 + headerLength + 4 > bytes.length) {
        throw new Error(
          `${source} is truncated (${bytes.length} of at least ${12 + headerLength + 4} bytes): ${advice}`,
        );
      }
      throw new Error(`${source} is damaged (checksum mismatch): ${advice}`);
    }
  }
  if (12 + headerLength > end) throw fail("truncated header");
  if (!header || typeof header !== "object") throw fail("unreadable header");
  if (!Array.isArray(header.tensors)) throw fail("no tensor list");
  if (!("state" in header)) throw fail("no state");
  const base = 12 + headerLength;
  const seen = new Set<string>();
  for (const e of header.tensors) {
    const why = badEntry(e, end - base, seen);
    if (why) throw fail(why);
  }
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of header.tensors as Entry[]) {
    const raw = bytes.slice(base + e.offset, base + e.offset + e.length);
    const values = e.dtype === "int32" ? new Int32Array(raw.buffer) : new Float32Array(raw.buffer);
    tensors[e.name] = tf.tensor(values, e.shape, e.dtype);
  }
  return { state: header.state as S, tensors, checksummed };
}

/** Temporary files of {@link writeFileAtomic}: `<name>.tmp-<pid>`. */
export const TEMPORARY_FILE: RegExp = /\.tmp-\d+$/;

let slowWrites: number | undefined;
/**
 * Test hook: with SADARTS_TEST_SLOW_WRITE_MS=N in the environment (and permission to read it), every
 * atomic write is written in 8 pieces N ms apart, so a test can kill a process in the middle of one.
 */
function slowWriteMs(): number {
  if (slowWrites === undefined) {
    slowWrites = 0;
    try {
      const variable = "SADARTS_TEST_SLOW_WRITE_MS";
      if (Deno.permissions.querySync({ name: "env", variable }).state === "granted") {
        slowWrites = Number(Deno.env.get(variable) ?? 0) || 0;
      }
    } catch { /* no permission API: no hook */ }
  }
  return slowWrites;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * Write `bytes` to `path` atomically: a temporary file beside it (`<path>.tmp-<pid>`), flushed to disk,
 * then a rename. A failed write (a full disk) removes its temporary file; one a kill interrupted is
 * removed by the next process that opens the run folder (`openRunFolder`).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      const slow = slowWriteMs();
      if (slow > 0) {
        const piece = Math.ceil(data.length / 8);
        for (let at = 0; at < data.length; at += piece) {
          await writeAll(file, data.subarray(at, at + piece));
          await new Promise((r) => setTimeout(r, slow));
        }
      } else await writeAll(file, data);
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Save a checkpoint atomically. */
export async function saveCheckpoint<S>(path: string, c: Checkpoint<S>): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(c));
}

/** Load a checkpoint, or undefined when there is none at `path`. */
export async function loadCheckpoint<S>(path: string): Promise<Checkpoint<S> | undefined> {
  const bytes = await readFileIfExists(path);
  return bytes && decodeCheckpoint<S>(bytes, path);
}
