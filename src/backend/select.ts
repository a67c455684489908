/**
 * Picking and initialising a TensorFlow.js backend under Deno.
 *
 * Order of preference for `"auto"`: tfjs-node-gpu, tfjs-node (both only when the user installed them:
 * their install downloads libtensorflow), WebGPU (only with a hardware adapter: a software adapter such
 * as llvmpipe is far slower than wasm), then wasm (XNNPACK, SIMD), which is the CPU workhorse.
 * `"cpu"` is the plain-JS reference backend used by the tests.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
// tfjs-core's Node bundle registers no gradients, and its ESM files (extension-less relative imports)
// do not load in Deno: the @tensorflow/tfjs bundle registers them, sharing tfjs-core's global registry.
import "../deps/tfjs.ts";
import { installEagerBackprop } from "./eagerBackprop.ts";
import { registerWasmIdentity } from "./kernels/identity.ts";
import { registerTrainingKernels } from "./kernels/mod.ts";
import { startThreadedWasm } from "./wasmThreads.ts";

/** The backend names accepted by {@linkcode selectBackend}. */
export const BACKEND_NAMES = ["auto", "tensorflow-gpu", "tensorflow", "webgpu", "wasm", "cpu"] as const;
/** A backend name accepted by {@linkcode selectBackend}. */
export type BackendName = typeof BACKEND_NAMES[number];

/** What {@linkcode selectBackend} chose. */
export interface BackendInfo {
  /** The name asked for. */
  requested: BackendName;
  /** The backend now active (one of the names above, never "auto"). */
  name: Exclude<BackendName, "auto">;
  /** The tfjs backend id (`tf.getBackend()`). */
  tfjsName: string;
  /** One line a person can read: what runs and why. */
  description: string;
}

/** Options of {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /** Print the choice on stderr (default false). */
  verbose?: boolean;
  /**
   * XNNPACK threads of the wasm backend (1 to 8; default SADARTS_WASM_THREADS, else every core).
   * Fixed at the backend's first start in a process.
   */
  threads?: number;
  /**
   * Refuse `"webgpu"` when Deno's adapter is a software one such as llvmpipe (default false: it is
   * used). Small programs run there, but it is far slower than wasm and the search fails on it
   * (tfjs' WebGPU backend draws through a canvas a software adapter lacks), so the CLI sets this unless
   * told `--allow-software-webgpu`. `"auto"` never picks a software adapter either way.
   */
  refuseSoftwareAdapter?: boolean;
}

/** Raised when a backend cannot be used; the message says what to do. */
export class BackendError extends Error {
  override name = "BackendError";
}

const TFJS_NODE_VERSION = "4.22.0";
const NODE_PACKAGES = {
  "tensorflow": "@tensorflow/tfjs-node",
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
} as const;

function installHint(pkg: string): string {
  return `install it on a machine with internet (its install script downloads libtensorflow): ` +
    `deno add npm:${pkg}@${TFJS_NODE_VERSION} && deno install --allow-scripts=npm:${pkg}; ` +
    `or use --backend wasm`;
}

/** The project's node_modules folder, found from where Deno resolved tfjs-core (none: Deno's npm cache). */
function nodeModulesDir(): string | undefined {
  const core = import.meta.resolve(`npm:@tensorflow/tfjs-core@${TFJS_NODE_VERSION}`);
  const path = new URL(core).pathname;
  const i = path.indexOf("/node_modules/");
  return i < 0 ? undefined : path.slice(0, i + "/node_modules/".length);
}

function isInstalled(pkg: string): boolean {
  const dirs = [nodeModulesDir(), `${Deno.cwd()}/node_modules/`].filter((d): d is string => !!d);
  return dirs.some((dir) => {
    try {
      return Deno.statSync(`${dir}${pkg}/package.json`).isFile;
    } catch {
      return false;
    }
  });
}

async function initNode(name: "tensorflow" | "tensorflow-gpu"): Promise<string> {
  const pkg = NODE_PACKAGES[name];
  // Checked before importing: an import of a missing npm package would make Deno download it.
  if (!isInstalled(pkg)) {
    throw new BackendError(`backend "${name}" needs ${pkg}, which is not installed: ${installHint(pkg)}`);
  }
  try {
    const spec = `npm:${pkg}@${TFJS_NODE_VERSION}`;
    await import(spec);
  } catch (e) {
    throw new BackendError(
      `backend "${name}": ${pkg} is present but failed to load (${(e as Error).message.split("\n")[0]}); ` +
        `its native library is probably missing: ${installHint(pkg)}`,
    );
  }
  if (!(await tf.setBackend("tensorflow"))) {
    throw new BackendError(`backend "${name}": tfjs-node failed to initialise`);
  }
  return `${pkg} (libtensorflow)`;
}

/** Whether a WebGPU adapter is a software one (llvmpipe, SwiftShader), and how it names itself. */
function adapterKind(adapter: any): { software: boolean; description: string } {
  const info = adapter.info ?? {};
  const description = [info.vendor, info.device, info.description].filter(Boolean).join(" ") ||
    "unknown adapter";
  const software = !!(adapter.isFallbackAdapter || info.isFallbackAdapter) ||
    /llvmpipe|swiftshader|software/i.test(description);
  return { software, description };
}

