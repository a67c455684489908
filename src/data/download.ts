/**
 * Downloads and unpacks the official CIFAR binary archives, for users with internet (the tests and the
 * `cpu` preset never need it: they read the files in `data/` and `test/fixtures/`).
 *
 * The download goes to `<archive>.part` and resumes with an HTTP Range request after an interruption;
 * the archive's size is checked before it is renamed into place, and the `.bin` files are taken out of
 * the tar.gz with the platform's gzip `DecompressionStream` and the small tar reader below (no
 * dependencies). Each step is skipped when its result is already there, so a second call costs nothing.
 * @module
 */
import { join } from "node:path";
import { CIFAR_ARCHIVE_URLS, cifarRecordBytes, type CifarVariant } from "./cifar.ts";

/** What each official archive holds and how big it is. */
export const CIFAR_ARCHIVES: Record<CifarVariant, {
  /** Archive file name, also its name under the base URL. */
  file: string;
  /** Archive size in bytes. */
  bytes: number;
  /** Folder inside the archive. */
  dir: string;
  train: readonly string[];
  test: string;
  /** Label-name files, extracted alongside. */
  meta: readonly string[];
  /** Records per training file and in the test file. */
  trainRecords: number;
  testRecords: number;
}> = {
  cifar10: {
    file: "cifar-10-binary.tar.gz",
    bytes: 170052171,
    dir: "cifar-10-batches-bin",
    train: [
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
    ],
    test: "test_batch.bin",
    meta: ["batches.meta.txt"],
    trainRecords: 10000,
    testRecords: 10000,
  },
  cifar100: {
    file: "cifar-100-binary.tar.gz",
    bytes: 168513733,
    dir: "cifar-100-binary",
    train: ["train.bin"],
    test: "test.bin",
    meta: ["coarse_label_names.txt", "fine_label_names.txt"],
    trainRecords: 50000,
    testRecords: 10000,
  },
};

/** Thrown when the server cannot be reached at all (as opposed to an HTTP error). */
export class OfflineError extends Error {
  override name = "OfflineError";
}

/** Options of `downloadCifar`. */
export interface DownloadCifarOptions {
  variant: CifarVariant;
  /** Where the archive and the extracted folder go. */
  cacheDir: string;
  /** Base URL of the archives (default the official CIFAR page); a mirror must serve the same files. */
  baseUrl?: string;
  /** Called with (bytes so far, total) while downloading. */
  onProgress?: (bytes: number, total: number) => void;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
}

/** The extracted files of one variant. */
export interface CifarFiles {
  /** Training files (5 for CIFAR-10, 1 for CIFAR-100). */
  train: string[];
  test: string;
  /** The folder they are in. */
  dir: string;
}

/**
 * Makes sure the official binaries of `variant` are in `cacheDir` (downloading and extracting the
 * archive when needed) and returns their paths. Offline, it fails with an `OfflineError` that says where
 * to put the files by hand.
 */
export async function downloadCifar(options: DownloadCifarOptions): Promise<CifarFiles> {
  const { variant, cacheDir } = options;
  const spec = CIFAR_ARCHIVES[variant];
  if (!spec) throw new Error(`unknown CIFAR variant "${variant}": use "cifar10" or "cifar100"`);
  const dir = join(cacheDir, spec.dir);
  const files: CifarFiles = { train: spec.train.map((f) => join(dir, f)), test: join(dir, spec.test), dir };
  if (await extracted(variant, dir)) return files;

  const baseUrl = options.baseUrl ?? CIFAR_ARCHIVE_URLS[variant].slice(0, -spec.file.length);
  const url = new URL(spec.file, baseUrl.endsWith("/") ? baseUrl : baseUrl + "/").href;
  const archive = join(cacheDir, spec.file);
  await Deno.mkdir(cacheDir, { recursive: true });
  try {
    await downloadResumable(url, archive, {
      expectedBytes: spec.bytes,
      onProgress: options.onProgress,
      fetch: options.fetch,
    });
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    throw new OfflineError(
      `${e.message}; put the files in ${cacheDir} by hand: either the archive ${spec.file} ` +
        `(${spec.bytes} bytes, from ${CIFAR_ARCHIVE_URLS[variant]}) or its extracted folder ${spec.dir}/ ` +
        `(${[...spec.train, spec.test].join(", ")})`,
      { cause: e.cause },
    );
  }
  await extractCifar(archive, cacheDir, variant);
  return files;
}

