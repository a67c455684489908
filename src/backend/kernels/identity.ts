/**
 * `Identity` on wasm without a copy. tfjs clones every tensor it saves for the backward pass with the
 * Identity kernel, and tfjs-backend-wasm's Identity copies the data: a supernet's saved activations
 * then exist twice (measured: 2.2× the memory of the distinct tensors, and ~1,500 copies per search
 * step). Tensors are immutable and the wasm backend counts references per buffer, so the clone can share
 * the buffer, exactly as tfjs-backend-cpu's Identity does.
 * @module
 */
import * as tf from "../../deps/tfjs_core.ts";

interface RefCounting {
  incRef(dataId: unknown): void;
}

/** The shared-buffer Identity kernel for the wasm backend. */
export const wasmIdentityConfig: tf.KernelConfig = {
  kernelName: "Identity",
  backendName: "wasm",
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    (backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};

/** Replace tfjs-backend-wasm's copying Identity (call after the wasm package has registered its kernels). */
export function registerWasmIdentity(): void {
  if (tf.getKernel("Identity", "wasm") === wasmIdentityConfig) return;
  if (tf.getKernel("Identity", "wasm")) tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel(wasmIdentityConfig);
}
