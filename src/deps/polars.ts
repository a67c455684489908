/**
 * nodejs-polars, pinned: sadarts' source names its npm packages through src/deps/ so that it imports from
 * any folder, with or without this repository's deno.json.
 * @module
 */
export * from "npm:nodejs-polars@0.25.2";
export { default } from "npm:nodejs-polars@0.25.2";