/** Whether every binary of `variant` is in `dir` with its exact size. */
async function extracted(variant: CifarVariant, dir: string): Promise<boolean> {
  const spec = CIFAR_ARCHIVES[variant];
  const record = cifarRecordBytes(variant);
  const wanted: [string, number][] = [
    ...spec.train.map((f): [string, number] => [f, spec.trainRecords * record]),
    [spec.test, spec.testRecords * record],
  ];
  for (const [file, bytes] of wanted) {
    if ((await sizeOf(join(dir, file))) !== bytes) return false;
  }
  return true;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Options of `downloadResumable`. */
export interface DownloadOptions {
  /** The file's exact size: checked before the download is renamed into place. */
  expectedBytes: number;
  onProgress?: (bytes: number, total: number) => void;
  fetch?: typeof fetch;
}

/**
 * Downloads `url` to `dest` through `dest.part`, resuming a previous `.part` with a Range request. A
 * server that ignores Range (200 instead of 206) restarts the download from zero. The result must have
 * `expectedBytes` bytes; an interrupted download keeps its `.part` for the next call.
 */
export async function downloadResumable(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const { expectedBytes, onProgress } = options;
  const fetchFn = options.fetch ?? globalThis.fetch;
  if ((await sizeOf(dest)) === expectedBytes) return;
  const part = dest + ".part";
  let have = (await sizeOf(part)) ?? 0;
  if (have > expectedBytes) {
    await Deno.remove(part);
    have = 0;
  }
  if (have < expectedBytes) {
    let response: Response;
    try {
      response = await fetchFn(url, have > 0 ? { headers: { Range: `bytes=${have}-` } } : {});
    } catch (e) {
      throw new OfflineError(`could not reach ${url}: you seem to be offline (${(e as Error).message})`, {
        cause: e,
      });
    }
    let append = false;
    if (response.status === 206 && have > 0) {
      const start = Number(/bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1]);
      if (start !== have) {
        await response.body?.cancel();
        throw new Error(
          `${url} resumed at byte ${start} instead of ${have}; delete ${part} and try again`,
        );
      }
      append = true;
    } else if (response.status === 416 && have > 0) {
      // Range not satisfiable: the .part does not belong to this file. Start over.
      await response.body?.cancel();
      await Deno.remove(part);
      return downloadResumable(url, dest, options);
    } else if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
    }
    if (!response.body) throw new Error(`${url}: the response has no body`);
    let written = append ? have : 0;
    const file = await Deno.open(
      part,
      append ? { append: true, create: true } : { write: true, create: true, truncate: true },
    );
    try {
      for await (const chunk of response.body) {
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
        written += chunk.length;
        onProgress?.(written, expectedBytes);
      }
    } catch (e) {
      throw new Error(
        `download of ${url} interrupted after ${written} of ${expectedBytes} bytes (${
          (e as Error).message
        }); ` +
          `call again to resume from ${part}`,
        { cause: e },
      );
    } finally {
      file.close();
    }
  }
  const got = (await sizeOf(part)) ?? 0;
  if (got !== expectedBytes) {
    throw new Error(
      `${url} gave ${got} bytes, expected ${expectedBytes}: ` +
        (got < expectedBytes
          ? `the download stopped early; call again to resume from ${part}`
          : `not the expected file; delete ${part} and check the URL`),
    );
  }
  await Deno.rename(part, dest);
}

/**
 * Extracts the `.bin` and label-name files of `variant` from its archive into `cacheDir` (keeping the
 * archive's folder), each written to a temporary name first so a half-written file never looks done.
 */
export async function extractCifar(archive: string, cacheDir: string, variant: CifarVariant): Promise<void> {
  const spec = CIFAR_ARCHIVES[variant];
  const wanted = new Set([...spec.train, spec.test, ...spec.meta].map((f) => `${spec.dir}/${f}`));
  await Deno.mkdir(join(cacheDir, spec.dir), { recursive: true });
  const file = await Deno.open(archive, { read: true });
  const found = new Set<string>();
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip"));
  try {
    for await (const entry of readTar(stream, { include: (name) => wanted.has(normalizeTarName(name)) })) {
      if (!entry.data) continue;
      const name = normalizeTarName(entry.name);
      const path = join(cacheDir, name);
      await Deno.writeFile(path + ".tmp", entry.data);
      await Deno.rename(path + ".tmp", path);
      found.add(name);
    }
  } catch (e) {
    throw new Error(`${archive}: ${(e as Error).message} (delete it to download it again)`, { cause: e });
  }
  const missing = [...spec.train, spec.test].filter((f) => !found.has(`${spec.dir}/${f}`));
  if (missing.length > 0) {
    throw new Error(
      `${archive} lacks ${missing.map((f) => `${spec.dir}/${f}`).join(", ")}: not the official archive?`,
    );
  }
  if (!(await extracted(variant, join(cacheDir, spec.dir)))) {
    throw new Error(`${archive}: the extracted files do not have the official sizes`);
  }
}

