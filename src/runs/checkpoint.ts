/**
 * Checkpoints: named float32/int32 tensors plus a JSON state, in one file written atomically (a temporary
 * file in the same folder, then a rename), so a run killed at any moment leaves either the previous
 * checkpoint or the new one, never half of one. Values round-trip bit for bit.
 *
 * Layout: "SADARTSC" (8 bytes), the JSON header's byte length (uint32 LE), the UTF-8 JSON header
 * `{ state, tensors: [{ name, dtype, shape, offset, length }] }`, then the raw little-endian data,
 * each tensor's bytes starting at a multiple of 4.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { readFileIfExists } from "../data/dataFile.ts";

const MAGIC = "SADARTSC";

/** What a checkpoint holds: tensors by name, and any JSON-serialisable state (epoch, RNG, history…). */
export interface Checkpoint<S = unknown> {
  tensors: Record<string, tf.Tensor>;
  state: S;
}

interface Entry {
  name: string;
  dtype: "float32" | "int32";
  shape: number[];
  offset: number;
  length: number;
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
  const out = new Uint8Array(12 + header.length + pad + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length + pad, true);
  out.set(header, 12);
  out.fill(0x20, 12 + header.length, 12 + header.length + pad); // spaces: still valid JSON
  let at = 12 + header.length + pad;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Decode a checkpoint; throws a clear error on anything that is not a whole one. */
export function decodeCheckpoint<S>(bytes: Uint8Array, source = "checkpoint"): Checkpoint<S> {
  const fail = (why: string) => new Error(`${source} is not a valid sadarts checkpoint (${why})`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw fail("bad magic");
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.length) throw fail("truncated header");
  let header: { state: S; tensors: Entry[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    throw fail("unreadable header");
  }
  const base = 12 + headerLength;
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of header.tensors) {
    if (base + e.offset + e.length > bytes.length) throw fail(`truncated data for "${e.name}"`);
    const raw = bytes.slice(base + e.offset, base + e.offset + e.length);
    const values = e.dtype === "int32" ? new Int32Array(raw.buffer) : new Float32Array(raw.buffer);
    tensors[e.name] = tf.tensor(values, e.shape, e.dtype);
  }
  return { state: header.state, tensors };
}

/** Write `bytes` to `path` atomically: a temporary file beside it, then a rename. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  if (typeof bytes === "string") await Deno.writeTextFile(tmp, bytes);
  else await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
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
