/**
 * The SIMD kernels of kernels.c, instantiated inside the tfjs wasm backend's own memory, so they read
 * and write tensors in place (no copies). Each backend instance gets one instance of the module and a
 * small stack of its own, taken from tfjs' allocator.
 * @module
 */
import { PLAIN_WASM, SHARED_WASM } from "./binaries.ts";

/** The exports of kernels.c (pointers are byte offsets into the tfjs heap). */
export interface SimdKernels {
  bn_forward(
    x: number,
    xhat: number,
    invStd: number,
    runMean: number,
    runVar: number,
    shift: number,
    newMean: number,
    newVar: number,
    rows: number,
    c: number,
    eps: number,
    momentum: number,
  ): void;
  bn_backward(dy: number, xhat: number, invStd: number, dx: number, rows: number, c: number): void;
  bn_affine(xhat: number, gamma: number, beta: number, y: number, rows: number, c: number): void;
  bn_affine_backward(
    dy: number,
    xhat: number,
    invStd: number,
    gamma: number,
    dx: number,
    dGamma: number,
    dBeta: number,
    rows: number,
    c: number,
  ): void;
  mixed_sum4(
    out: number,
    accumulate: number,
    n: number,
    t0: number,
    t1: number,
    t2: number,
    t3: number,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
  ): void;
  mixed_sum_grad4(
    dy: number,
    n: number,
    t0: number,
    t1: number,
    t2: number,
    t3: number,
    d0: number,
    d1: number,
    d2: number,
    d3: number,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
    dots: number,
  ): void;
  relu_grad(dr: number, h: number, dh: number, n: number): void;
  conv_filter_grad(
    x: number,
    dy: number,
    dw: number,
    batch: number,
    h: number,
    w: number,
    ci: number,
    ho: number,
    wo: number,
    co: number,
    kh: number,
    kw: number,
    padTop: number,
    padLeft: number,
  ): void;
  avg_pool3(x: number, out: number, batch: number, h: number, w: number, c: number, pre: number): void;
  /** Depthwise conv, multiplier 1: y = x ⊛ f (NHWC, filter [kh, kw, c]); c ≥ 4, kh, kw ≤ 8. */
  dw_forward(x: number, f: number, y: number, ...geometry: DepthwiseGeometryArgs): void;
  /** Its input gradient: dx from dy and f (same geometry, the forward's). */
  dw_input_grad(dy: number, f: number, dx: number, ...geometry: DepthwiseGeometryArgs): void;
  /** Its filter gradient: dw from x and dy (same geometry). */
  dw_filter_grad(x: number, dy: number, dw: number, ...geometry: DepthwiseGeometryArgs): void;
  /** Max-pooling gradient (NHWC, square window k, stride s, symmetric padding p): dx from dy and x. */
  max_pool_grad(
    dy: number,
    x: number,
    dx: number,
    batch: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    k: number,
    s: number,
    p: number,
  ): void;
  /** The module's stack pointer (a byte offset into the tfjs heap; 16-byte aligned). */
  stackPointer(): number;
  /** 4 floats of scratch for results (e.g. dot products). */
  scratch: number;
  heapF32(): Float32Array;
}

/**
 * A depthwise conv's geometry as the C kernels take it: batch, h, w, c, ho, wo, kh, kw, sh, sw, dh, dw,
 * top, left (the forward conv reads x[oh·sh + th·dh − top][ow·sw + tw·dw − left]).
 */
export type DepthwiseGeometryArgs = [
  batch: number,
  h: number,
  w: number,
  c: number,
  ho: number,
  wo: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  dh: number,
  dw: number,
  top: number,
  left: number,
];

interface EmscriptenModule {
  wasmMemory?: WebAssembly.Memory;
  asm?: Record<string, unknown>;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
}

const STACK_BYTES = 64 * 1024;
let enabled = true;
const instances = new WeakMap<object, SimdKernels | null>();

/** Turn the SIMD kernels off (the JS versions run instead), e.g. to compare both. */
export function setSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

function instantiate(m: EmscriptenModule): SimdKernels | null {
  const memory = m.wasmMemory ??
    Object.values(m.asm ?? {}).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
  if (!memory || typeof m._malloc !== "function" || typeof WebAssembly.validate !== "function") return null;
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const bytes = decode(shared ? SHARED_WASM : PLAIN_WASM);
  if (!WebAssembly.validate(bytes)) return null; // no SIMD in this engine
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const ex = instance.exports as unknown as Omit<SimdKernels, "scratch" | "heapF32" | "stackPointer"> & {
    __stack_pointer: WebAssembly.Global;
  };
  // The module's stack lives in a block tfjs' allocator gave us (never freed: one per backend). malloc
  // aligns to 8 bytes; the compiled C assumes a 16-byte aligned stack (v128 slots), so round the top.
  const block = m._malloc(STACK_BYTES + 32);
  const top = (block + STACK_BYTES + 15) & ~15;
  ex.__stack_pointer.value = top;
  return {
    ...ex,
    stackPointer: () => ex.__stack_pointer.value as number,
    scratch: top,
    heapF32: () => m.HEAPF32,
  };
}

/** The SIMD kernels for a tfjs wasm backend instance, or null (disabled, or not available). */
export function simdKernels(backend: unknown): SimdKernels | null {
  if (!enabled) return null;
  const m = (backend as { wasm?: EmscriptenModule }).wasm;
  if (!m) return null;
  if (!instances.has(m)) instances.set(m, instantiate(m));
  return instances.get(m)!;
}
