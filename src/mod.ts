/**
 * sadarts: differentiable neural architecture search (SA-DARTS and its baselines) on TensorFlow.js.
 *
 * ```ts
 * import { cellDiagram, searchConfig, search, selectBackend } from "./src/mod.ts";
 * await selectBackend("auto", { verbose: true });
 * const run = await search(searchConfig({ method: "sa", preset: "smoke" }));
 * cellDiagram(run.summary.cell); // shown inline in a notebook
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
export * from "./methods/mod.ts";
export * from "./samplers/mod.ts";
export * from "./regularizers/mod.ts";
export * from "./metrics/architecture.ts";
export * from "./data/mod.ts";
export * from "./benchmarks/nb201.ts";
export * from "./benchmarks/opSwaps.ts";
export * from "./runs/mod.ts";
export * from "./plots/mod.ts";

registerTrainingKernels();
