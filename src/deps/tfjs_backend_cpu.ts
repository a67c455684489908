/**
 * @tensorflow/tfjs-backend-cpu, pinned: sadarts' source names its npm packages through src/deps/ so that it imports from
 * any folder, with or without this repository's deno.json.
 * @module
 */
export * from "npm:@tensorflow/tfjs-backend-cpu@4.22.0";
