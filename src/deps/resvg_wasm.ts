/**
 * @resvg/resvg-wasm, pinned: sadarts' source names its npm packages through src/deps/ so that it imports from
 * any folder, with or without this repository's deno.json.
 * @module
 */
export * from "npm:@resvg/resvg-wasm@2.6.2";
/** This package, for locating its .wasm file ({@link npmPackageDir}). */
export const RESVG_WASM_PACKAGE = "npm:@resvg/resvg-wasm@2.6.2";
