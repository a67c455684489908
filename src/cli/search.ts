/**
 * `deno task search [options]`: run a NAS-Bench-201 search from the command line. With no options it
 * runs SA-DARTS at the `cpu` preset on the shipped data into `runs/sa-cpu-s0-<config hash>/`. `--help` lists the
 * options. A killed run continues with the same command plus `--resume`.
 * @module
 */
import { selectBackend } from "../backend/select.ts";
import { METHODS } from "../methods/mod.ts";
import { ensureCifar10 } from "../data/searchData.ts";
import {
  DEFAULT_SPACE,
  type LambdaConfig,
  loadConfigFile,
  type MethodConfig,
  SCALES,
  type SearchConfig,
  searchConfig,
  type SearchConfigOptions,
  searchMethod,
} from "../search/config.ts";
import { SEARCH_SPACES, spaceByName } from "../spaces/mod.ts";
import { didYouMean } from "../search/didYouMean.ts";
import { RunInterruptedError, search, type SearchProgress } from "../search/search.ts";
import { cachedRunFolder } from "../search/cache.ts";
import { formatDuration } from "../search/duration.ts";
import {
  EtaClock,
  progressLine,
  type ProgressLineParts,
  shellWords,
  SIGNAL_EXIT_CODES,
  stopOnSignals,
  terminalWidth,
} from "./runConsole.ts";
import type { MetricsRow } from "../runs/runFolder.ts";

/** `text` broken at spaces into lines of at most `width` characters, joined by `join`. */
function wrap(text: string, width: number, join: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join(join);
}

const HELP = `deno task search [options]

  --space NAME             ${
  Object.values(SEARCH_SPACES).map((sp) =>
    wrap(`${sp.name}: ${sp.description}`, 80, "\n                             ")
  )
    .join("\n                           ")
}
                           (default nb201)
  --method NAME            ${
  Object.entries(METHODS).map(([k, m]) => `${k}: ${m.description}`).join("\n                           ")
}
                           (default sa)
  --preset NAME            ${
  Object.values(SEARCH_SPACES).flatMap((sp) =>
    Object.entries(sp.presets).map(([k, p]) =>
      wrap(`${k} (${sp.name}): ${p.description}`, 80, "\n                             ")
    )
  ).join("\n                           ")
}
                           (default cpu)
  --seed N                 seed of weights, α, data order and sampling (default 0)
  --epochs N               epochs (default: the preset's)
  --backend NAME           auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu (default auto)
  --threads N              wasm threads, 1 to 8 (default: every core, at most 8); wasm only
  --allow-software-webgpu  let --backend webgpu run on a software adapter (llvmpipe: slow, and tfjs fails)
  --out DIR                run folder (default runs/[<space>-]<method>-<preset>-s<seed>-<hash>, the
                           folder cachedSearch uses for the same config in a notebook)
  --resume                 continue the run in --out from its last checkpoint (or read it back if finished)
  --config FILE            start from a config file: a run folder's config.json (or the folder), or JSON
                           with any of searchConfig's fields; the other flags override its fields

 method knobs
  --nu X --mu X            SA: negative slope ν ∈ [0, 1] (default 1: eq. 8) and smoothness μ (eq. 7)
  --lambda X               constant λ (SA or Beta)
  --lambda-divisor X       SA: λ_e = epoch / X, epochs counted from 1 (default 5)
  --lambda-slope X         Beta: λ = X · epoch, 0-based (default 0.5)
  --lambda-points E:X,...  λ through (epoch, λ) points, e.g. 0:0,10:2,20:2: linear between them, held
                           outside; epochs 0-based, increasing
  --alpha-scale X          α init scale · N(0, 1) (default 1e-3)
  --alpha-offset X         constant added to every α (negative-init study)
  --alpha-bias OP=X        added to one op's α on every edge, e.g. skip_connect=0.1 (repeatable)
  --warmup-epochs N        epochs that train the weights only (default 0)
  --second-order           DARTS' unrolled (second-order) α step, for any method (darts-2nd has it)
  --partial-channels K     PC-DARTS' K: 1/K of the channels through the mixed ops (pc-darts, sac, pc-beta:
                           default 4; any method can take it on a space with partial channels)
  --arch-lr X --arch-weight-decay X --weight-lr X --weight-decay X --grad-clip X
  --weight-lr-min X        where the weights' cosine lr schedule ends (default 1e-3; ≤ --weight-lr)
  --tau-max X --tau-min X  SNAS temperature

 data and model
  --data PATH              images: a sadarts file, or official CIFAR-10 binaries (file or folder)
  --data-format F          sadarts or cifar10 (default: the preset's)
  --download               fetch the official CIFAR-10 archive into --data's folder (default
                           data/cifar10) when missing; for cifar10 data only (the paper preset)
  --limit N --batch-size N --downsample N --augment --no-augment --cutout N
  --channels N --cells N   supernet C and cells (NB201: cells per stage N; DARTS spaces: cells in all)
  --recompute              DARTS spaces: recompute each cell in the backward pass (a third of the memory,
                           ~1.3x the time; for the paper preset on wasm, whose memory ends at 4 GiB)
  --no-eval                skip the per-epoch evaluation pass on the validation half
  --hessian                record the dominant eigenvalue of the validation loss's Hessian in α per epoch
                           (RobustDARTS' collapse signal; 128 validation images, power iteration)

  --json                   print the summary as JSON on stdout at the end
  --quiet                  no progress output
  --progress-json          progress as JSON lines on stdout instead (for programs: deno task sweep runs
                           searches so): {"event":"progress"|"epoch"|"done", ...}

 Numbers are decimal (1e-3 and 0.5, not 0x10); each option is given once, except --alpha-bias.
`;

