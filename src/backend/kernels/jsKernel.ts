/**
 * Fused kernels written once in JavaScript over Float32Arrays and registered for the two CPU backends:
 * on wasm they read and write the wasm heap in place, on cpu the backend's own arrays.
 *
 * Why: a search step on small tensors is dominated by the number of tfjs kernels, not by FLOPs (batch
 * norm alone is ~18 kernels forward and backward). One pass in JIT-compiled JavaScript replaces a chain
 * of kernels, each with its own dispatch, allocation and, on wasm, transposes for reductions over
 * N, H, W. Other backends (webgpu, tensorflow) run the composed tf-op fallback of each caller.
 * @module
 */
import * as tf from "../../deps/tfjs_core.ts";
import { type SimdKernels, simdKernels } from "./simd/mod.ts";

/** A kernel over float32 row-major buffers. */
export interface JsKernel<A extends tf.NamedAttrMap = tf.NamedAttrMap> {
  /** The tfjs kernel name (prefix `Sadarts`). */
  name: string;
  /** Output shapes from the input shapes and attributes. */
  outputShapes(shapes: number[][], attrs: A): number[][];
  /** Fill `outputs` from `inputs`: every element must be written (wasm outputs are not zeroed). */
  compute(inputs: Float32Array[], outputs: Float32Array[], shapes: number[][], attrs: A): void;
  /**
   * The same on the wasm backend with the SIMD kernels of ./simd/kernels.c, given byte offsets of the
   * inputs and outputs in the tfjs heap. Used instead of `compute` there when present; returning false
   * (shapes it does not handle) falls back to `compute`.
   */
  simd?(simd: SimdKernels, inputs: number[], outputs: number[], shapes: number[][], attrs: A): boolean | void;
}

/** Backends that run JS kernels. */
const JS_BACKENDS = ["wasm", "cpu"] as const;

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  getMemoryOffset(dataId: unknown): number;
}

interface CpuLike {
  readSync(dataId: unknown): Float32Array;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function wasmKernel<A extends tf.NamedAttrMap>(k: JsKernel<A>): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as unknown as WasmLike;
    const ins = Object.values(inputs) as tf.TensorInfo[];
    const shapes = ins.map((t) => t.shape);
    const outs = k.outputShapes(shapes, attrs as A).map((s) => be.makeOutput(s, "float32"));
    const simd = k.simd && simdKernels(backend);
    const offset = (t: tf.TensorInfo) => be.getMemoryOffset(t.dataId);
    if (simd && k.simd!(simd, ins.map(offset), outs.map(offset), shapes, attrs as A) !== false) return outs;
    // Views after every allocation: growing the heap detaches earlier views.
    k.compute(
      ins.map((t) => be.typedArrayFromHeap(t)),
      outs.map((o) => be.typedArrayFromHeap(o)),
      shapes,
      attrs as A,
    );
    return outs;
  };
}

function cpuKernel<A extends tf.NamedAttrMap>(k: JsKernel<A>): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as unknown as CpuLike;
    const ins = Object.values(inputs) as tf.TensorInfo[];
    const shapes = ins.map((t) => t.shape);
    const outShapes = k.outputShapes(shapes, attrs as A);
    const outViews = outShapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
    k.compute(ins.map((t) => be.readSync(t.dataId) as Float32Array), outViews, shapes, attrs as A);
    return outShapes.map((s, i) => be.makeTensorInfo(s, "float32", outViews[i]));
  };
}

/** Register `k` for the wasm and cpu backends (idempotent). */
export function registerJsKernel<A extends tf.NamedAttrMap>(k: JsKernel<A>): void {
  for (const backendName of JS_BACKENDS) {
    if (tf.getKernel(k.name, backendName)) continue;
    tf.registerKernel({
      kernelName: k.name,
      backendName,
      kernelFunc: backendName === "wasm" ? wasmKernel(k) : cpuKernel(k),
    });
  }
}

let enabled = true;

/** Turn the fused JS kernels off (callers then run their tf-op fallback), e.g. to compare both paths. */
export function setJsKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether callers should use JS kernels: enabled, and the active backend is wasm or cpu. */
export function jsKernelsActive(): boolean {
  return enabled && (JS_BACKENDS as readonly string[]).includes(tf.getBackend());
}

/** Run a registered JS kernel on float32 tensors; returns its outputs. */
export function runJsKernel<A extends tf.NamedAttrMap>(
  k: JsKernel<A>,
  inputs: tf.Tensor[],
  attrs: A,
): tf.Tensor[] {
  registerJsKernel(k);
  for (const t of inputs) {
    if (t.dtype !== "float32") throw new Error(`${k.name}: inputs must be float32, got ${t.dtype}`);
  }
  const named = Object.fromEntries(inputs.map((t, i) => [`in${i}`, t]));
  const out = tf.engine().runKernel(k.name, named, attrs);
  return Array.isArray(out) ? out : [out];
}
