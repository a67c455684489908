/**
 * sadarts: differentiable neural architecture search (SA-DARTS and its baselines) on TensorFlow.js.
 *
 * ```ts
 * import { selectBackend, ParamStore, createNb201Supernet, nb201Forward } from "./src/mod.ts";
 * await selectBackend("auto", { verbose: true });
 * ```
 * Importing this module registers sadarts' training kernels (conv gradients for wasm, dilated-conv
 * gradients everywhere); `selectBackend` does so too.
 * @module
 */
import { registerTrainingKernels } from "./backend/kernels/mod.ts";

export * from "./backend/select.ts";
export * from "./backend/kernels/mod.ts";
export * from "./ops/mod.ts";
export * from "./spaces/nb201.ts";
export * from "./supernet/mixedEdge.ts";
export * from "./supernet/nb201.ts";
export * from "./search/mod.ts";

registerTrainingKernels();
