/**
 * Multi-threaded tfjs-backend-wasm under Deno.
 *
 * tfjs ships a threaded SIMD build (Emscripten pthreads, XNNPACK's thread pool) but never enables it
 * where `process` exists, and under Deno three things stop it from working as is:
 * - Emscripten runs in Node mode (Deno has `process`), so it starts its pthreads with
 *   `node:worker_threads`, but from a blob URL of a classic script, which Deno cannot load. We hand it a
 *   module file of our own instead: the threaded factory plus tfjs' pthread worker script, with the Node
 *   globals they expect (`require`, `__filename`, writable `self`/`location`) and `importScripts` as a
 *   no-op (the factory is already in the file).
 * - The C++ side caps the pool at (logical cores / 2), so 2 cores give 1 thread. Emscripten reads the
 *   core count from `os.cpus()` once, while the module starts; it sees `2 × threads` then.
 * - Running pthreads keep their workers referenced and the process would never exit: they stay unref'd.
 * Everything patched is restored once the backend has started.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import os from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import { npmPackageDir } from "../deps/npmFiles.ts";
import { TFJS_BACKEND_WASM_PACKAGE } from "../deps/tfjs_backend_wasm.ts";

/** The folder of tfjs-backend-wasm's dist/ (its .wasm binaries). */
export function wasmDistDir(): URL {
  return new URL("dist/", npmPackageDir(TFJS_BACKEND_WASM_PACKAGE));
}

/**
 * The pthread worker module, in a temporary file named by a hash of its content: written once (through
 * a rename, so a process never reads a half-written one), then reused by every process, instead of one
 * file left behind per process.
 */
let workerFile: string | undefined;
function pthreadWorkerFile(): string {
  if (workerFile) return workerFile;
  const dist = wasmDistDir();
  const factory = Deno.readTextFileSync(new URL("../wasm-out/tfjs-backend-wasm-threaded-simd.js", dist));
  const workerModule = Deno.readTextFileSync(
    new URL("../wasm-out/tfjs-backend-wasm-threaded-simd.worker.js", dist),
  );
  // The package exports the worker script as a template literal: `module.exports.wasmWorkerContents = \`...\``.
  const script = workerModule.slice(workerModule.indexOf("`") + 1, workerModule.lastIndexOf("`"));
  const prelude = [
    `import { createRequire } from "node:module";`,
    `const require = createRequire(import.meta.url);`,
    `const __filename = new URL(import.meta.url).pathname;`,
    `const global = globalThis;`,
    `function importScripts() {}`,
    `for (const k of ["self", "location", "Worker", "postMessage", "performance"]) {`,
    `  Object.defineProperty(globalThis, k, { value: globalThis[k], writable: true, configurable: true, enumerable: true });`,
    `}`,
  ].join("\n");
  const content = `${prelude}\n${factory}\n${script}\n`;
  let h = 0x811c9dc5;
  for (let i = 0; i < content.length; i++) h = Math.imul(h ^ content.charCodeAt(i), 0x01000193) >>> 0;
  const file = `${os.tmpdir()}/sadarts-wasm-pthread-${h.toString(16).padStart(8, "0")}.mjs`;
  let present = false;
  try {
    present = Deno.readTextFileSync(file) === content;
  } catch { /* not written yet */ }
  if (!present) {
    const tmp = `${file}.tmp-${Deno.pid}`;
    Deno.writeTextFileSync(tmp, content);
    Deno.renameSync(tmp, file);
  }
  workerFile = file;
  return file;
}

class PthreadWorker extends NodeWorker {
  constructor(_scriptUrl: string | URL) {
    super(pthreadWorkerFile()); // referenced while it loads; Emscripten unrefs it once loaded
  }
  override ref(): this {
    return this; // a running pool thread must not keep the process alive
  }
  override postMessage(message: any, transfer?: any): void {
    // The factory source is in the worker file already; a Blob would not survive the message anyway.
    if (message?.cmd === "load") message = { ...message, urlOrBlob: "embedded" };
    super.postMessage(message, transfer);
  }
}

/**
 * Start the wasm backend with `threads` XNNPACK threads. Returns the number of threads running
 * (1 when the threaded build could not start: then the single-threaded SIMD build runs).
 */
export async function startThreadedWasm(threads: number): Promise<number> {
  const wasm = await import("../deps/tfjs_backend_wasm.ts");
  wasm.setWasmPaths(wasmDistDir().pathname);
  if (threads > 1) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    wasm.setThreadsCount(threads);
  }
  const workerProperty = Object.getOwnPropertyDescriptor(globalThis, "Worker")!;
  const cpus = os.cpus;
  try {
    if (threads > 1) {
      // Emscripten's Node mode assigns global.Worker = worker_threads.Worker, then constructs it.
      Object.defineProperty(globalThis, "Worker", {
        get: () => PthreadWorker,
        set: () => {},
        configurable: true,
      });
      (os as { cpus: () => os.CpuInfo[] }).cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
    }
    if (!(await tf.setBackend("wasm"))) return 0;
  } finally {
    Object.defineProperty(globalThis, "Worker", workerProperty);
    (os as { cpus: () => os.CpuInfo[] }).cpus = cpus;
  }
  return wasm.getThreadsCount();
}