/** The options `deno task search` takes: switches, and options with a value (one each, or repeatable). */
const OPTIONS: Record<string, "switch" | "value" | "repeatable"> = {
  help: "switch",
  config: "value",
  space: "value",
  method: "value",
  preset: "value",
  seed: "value",
  epochs: "value",
  backend: "value",
  threads: "value",
  "allow-software-webgpu": "switch",
  out: "value",
  resume: "switch",
  nu: "value",
  mu: "value",
  lambda: "value",
  "lambda-divisor": "value",
  "lambda-slope": "value",
  "lambda-points": "value",
  "alpha-scale": "value",
  "alpha-offset": "value",
  "alpha-bias": "repeatable",
  "warmup-epochs": "value",
  "partial-channels": "value",
  "second-order": "switch",
  "arch-lr": "value",
  "arch-weight-decay": "value",
  "weight-lr": "value",
  "weight-lr-min": "value",
  "weight-decay": "value",
  "grad-clip": "value",
  "tau-max": "value",
  "tau-min": "value",
  data: "value",
  "data-format": "value",
  download: "switch",
  limit: "value",
  "batch-size": "value",
  downsample: "value",
  augment: "switch",
  "no-augment": "switch",
  cutout: "value",
  channels: "value",
  cells: "value",
  recompute: "switch",
  "no-eval": "switch",
  hessian: "switch",
  json: "switch",
  quiet: "switch",
  "progress-json": "switch",
};

const SEE_HELP = "see deno task search --help";

/**
 * The command line as option → values. Refuses, naming the option: an unknown one (with the closest
 * known name), a missing value, a value given to a switch, and a repeated option (only --alpha-bias
 * repeats). Values may start with "-" (`--alpha-offset -0.5`).
 */
