/**
 * fast-png, pinned (see linkedom.ts for why through src/deps/). Chosen as the PNG decoder because it is
 * pure JavaScript with no Node streams or native parts (it runs the same under Deno, in a Jupyter kernel
 * and in a browser), decodes every PNG colour type and bit depth, including interlaced files, and is
 * maintained (image-js; ~17M downloads a month). pngjs is as complete but built on Node streams and
 * Buffers; @jsquash/png needs a wasm file fetched at run time.
 * @module
 */
export { decode as decodePngBytes, encode as encodePngBytes } from "npm:fast-png@8.0.0";