function normalizeTarName(name: string): string {
  return name.replace(/^\.\//, "");
}

// ---------------------------------------------------------------------------------------------------
// A minimal tar reader

/** One entry of a tar archive. */
export interface TarEntry {
  /** Path inside the archive (ustar prefix, GNU long names and pax `path` applied). */
  name: string;
  type: "file" | "directory" | "other";
  size: number;
  /** The contents: only for files that `include` accepted. */
  data?: Uint8Array;
}

/** Options of `readTar`. */
export interface ReadTarOptions {
  /** Which files to read into memory (default all); the others are skipped without buffering. */
  include?: (name: string) => boolean;
}

/** Pulls exact byte counts out of a stream of chunks. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #pos = 0;
  offset = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Next chunk with unread bytes, or null at the end of the stream. */
  async #fill(): Promise<boolean> {
    while (this.#pos >= this.#chunk.length) {
      const { value, done } = await this.#reader.read();
      if (done) return false;
      this.#chunk = value;
      this.#pos = 0;
    }
    return true;
  }

  /** Reads n bytes into `into` (or a new array), or returns null at a clean end of stream. */
  async read(n: number, into?: Uint8Array): Promise<Uint8Array | null> {
    const out = into ?? new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.#fill())) {
        if (got === 0) return null;
        throw new Error(`the archive ends in the middle of a block (byte ${this.offset})`);
      }
      const take = Math.min(n - got, this.#chunk.length - this.#pos);
      out.set(this.#chunk.subarray(this.#pos, this.#pos + take), got);
      this.#pos += take;
      got += take;
      this.offset += take;
    }
    return out;
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (!(await this.#fill())) {
        throw new Error(`the archive ends in the middle of an entry (byte ${this.offset})`);
      }
      const take = Math.min(n, this.#chunk.length - this.#pos);
      this.#pos += take;
      n -= take;
      this.offset += take;
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

const BLOCK = 512;

function cString(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? field.subarray(0, end) : field);
}

/** A numeric header field: octal ASCII, or GNU base-256 when the high bit of the first byte is set. */
function tarNumber(block: Uint8Array, start: number, length: number): number {
  if (block[start] & 0x80) {
    let v = block[start] & 0x7f;
    for (let i = 1; i < length; i++) v = v * 256 + block[start + i];
    return v;
  }
  const text = cString(block, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`bad number "${text}" in a tar header: not a tar archive`);
  return text === "" ? 0 : parseInt(text, 8);
}

/** pax extended header records: "<length> <key>=<value>\n". */
function paxRecords(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of new TextDecoder().decode(data).split("\n")) {
    const m = /^\d+ ([^=]+)=(.*)$/s.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * Reads a (ustar / GNU / pax) tar stream entry by entry. Only what a CIFAR archive needs: regular files
 * and directories, with long names; headers are checksum-verified so a wrong or damaged stream fails
 * with a clear message rather than garbage.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  options: ReadTarOptions = {},
): AsyncGenerator<TarEntry> {
  const include = options.include ?? (() => true);
  const reader = new ByteReader(stream);
  let longName: string | null = null;
  try {
    while (true) {
      const at = reader.offset;
      const header = await reader.read(BLOCK);
      if (header === null || header.every((b) => b === 0)) return; // end-of-archive marker (or plain end)
      const stored = tarNumber(header, 148, 8);
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
      if (sum !== stored) {
        throw new Error(`bad tar header checksum at byte ${at}: not a tar archive, or damaged`);
      }
      const size = tarNumber(header, 124, 12);
      const flag = String.fromCharCode(header[156]);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (flag === "L" || flag === "x") {
        // Metadata for the next entry: a GNU long name, or pax records (of which only `path` matters).
        const data = (await reader.read(padded)) ?? new Uint8Array(0);
        const body = data.subarray(0, size);
        longName = flag === "L" ? cString(body, 0, size) : (paxRecords(body).path ?? longName);
        continue;
      }
      if (flag === "g") { // pax global header: nothing a reader of CIFAR needs
        await reader.skip(padded);
        continue;
      }
      let name = cString(header, 0, 100);
      if (cString(header, 257, 5) === "ustar") {
        const prefix = cString(header, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (longName !== null) name = longName;
      longName = null;
      const type = flag === "0" || flag === "\0" || flag === "7"
        ? "file"
        : flag === "5"
        ? "directory"
        : "other";
      if (type === "file" && include(name)) {
        const data = new Uint8Array(size);
        if (size > 0 && (await reader.read(size, data)) === null) {
          throw new Error(`the archive ends inside ${name}`);
        }
        await reader.skip(padded - size);
        yield { name, type, size, data };
      } else {
        await reader.skip(padded);
        yield { name, type, size };
      }
    }
  } finally {
    await reader.cancel();
  }
}