function readOptions(args: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h") {
      seen.set("help", [""]);
      continue;
    }
    if (!a.startsWith("-") || /^-[\d.]/.test(a) || a === "-" || a === "--") {
      const hint = (SCALES as readonly string[]).includes(a) ? ` (did you mean --preset ${a}?)` : "";
      throw new Error(`unexpected argument "${a}"${hint}: options start with --; ${SEE_HELP}`);
    }
    const eq = a.indexOf("=");
    const name = (eq < 0 ? a : a.slice(0, eq)).replace(/^--?/, "");
    const kind = a.startsWith("--") && Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined;
    if (!kind) {
      const flag = eq < 0 ? a : a.slice(0, eq);
      const close = a.startsWith("--") ? didYouMean(name, Object.keys(OPTIONS)) : undefined;
      throw new Error(`unknown option ${flag}: ${close ? `did you mean --${close}? ` : ""}${SEE_HELP}`);
    }
    let value = "";
    if (kind === "switch") {
      if (eq >= 0) {
        throw new Error(`--${name} takes no value, got "${a.slice(eq + 1)}": write --${name} alone`);
      }
    } else if (eq >= 0) {
      value = a.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined) throw new Error(`--${name} needs a value: ${SEE_HELP}`);
      if (next.startsWith("--")) {
        throw new Error(`--${name} needs a value, got the option ${next}: write --${name} VALUE`);
      }
      value = next;
      i++;
    }
    const values = seen.get(name);
    if (values && kind !== "repeatable") {
      const shown = kind === "switch" ? "" : ` (${values[0]}, then ${value})`;
      throw new Error(`--${name} is given twice${shown}: give it once`);
    }
    seen.set(name, [...(values ?? []), value]);
  }
  return seen;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number (no hex, binary, Infinity or blanks), or undefined when the flag is absent. */
function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!DECIMAL.test(v) || !Number.isFinite(x)) {
    throw new Error(`--${flag} expects a decimal number, got "${v}"`);
  }
  return x;
}

/** `--lambda-points 0:0,10:2,20:2` as [[0, 0], [10, 2], [20, 2]]. */
function lambdaPoints(v: string): [number, number][] {
  return v.split(",").map((pair) => {
    const parts = pair.split(":");
    if (parts.length !== 2) {
      throw new Error(`--lambda-points expects EPOCH:LAMBDA pairs such as 0:0,10:2,20:2, got "${pair}"`);
    }
    return parts.map((p) => {
      if (!DECIMAL.test(p.trim()) || !Number.isFinite(Number(p))) {
        throw new Error(`--lambda-points expects decimal numbers, got "${p}" in "${v}"`);
      }
      return Number(p);
    }) as [number, number];
  });
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `over` on top of `base`: one level deep for model, data and methodOptions (two for its groups). */
function mergeOptions(base: SearchConfigOptions, over: SearchConfigOptions): SearchConfigOptions {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = (base as Record<string, unknown>)[k];
    if ((k === "model" || k === "data") && isPlainObject(b)) out[k] = { ...b, ...defined(v as object) };
    else if (k === "methodOptions" && isPlainObject(b)) {
      const m: Record<string, unknown> = { ...b };
      for (const [mk, mv] of Object.entries(v as object)) {
        const bm = b[mk];
        if (mk === "alphaInit" && isPlainObject(bm) && isPlainObject(mv)) {
          m[mk] = { ...bm, ...mv, ...(mv.bias ? { bias: { ...(bm.bias as object), ...mv.bias } } : {}) };
        } else if ((mk === "archOptimizer" || mk === "weightOptimizer") && isPlainObject(bm)) {
          m[mk] = { ...bm, ...(mv as object) };
        } else m[mk] = mv;
      }
      out[k] = m;
    } else out[k] = v;
  }
  return out as SearchConfigOptions;
}

/** What `parseSearchArgs` returns: the checked config and how to run it. */
export interface SearchArgs {
  help: boolean;
  config: SearchConfig;
  out: string;
  resume: boolean;
  backend: string;
  threads?: number;
  allowSoftwareWebgpu: boolean;
  download: boolean;
  json: boolean;
  quiet: boolean;
  /** Progress as JSON lines on stdout (see {@link ProgressEvent}), and nothing else there. */
  progressJson: boolean;
}

/**
 * A line of `--progress-json`: a step (at most every second; its fields are the progress line's, epoch
 * 1-based), an epoch's end (`epoch`: epochs done), or the run's end.
 */
export type ProgressEvent =
  | ({ event: "progress" } & Omit<ProgressLineParts, "cell">)
  | { event: "epoch"; epoch: number; epochs: number; highlights: string[]; cell: string }
  | { event: "done"; status: string; epochsDone: number; seconds: number };

/**
 * The config and run options the command line asks for: `--config FILE` (a run folder's config.json,
 * or a file of `searchConfig` options) with the flags on top, then the preset's defaults. Throws with a
 * one- or two-line message naming the flag and what to do; also refuses flags that would be ignored
 * (`--download` for data that is not official CIFAR-10, `--threads` off wasm) and `--resume` of a
 * folder that does not exist.
 */
