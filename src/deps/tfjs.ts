/**
 * @tensorflow/tfjs, pinned: sadarts' source names its npm packages through src/deps/ so that it imports from
 * any folder, with or without this repository's deno.json.
 * @module
 */
// Imported for its side effect: it registers the gradients tfjs-core's Node bundle lacks.
import "npm:@tensorflow/tfjs@4.22.0";