/** A hardware WebGPU adapter, or undefined when Deno has none (or only a software one). */
async function hardwareAdapter(): Promise<{ description: string } | undefined> {
  const gpu = (globalThis.navigator as any)?.gpu;
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" }).catch(() => null);
  if (!adapter) return undefined;
  const { software, description } = adapterKind(adapter);
  return software ? undefined : { description };
}

async function initWebgpu(options: SelectBackendOptions): Promise<string> {
  const gpu = (globalThis.navigator as any)?.gpu;
  if (!gpu) {
    throw new BackendError(
      `backend "webgpu": this Deno exposes no navigator.gpu (WebGPU); use --backend wasm`,
    );
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) {
    throw new BackendError(
      `backend "webgpu": Deno found no WebGPU adapter (no GPU driver?); use --backend wasm`,
    );
  }
  const kind = adapterKind(adapter);
  if (kind.software && options.refuseSoftwareAdapter) {
    throw new BackendError(
      `backend "webgpu": Deno's WebGPU adapter is a software adapter (${kind.description}), ` +
        `far slower than wasm and the search fails on it: use --backend wasm, or --allow-software-webgpu to try`,
    );
  }
  await import("../deps/tfjs_backend_webgpu.ts");
  if (!(await tf.setBackend("webgpu"))) {
    throw new BackendError(`backend "webgpu": tfjs-backend-webgpu failed to initialise`);
  }
  const info = adapter.info ?? {};
  return `WebGPU (${[info.vendor, info.description].filter(Boolean).join(" ") || "adapter"})`;
}

/** Threads of the wasm backend: options, then SADARTS_WASM_THREADS, then every core (at most 8). */
export function wasmThreads(requested?: number): number {
  const env = Deno.env.get("SADARTS_WASM_THREADS");
  const n = requested ??
    (env !== undefined
      ? (/^\d+$/.test(env.trim()) ? Number(env) : NaN)
      : Math.min(8, navigator.hardwareConcurrency || 1));
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new BackendError(
      `wasm threads must be an integer from 1 to 8, got ${requested ?? `SADARTS_WASM_THREADS=${env}`}`,
    );
  }
  return n;
}

async function initWasm(options: SelectBackendOptions): Promise<string> {
  const threads = wasmThreads(options.threads);
  await import("../deps/tfjs_backend_wasm.ts"); // registers its kernels, then ours replace some
  registerWasmIdentity();
  const running = tf.findBackend("wasm")
    ? (await tf.setBackend("wasm"), undefined)
    : await startThreadedWasm(threads);
  if (running === 0) {
    throw new BackendError(
      `backend "wasm" failed to initialise` +
        (threads > 1 ? ` with ${threads} threads; try SADARTS_WASM_THREADS=1` : ""),
    );
  }
  const { getThreadsCount } = await import("../deps/tfjs_backend_wasm.ts");
  const n = getThreadsCount();
  return `wasm (XNNPACK, SIMD, ${n} thread${n === 1 ? "" : "s"})`;
}

async function initCpu(): Promise<string> {
  await import("../deps/tfjs_backend_cpu.ts");
  if (!(await tf.setBackend("cpu"))) throw new BackendError(`backend "cpu" failed to initialise`);
  // Its first write prints a banner recommending tfjs-node; selectBackend says what runs instead.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  return "cpu (plain JavaScript reference)";
}

const INIT: Record<Exclude<BackendName, "auto">, (o: SelectBackendOptions) => Promise<string>> = {
  "tensorflow-gpu": () => initNode("tensorflow-gpu"),
  "tensorflow": () => initNode("tensorflow"),
  "webgpu": initWebgpu,
  "wasm": initWasm,
  "cpu": initCpu,
};

/** Check a backend name, with an error that lists the valid ones. */
export function parseBackendName(name: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendError(`unknown backend "${name}": choose one of ${BACKEND_NAMES.join(", ")}`);
}

/**
 * Make `name` the active tfjs backend, register sadarts' training kernels, and say what runs.
 *
 * `"auto"` tries tfjs-node-gpu, tfjs-node, a hardware WebGPU adapter, then wasm.
 * Throws {@linkcode BackendError} with what to do when the backend is unknown or not installed.
 */
export async function selectBackend(
  name: BackendName | string = "auto",
  options: SelectBackendOptions = {},
): Promise<BackendInfo> {
  const requested = parseBackendName(name);
  registerTrainingKernels();
  installEagerBackprop();
  let chosen: Exclude<BackendName, "auto">;
  let description: string;
  if (requested === "auto") {
    const candidates: Exclude<BackendName, "auto">[] = [];
    if (isInstalled(NODE_PACKAGES["tensorflow-gpu"])) candidates.push("tensorflow-gpu");
    if (isInstalled(NODE_PACKAGES["tensorflow"])) candidates.push("tensorflow");
    const adapter = await hardwareAdapter();
    if (adapter) candidates.push("webgpu");
    candidates.push("wasm");
    let lastError: unknown;
    for (const c of candidates) {
      try {
        description = await INIT[c](options);
        chosen = c;
        break;
      } catch (e) {
        lastError = e;
      }
    }
    if (!chosen!) throw lastError;
  } else {
    chosen = requested;
    description = await INIT[requested](options);
  }
  const info: BackendInfo = { requested, name: chosen, tfjsName: tf.getBackend(), description: description! };
  if (options.verbose) console.error(`sadarts: backend ${info.name}: ${info.description}`);
  return info;
}