export function parseSearchArgs(args: string[]): SearchArgs {
  const seen = readOptions(args);
  const one = (k: string) => seen.get(k)?.[0];
  const flag = (k: string) => seen.has(k) ? true : undefined;
  const v = {
    help: flag("help"),
    out: one("out"),
    resume: flag("resume"),
    backend: one("backend"),
    threads: one("threads"),
    download: flag("download"),
    json: flag("json"),
    quiet: flag("quiet"),
  };
  const lambdas = ["lambda", "lambda-divisor", "lambda-slope", "lambda-points"].filter((k) => seen.has(k));
  if (lambdas.length > 1) throw new Error(`give one of --${lambdas.join(", --")}, not several`);
  let lambda: LambdaConfig | undefined;
  if (seen.has("lambda")) lambda = num("lambda", one("lambda"));
  if (seen.has("lambda-divisor")) lambda = { divisor: num("lambda-divisor", one("lambda-divisor"))! };
  if (seen.has("lambda-slope")) lambda = { slope: num("lambda-slope", one("lambda-slope"))! };
  if (seen.has("lambda-points")) lambda = { points: lambdaPoints(one("lambda-points")!) };
  let bias: Record<string, number> | undefined;
  for (const b of seen.get("alpha-bias") ?? []) {
    const m = b.match(/^([^=]+)=(.+)$/);
    if (!m) throw new Error(`--alpha-bias expects OP=VALUE such as skip_connect=0.1, got "${b}"`);
    if (bias && Object.hasOwn(bias, m[1])) {
      throw new Error(`--alpha-bias gives ${m[1]} twice (${bias[m[1]]}, then ${m[2]}): give each op once`);
    }
    (bias ??= {})[m[1]] = num("alpha-bias", m[2])!;
  }
  const methodOptions: MethodConfig = defined({
    nu: num("nu", one("nu")),
    mu: num("mu", one("mu")),
    lambda,
    tauMax: num("tau-max", one("tau-max")),
    tauMin: num("tau-min", one("tau-min")),
    warmupEpochs: num("warmup-epochs", one("warmup-epochs")),
    gradClip: num("grad-clip", one("grad-clip")),
    partialChannels: num("partial-channels", one("partial-channels")),
    secondOrder: seen.has("second-order") ? true : undefined,
  });
  const alphaInit = defined({
    scale: num("alpha-scale", one("alpha-scale")),
    offset: num("alpha-offset", one("alpha-offset")),
    bias,
  });
  if (Object.keys(alphaInit).length) methodOptions.alphaInit = alphaInit;
  const archOptimizer = defined({
    lr: num("arch-lr", one("arch-lr")),
    weightDecay: num("arch-weight-decay", one("arch-weight-decay")),
  });
  if (Object.keys(archOptimizer).length) methodOptions.archOptimizer = archOptimizer;
  const weightOptimizer = defined({
    lr: num("weight-lr", one("weight-lr")),
    minLr: num("weight-lr-min", one("weight-lr-min")),
    weightDecay: num("weight-decay", one("weight-decay")),
  });
  if (Object.keys(weightOptimizer).length) methodOptions.weightOptimizer = weightOptimizer;
  if (seen.has("augment") && seen.has("no-augment")) {
    throw new Error("give --augment or --no-augment, not both");
  }
  const format = one("data-format");
  if (format !== undefined && !["sadarts", "cifar10"].includes(format)) {
    throw new Error(`unknown --data-format "${format}": choose sadarts or cifar10`);
  }
  const flags: SearchConfigOptions = {
    space: one("space"),
    method: one("method"),
    preset: one("preset"),
    seed: num("seed", one("seed")),
    epochs: num("epochs", one("epochs")),
    methodOptions,
    model: defined({
      channels: num("channels", one("channels")),
      cells: num("cells", one("cells")),
      recompute: seen.has("recompute") ? true : undefined,
    }),
    data: defined({
      path: one("data"),
      format: format as "sadarts" | "cifar10" | undefined,
      limit: num("limit", one("limit")),
      batchSize: num("batch-size", one("batch-size")),
      downsample: num("downsample", one("downsample")),
      augment: seen.has("augment") ? true : seen.has("no-augment") ? false : undefined,
      cutout: num("cutout", one("cutout")),
    }),
    evaluate: seen.has("no-eval") ? false : undefined,
    hessian: seen.has("hessian") ? true : undefined,
  };
  const file = one("config");
  const fileOptions = file === undefined ? {} : loadConfigFile(file);
  // --cells sets the space's own cell count (NB201: cells per stage; DARTS spaces: cells in all).
  if (flags.model && "cells" in flags.model) {
    const { cells, ...model } = flags.model as Record<string, unknown>;
    const space = spaceByName(flags.space ?? fileOptions.space ?? DEFAULT_SPACE);
    flags.model = { ...model, [space.cellsOption]: cells };
  }
  const configOptions = file === undefined ? flags : mergeOptions(fileOptions, flags);
  const config = searchConfig(configOptions);
  const threads = num("threads", v.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 8)) {
    throw new Error(`--threads must be an integer from 1 to 8, got ${v.threads}`);
  }
  if (threads !== undefined && v.backend !== undefined && !["wasm", "auto"].includes(v.backend)) {
    throw new Error(
      `--threads applies to the wasm backend only, not --backend ${v.backend}: drop --threads, or use --backend wasm`,
    );
  }
  if (v.download && config.data.format !== "cifar10") {
    throw new Error(
      `--download fetches the official CIFAR-10, which the ${config.preset} preset's ${config.data.format} data ` +
        `does not read: drop --download, or use --preset paper (or --data-format cifar10)`,
    );
  }
  const o = {
    help: v.help ?? false,
    config,
    out: v.out ?? cachedRunFolder(config),
    resume: v.resume ?? false,
    backend: v.backend ?? "auto",
    threads,
    allowSoftwareWebgpu: seen.has("allow-software-webgpu"),
    download: v.download ?? false,
    json: v.json ?? false,
    quiet: v.quiet ?? false,
    progressJson: seen.has("progress-json"),
  };
  checkPaths(o);
  return o;
}

