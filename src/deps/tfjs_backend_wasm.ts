/**
 * @tensorflow/tfjs-backend-wasm, pinned: sadarts' source names its npm packages through src/deps/ so that it imports from
 * any folder, with or without this repository's deno.json.
 * @module
 */
export * from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
/** This package, for locating its .wasm files ({@link npmPackageDir}). */
export const TFJS_BACKEND_WASM_PACKAGE = "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
