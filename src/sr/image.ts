/**
 * Images for super-resolution: 8-bit pixels, row-major, channels interleaved (RGB, or one grey channel
 * for the grey images of Set14), read from PNG files with clear errors for anything else.
 * @module
 */
import { decodePngBytes } from "../deps/fast_png.ts";

/** An 8-bit image: `data[(y * width + x) * channels + c]`. */
export interface SrImage {
  readonly width: number;
  readonly height: number;
  /** 3 (RGB) or 1 (grey: the SR protocol scores its values as they are, without a colour transform). */
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Decode a PNG file's bytes; `name` (the file) is quoted in errors. RGB and grey 8-bit images are kept as
 * they are; a palette image is expanded to RGB, and an alpha channel is dropped only when every pixel is
 * opaque. Refused, with the reason: not a PNG, a truncated or damaged one, 16-bit samples, or
 * transparency (a super-resolution benchmark image has neither).
 * @example
 * ```ts
 * import { decodePng } from "./image.ts";
 * try {
 *   decodePng(new TextEncoder().encode("GIF89a..."), "photo.gif");
 * } catch (e) {
 *   console.assert((e as Error).message.startsWith("photo.gif is not a PNG file"));
 * }
 * ```
 */
export function decodePng(bytes: Uint8Array, name = "the image"): SrImage {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${name} is not a PNG file (its first bytes are not PNG's signature): give a .png image`);
  }
  let png;
  try {
    png = decodePngBytes(bytes);
  } catch (e) {
    throw new Error(
      `${name} is a truncated or damaged PNG (${(e as Error).message}): re-copy or re-download it`,
    );
  }
  const { width, height, depth } = png;
  if (depth !== 8) {
    throw new Error(
      `${name} has ${depth}-bit samples: super-resolution reads 8-bit PNGs (convert it to 8 bits)`,
    );
  }
  const pixels = width * height;
  const src = png.data as Uint8Array;
  if (png.palette) {
    const data = new Uint8Array(pixels * 3);
    for (let i = 0; i < pixels; i++) {
      const entry = png.palette[src[i]];
      if (!entry) throw new Error(`${name}: pixel ${i} names palette entry ${src[i]}, which is not there`);
      if (entry.length === 4 && entry[3] !== 255) throw transparent(name);
      data.set(entry.slice(0, 3), i * 3);
    }
    return { width, height, channels: 3, data };
  }
  const channels = png.channels;
  if (channels === 1 || channels === 3) return { width, height, channels, data: src };
  if (channels === 2 || channels === 4) {
    const keep = channels - 1;
    const data = new Uint8Array(pixels * keep);
    for (let i = 0; i < pixels; i++) {
      if (src[i * channels + keep] !== 255) throw transparent(name);
      for (let c = 0; c < keep; c++) data[i * keep + c] = src[i * channels + c];
    }
    return { width, height, channels: keep as 1 | 3, data };
  }
  throw new Error(`${name} has ${channels} channels: super-resolution reads grey or RGB images`);
}

function transparent(name: string): Error {
  return new Error(
    `${name} has transparent pixels: super-resolution reads opaque grey or RGB images (flatten it first)`,
  );
}

/** Read and decode a PNG file (see {@link decodePng}); a missing file is named in the error. */
export async function readPng(path: string | URL): Promise<SrImage> {
  const name = path instanceof URL ? path.pathname : path;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`no image at ${name}`);
    throw e;
  }
  return decodePng(bytes, name);
}

/** The image cropped to `width` × `height` pixels from (`left`, `top`). */
export function cropImage(img: SrImage, left: number, top: number, width: number, height: number): SrImage {
  if (
    left < 0 || top < 0 || left + width > img.width || top + height > img.height || width < 1 || height < 1
  ) {
    throw new Error(
      `cropImage: ${width}×${height} at (${left}, ${top}) is outside the ${img.width}×${img.height} image`,
    );
  }
  const c = img.channels;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * c;
    data.set(img.data.subarray(from, from + width * c), y * width * c);
  }
  return { width, height, channels: c, data };
}

/**
 * The SR protocol's `modcrop`: the top-left part whose sides are multiples of `scale`, so that an image
 * shrunk by `scale` and grown back has the original's size.
 */
export function modCrop(img: SrImage, scale: number): SrImage {
  const width = img.width - (img.width % scale), height = img.height - (img.height % scale);
  return width === img.width && height === img.height ? img : cropImage(img, 0, 0, width, height);
}