function kindOf(path: string): "file" | "folder" | undefined {
  try {
    return Deno.statSync(path).isDirectory ? "folder" : "file";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Refuse what the paths make impossible, before a backend starts or a folder is made. */
function checkPaths(o: SearchArgs): void {
  if (o.resume && kindOf(o.out) === undefined) {
    throw new Error(
      `--resume: there is nothing to resume in ${o.out} (no such folder): drop --resume to start a fresh run, ` +
        `or give the --out of the run to continue`,
    );
  }
  const path = o.config.data.path;
  if (o.download && path !== undefined && kindOf(path) === "file") {
    throw new Error(
      `--download saves CIFAR-10 into a folder, but --data ${path} is a file: drop --download to read the ` +
        `file, or give --data a folder`,
    );
  }
}

const pct = (x: unknown) => (typeof x === "number" ? `${x.toFixed(2)}%` : "–");

/**
 * The line printed after each epoch, at most `width − 1` characters on a terminal (`width` undefined:
 * the whole line, for logs). Parts are kept in order of importance: epoch, the space's `highlights`
 * (`SpaceRun.epochHighlights`, e.g. NB201 accuracy of the derived cell, skip edges), losses, seconds;
 * the cell string (the longest) goes first when space is short.
 */
export function epochLine(
  r: MetricsRow,
  epochs: number,
  highlights: readonly string[],
  width?: number,
): string {
  const parts = [
    { text: `epoch ${r.epoch}/${epochs}`, rank: 0 },
    { text: `train ${Number(r.trainLoss).toFixed(3)} ${pct(r.trainAcc)}`, rank: 3 },
    {
      text: `valid ${r.validLoss === null ? "–" : Number(r.validLoss).toFixed(3)} ${pct(r.validAcc)}`,
      rank: 4,
    },
    { text: `cell ${r.cell}`, rank: 6 },
    ...highlights.map((text, i) => ({ text, rank: 1 + i / highlights.length })),
    { text: `${Number(r.seconds).toFixed(1)} s`, rank: 5 },
  ];
  const max = width === undefined ? Infinity : Math.max(1, Math.floor(width) - 1);
  for (const keep of [...new Set(parts.map((p) => p.rank))].sort((a, b) => b - a)) {
    const line = parts.filter((p) => p.rank <= keep).map((p) => p.text).join("  ");
    if (line.length <= max) return line;
  }
  return parts[0].text.slice(0, max);
}

async function main(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return;
  }
  const o = parseSearchArgs(args);
  const err = (s: string) => !o.quiet && console.error(s);
  const backend = await selectBackend(o.backend, {
    threads: o.threads,
    refuseSoftwareAdapter: !o.allowSoftwareWebgpu,
  });
  err(
    `sadarts: ${o.config.method} on ${o.config.space}, preset ${o.config.preset}, seed ${o.config.seed}, ` +
      `${o.config.epochs} epochs, backend ${backend.name} (${backend.description}) → ${o.out}`,
  );
  if (o.download && o.config.data.format === "cifar10") {
    await ensureCifar10(
      o.config.data.path,
      (b, t) => err(`downloading CIFAR-10: ${(b / 1e6).toFixed(0)}/${(t / 1e6).toFixed(0)} MB`),
    );
  }
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const eta = new EtaClock();
  const emit = (e: ProgressEvent) => console.log(JSON.stringify(e));
  let emitted = 0;
  const progress = (p: SearchProgress) => {
    if (!o.progressJson && (o.quiet || !tty)) return;
    const left = eta.step(p.epoch, p.epochs, p.step, p.steps);
    if (o.progressJson) {
      if (performance.now() - emitted < 1000 && p.step < p.steps) return;
      emitted = performance.now();
      const { epochs, step, steps } = p;
      emit({ event: "progress", epoch: p.epoch + 1, epochs, step, steps, loss: p.trainLoss, eta: left });
      return;
    }
    const line = progressLine(
      {
        epoch: p.epoch + 1,
        epochs: p.epochs,
        step: p.step,
        steps: p.steps,
        loss: p.trainLoss,
        eta: left,
        cell: p.cell,
      },
      terminalWidth(),
    );
    Deno.stderr.writeSync(encoder.encode(`\r${line}\x1b[K`));
  };
  const stop = stopOnSignals("search", (line) => {
    if (tty && !o.quiet) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
    err(line);
  });
  const space = spaceByName(o.config.space).open({
    model: o.config.model,
    partialChannels: searchMethod(o.config).partialChannels,
  });
  const result = await search(o.config, {
    benchmark: space.benchmark,
    out: o.out,
    resume: o.resume,
    log: err,
    signal: stop.signal,
    onProgress: progress,
    onEpoch: (r) => {
      if (o.progressJson) {
        const epoch = r.epoch as number;
        emit({
          event: "epoch",
          epoch,
          epochs: o.config.epochs,
          highlights: space.epochHighlights(r),
          cell: r.cell,
        });
      }
      if (tty && !o.quiet) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
      err(epochLine(r, o.config.epochs, space.epochHighlights(r), tty ? terminalWidth() : undefined));
      eta.restart(); // ETA from the current epoch's pace
    },
  }).catch((e) => {
    if (!(e instanceof RunInterruptedError)) throw e;
    // One line for what happened, one with the command that continues (or, with nothing kept, restarts).
    const again = e.epochsDone > 0 && !args.includes("--resume") ? [...args, "--resume"] : args;
    console.error(`sadarts search: ${e.message.replace(/; resume it with resume: true$/, "")}`);
    console.error(
      `${e.epochsDone > 0 ? "resume" : "start again"} with: deno task search ${shellWords(again)}`,
    );
    Deno.exit(SIGNAL_EXIT_CODES[e.reason as keyof typeof SIGNAL_EXIT_CODES] ?? 130);
  }).finally(() => stop.remove());
  const s = result.summary;
  if (o.progressJson) {
    emit({ event: "done", status: s.status, epochsDone: s.epochsDone, seconds: s.seconds });
    return;
  }
  if (o.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  console.log(
    [
      `derived cell: ${s.cell}`,
      ...space.report(s),
      `${s.epochsDone} epochs in ${formatDuration(s.seconds)}; run folder ${o.out}`,
    ].join("\n"),
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`sadarts search: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
