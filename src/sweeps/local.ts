/**
 * The sweep executor of one machine: N processes, each running `deno task search` on one run at a time
 * (`--progress-json`), in the run folders `deno task search` and `cachedSearch` use. Finished runs (in the
 * root or in the shipped records) are read back without a process, unfinished ones resume from their
 * checkpoint, and a failed run is reported without stopping the others.
 * @module
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { pathExists } from "../data/dataFile.ts";
import { readFinishedRun } from "../runs/records.ts";
import { SHIPPED_RECORDS } from "../search/cache.ts";
import type { SearchResult } from "../search/search.ts";
import type { ProgressEvent } from "../cli/search.ts";
import type { SweepRun } from "./grid.ts";

/** What happened to one run of a sweep. */
export interface SweepOutcome {
  run: SweepRun;
  /** `ran` (now, to the end), `found` (finished before), `failed`, or `interrupted` (resumable). */
  status: "ran" | "found" | "failed" | "interrupted";
  /** The folder its result was read from (or the run folder, for failures). */
  folder: string;
  /** The finished run, for `ran` and `found`. */
  result?: SearchResult;
  /** Why it failed or stopped: the last lines the process wrote. */
  message?: string;
}

/** What an executor reports while it works, one event per change of a worker's state. */
export type SweepEvent =
  | { type: "start"; worker: number; run: SweepRun; resumed: boolean }
  | { type: "progress"; worker: number; run: SweepRun; progress: ProgressEvent }
  | { type: "end"; worker: number; outcome: SweepOutcome };

/** Something that runs a sweep's runs: this machine's processes (`localExecutor`), a job queue, … */
export interface SweepExecutor {
  /** How many runs go at once (the progress display shows one line each). */
  readonly workers: number;
  /** Run `runs`, reporting to `onEvent`; resolves with one outcome per run, in `runs` order. */
  run(
    runs: readonly SweepRun[],
    onEvent: (e: SweepEvent) => void,
    signal?: AbortSignal,
  ): Promise<SweepOutcome[]>;
}

/** Options of {@link localExecutor}. */
export interface LocalExecutorOptions {
  /** Processes at once (default 1). */
  workers?: number;
  /** Where run folders live (default `runs`, as for `deno task search`). */
  root?: string;
  /** Read-only records consulted for finished runs (default the shipped ones; `false`: none). */
  records?: string | false;
  /** The backend of every process (default `wasm`: the same numbers on every machine). */
  backend?: string;
  /** wasm threads per process (default: the cores shared out, at least 1). */
  threads?: number;
}

const SEARCH_CLI = fileURLToPath(new URL("../cli/search.ts", import.meta.url));
const TAIL_LINES = 6;

/** Lines of a byte stream, as they come. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}

/**
 * Run sweeps on this machine in `workers` processes.
 * @example
 * ```ts ignore
 * import { expandGrid } from "./grid.ts";
 * import { localExecutor } from "./local.ts";
 * const runs = expandGrid({ methods: ["darts", "sa"], seeds: [0, 1], preset: "smoke" });
 * const outcomes = await localExecutor({ workers: 2 }).run(runs, (e) => console.log(e.type));
 * ```
 */
export function localExecutor(options: LocalExecutorOptions = {}): SweepExecutor {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new Error(`workers must be an integer from 1 to 64, got ${workers}`);
  }
  const root = options.root ?? "runs";
  const records = options.records ?? SHIPPED_RECORDS;
  const backend = options.backend ?? "wasm";
  const threads = options.threads ?? Math.max(1, Math.min(8, Math.floor(os.cpus().length / workers)));

  async function runOne(
    run: SweepRun,
    worker: number,
    onEvent: (e: SweepEvent) => void,
    signal?: AbortSignal,
  ): Promise<SweepOutcome> {
    const folder = `${root}/${run.name}`;
    for (const dir of [folder, ...(records ? [`${records}/${run.name}`] : [])]) {
      const result = await readFinishedRun(dir, run.config);
      if (result) return { run, status: "found", folder: dir, result };
    }
    const resumed = await pathExists(folder);
    onEvent({ type: "start", worker, run, resumed });
    const configFile = await Deno.makeTempFile({ prefix: "sadarts-sweep-", suffix: ".json" });
    try {
      await Deno.writeTextFile(configFile, JSON.stringify(run.config));
      const args = ["run", "-A", SEARCH_CLI, "--config", configFile, "--out", folder, "--backend", backend];
      if (backend === "wasm") args.push("--threads", String(threads));
      if (resumed) args.push("--resume");
      args.push("--progress-json");
      const child = new Deno.Command(Deno.execPath(), {
        args,
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      })
        .spawn();
      const stop = () => {
        try {
          child.kill("SIGTERM"); // it stops after its current step, keeping its last checkpoint
        } catch { /* already gone */ }
      };
      signal?.addEventListener("abort", stop, { once: true });
      const tail: string[] = [];
      const stderr = (async () => {
        for await (const line of lines(child.stderr)) {
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
        }
      })();
      for await (const line of lines(child.stdout)) {
        let progress: ProgressEvent;
        try {
          progress = JSON.parse(line);
        } catch {
          continue; // not ours: a library printing to stdout
        }
        onEvent({ type: "progress", worker, run, progress });
      }
      await stderr;
      const status = await child.status;
      signal?.removeEventListener("abort", stop);
      const message = tail.join("\n");
      if (status.success) {
        const result = await readFinishedRun(folder, run.config);
        if (result) return { run, status: "ran", folder, result };
        return {
          run,
          status: "failed",
          folder,
          message: `the search ended but ${folder} holds no finished run\n${message}`,
        };
      }
      return { run, status: signal?.aborted ? "interrupted" : "failed", folder, message };
    } finally {
      await Deno.remove(configFile).catch(() => {});
    }
  }

  return {
    workers,
    async run(runs, onEvent, signal) {
      const outcomes: SweepOutcome[] = new Array(runs.length);
      let next = 0;
      const slot = async (worker: number) => {
        while (next < runs.length) {
          const i = next++;
          if (signal?.aborted) {
            outcomes[i] = { run: runs[i], status: "interrupted", folder: `${root}/${runs[i].name}` };
            continue;
          }
          outcomes[i] = await runOne(runs[i], worker, onEvent, signal).catch((e) => ({
            run: runs[i],
            status: "failed" as const,
            folder: `${root}/${runs[i].name}`,
            message: (e as Error).message,
          }));
          onEvent({ type: "end", worker, outcome: outcomes[i] });
        }
      };
      await Promise.all(Array.from({ length: Math.min(workers, runs.length) }, (_, w) => slot(w)));
      return outcomes;
    },
  };
}
