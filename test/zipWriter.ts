/** A minimal ZIP writer for tests (stored or deflated entries, no ZIP64): the archives the readers get. */
import { crc32 } from "../src/data/zip.ts";

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The bytes of a ZIP archive holding `entries` in order; `descriptor` entries are written as a streaming
 * zipper writes them (flag bit 3: zero sizes and CRC in the local header, a data descriptor after the data).
 */
export async function writeZip(
  entries: { name: string; data: Uint8Array; deflate?: boolean; descriptor?: boolean }[],
): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [], centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const body = e.deflate ? await deflateRaw(e.data) : e.data;
    const crc = crc32(e.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, e.descriptor ? 8 : 0, true);
    lv.setUint16(8, e.deflate ? 8 : 0, true);
    if (!e.descriptor) {
      lv.setUint32(14, crc, true);
      lv.setUint32(18, body.length, true);
      lv.setUint32(22, e.data.length, true);
    }
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, e.descriptor ? 8 : 0, true);
    cv.setUint16(10, e.deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    const trailer = new Uint8Array(e.descriptor ? 16 : 0);
    if (e.descriptor) {
      const tv = new DataView(trailer.buffer);
      tv.setUint32(0, 0x08074b50, true);
      tv.setUint32(4, crc, true);
      tv.setUint32(8, body.length, true);
      tv.setUint32(12, e.data.length, true);
    }
    locals.push(local, body, trailer);
    centrals.push(central);
    offset += local.length + body.length + trailer.length;
  }
  const dirSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, dirSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + dirSize + 22);
  let p = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
