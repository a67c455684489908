/**
 * @observablehq/plot, pinned: sadarts' source names its npm packages through src/deps/ so that it imports from
 * any folder, with or without this repository's deno.json.
 * @module
 */
export * from "npm:@observablehq/plot@0.6.17";
