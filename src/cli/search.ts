/**
 * `deno task search [options]`: run a NAS-Bench-201 search from the command line. With no options it
 * runs SA-DARTS at the `cpu` preset on the shipped data into `runs/sa-cpu-s0/`. `--help` lists the
 * options. A killed run continues with the same command plus `--resume`.
 * @module
 */
import { parseArgs } from "node:util";
import { selectBackend } from "../backend/select.ts";
import { METHODS } from "../methods/mod.ts";
import { ensureCifar10 } from "../data/searchData.ts";
import {
  type LambdaConfig,
  type MethodConfig,
  PRESETS,
  searchConfig,
  type SearchConfigOptions,
} from "../search/config.ts";
import { search, type SearchProgress } from "../search/search.ts";

const HELP = `deno task search [options]

  --space nb201            search space (only nb201 for now)
  --method NAME            ${
  Object.entries(METHODS).map(([k, m]) => `${k}: ${m.description}`).join("\n                           ")
}
                           (default sa)
  --preset NAME            ${
  Object.entries(PRESETS).map(([k, p]) => `${k}: ${p.description}`).join("\n                           ")
}
                           (default cpu)
  --seed N                 seed of weights, α, data order and sampling (default 0)
  --epochs N               epochs (default: the preset's)
  --backend NAME           auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu (default auto)
  --threads N              wasm threads (default: every core)
  --out DIR                run folder (default runs/<method>-<preset>-s<seed>)
  --resume                 continue the run in --out from its last checkpoint (or read it back if finished)

 method knobs
  --nu X --mu X            SA: negative slope ν ∈ [0, 1] (default 1: eq. 8) and smoothness μ (eq. 7)
  --lambda X               constant λ (SA or Beta)
  --lambda-divisor X       SA: λ_e = epoch / X, epochs counted from 1 (default 5)
  --lambda-slope X         Beta: λ = X · epoch, 0-based (default 0.5)
  --alpha-scale X          α init scale · N(0, 1) (default 1e-3)
  --alpha-offset X         constant added to every α (negative-init study)
  --alpha-bias OP=X        added to one op's α on every edge, e.g. skip_connect=0.1 (repeatable)
  --warmup-epochs N        epochs that train the weights only (default 0)
  --arch-lr X --arch-weight-decay X --weight-lr X --weight-decay X --grad-clip X
  --tau-max X --tau-min X  SNAS temperature

 data and model
  --data PATH              images: a sadarts file, or official CIFAR-10 binaries (file or folder)
  --data-format F          sadarts or cifar10 (default: the preset's)
  --download               fetch the official CIFAR-10 archive first when missing (paper preset)
  --limit N --batch-size N --downsample N --augment --no-augment --cutout N
  --channels N --cells N   supernet C and N
  --no-eval                skip the per-epoch evaluation pass on the validation half

  --json                   print the summary as JSON on stdout at the end
  --quiet                  no progress output
`;

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x)) throw new Error(`--${flag} expects a number, got "${v}"`);
  return x;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The config and run options the command line asks for. */
export function parseSearchArgs(args: string[]) {
  // "--epochs -1" must reach the range check, not parseArgs' "ambiguous argument" error.
  const joined = args.flatMap((a, i) =>
    /^-[\d.]/.test(a) && args[i - 1]?.startsWith("--") && !args[i - 1].includes("=") ? [] : [
      /^-[\d.]/.test(args[i + 1] ?? "") && a.startsWith("--") && !a.includes("=") ? `${a}=${args[i + 1]}` : a,
    ]
  );
  const { values: v, positionals } = parseArgs({
    args: joined,
    strict: true,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      space: { type: "string" },
      method: { type: "string" },
      preset: { type: "string" },
      seed: { type: "string" },
      epochs: { type: "string" },
      backend: { type: "string" },
      threads: { type: "string" },
      out: { type: "string" },
      resume: { type: "boolean" },
      nu: { type: "string" },
      mu: { type: "string" },
      lambda: { type: "string" },
      "lambda-divisor": { type: "string" },
      "lambda-slope": { type: "string" },
      "alpha-scale": { type: "string" },
      "alpha-offset": { type: "string" },
      "alpha-bias": { type: "string", multiple: true },
      "warmup-epochs": { type: "string" },
      "arch-lr": { type: "string" },
      "arch-weight-decay": { type: "string" },
      "weight-lr": { type: "string" },
      "weight-decay": { type: "string" },
      "grad-clip": { type: "string" },
      "tau-max": { type: "string" },
      "tau-min": { type: "string" },
      data: { type: "string" },
      "data-format": { type: "string" },
      download: { type: "boolean" },
      limit: { type: "string" },
      "batch-size": { type: "string" },
      downsample: { type: "string" },
      augment: { type: "boolean" },
      "no-augment": { type: "boolean" },
      cutout: { type: "string" },
      channels: { type: "string" },
      cells: { type: "string" },
      "no-eval": { type: "boolean" },
      json: { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  if (positionals.length) throw new Error(`unexpected argument "${positionals[0]}" (options start with --)`);
  const lambdas = ["lambda", "lambda-divisor", "lambda-slope"].filter((k) =>
    v[k as keyof typeof v] !== undefined
  );
  if (lambdas.length > 1) throw new Error(`give one of --${lambdas.join(", --")}, not several`);
  let lambda: LambdaConfig | undefined;
  if (v.lambda !== undefined) lambda = num("lambda", v.lambda);
  if (v["lambda-divisor"] !== undefined) lambda = { divisor: num("lambda-divisor", v["lambda-divisor"])! };
  if (v["lambda-slope"] !== undefined) lambda = { slope: num("lambda-slope", v["lambda-slope"])! };
  let bias: Record<string, number> | undefined;
  for (const b of v["alpha-bias"] ?? []) {
    const m = b.match(/^([a-z0-9_]+)=(.+)$/);
    if (!m) throw new Error(`--alpha-bias expects OP=VALUE such as skip_connect=0.1, got "${b}"`);
    (bias ??= {})[m[1]] = num("alpha-bias", m[2])!;
  }
  const methodOptions: MethodConfig = defined({
    nu: num("nu", v.nu),
    mu: num("mu", v.mu),
    lambda,
    tauMax: num("tau-max", v["tau-max"]),
    tauMin: num("tau-min", v["tau-min"]),
    warmupEpochs: num("warmup-epochs", v["warmup-epochs"]),
    gradClip: num("grad-clip", v["grad-clip"]),
  });
  const alphaInit = defined({
    scale: num("alpha-scale", v["alpha-scale"]),
    offset: num("alpha-offset", v["alpha-offset"]),
    bias,
  });
  if (Object.keys(alphaInit).length) methodOptions.alphaInit = alphaInit;
  const archOptimizer = defined({
    lr: num("arch-lr", v["arch-lr"]),
    weightDecay: num("arch-weight-decay", v["arch-weight-decay"]),
  });
  if (Object.keys(archOptimizer).length) methodOptions.archOptimizer = archOptimizer;
  const weightOptimizer = defined({
    lr: num("weight-lr", v["weight-lr"]),
    weightDecay: num("weight-decay", v["weight-decay"]),
  });
  if (Object.keys(weightOptimizer).length) methodOptions.weightOptimizer = weightOptimizer;
  if (v.augment && v["no-augment"]) throw new Error("give --augment or --no-augment, not both");
  if (v["data-format"] !== undefined && !["sadarts", "cifar10"].includes(v["data-format"])) {
    throw new Error(`unknown --data-format "${v["data-format"]}": choose sadarts or cifar10`);
  }
  const configOptions: SearchConfigOptions = {
    space: v.space,
    method: v.method,
    preset: v.preset,
    seed: num("seed", v.seed),
    epochs: num("epochs", v.epochs),
    methodOptions,
    model: defined({ channels: num("channels", v.channels), cellsPerStage: num("cells", v.cells) }),
    data: defined({
      path: v.data,
      format: v["data-format"] as "sadarts" | "cifar10" | undefined,
      limit: num("limit", v.limit),
      batchSize: num("batch-size", v["batch-size"]),
      downsample: num("downsample", v.downsample),
      augment: v.augment ? true : v["no-augment"] ? false : undefined,
      cutout: num("cutout", v.cutout),
    }),
    evaluate: v["no-eval"] ? false : undefined,
  };
  const config = searchConfig(configOptions);
  return {
    help: v.help ?? false,
    config,
    out: v.out ?? `runs/${config.method}-${config.preset}-s${config.seed}`,
    resume: v.resume ?? false,
    backend: v.backend ?? "auto",
    threads: num("threads", v.threads),
    download: v.download ?? false,
    json: v.json ?? false,
    quiet: v.quiet ?? false,
  };
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(r).padStart(2, "0")}s`;
}

const pct = (x: unknown) => (typeof x === "number" ? `${x.toFixed(2)}%` : "–");

async function main(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return;
  }
  const o = parseSearchArgs(args);
  const err = (s: string) => !o.quiet && console.error(s);
  const backend = await selectBackend(o.backend, { threads: o.threads });
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
  let started = performance.now();
  let stepsDone = 0;
  const progress = (p: SearchProgress) => {
    if (o.quiet || !tty) return;
    stepsDone++;
    const perStep = (performance.now() - started) / 1000 / stepsDone;
    const left = ((p.epochs - p.epoch - 1) * p.steps + (p.steps - p.step)) * perStep;
    const width = 20;
    const filled = Math.round((width * p.step) / p.steps);
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    Deno.stderr.writeSync(encoder.encode(
      `\repoch ${p.epoch + 1}/${p.epochs} [${bar}] ${p.step}/${p.steps} loss ${p.trainLoss.toFixed(3)} ` +
        `ETA ${clock(left)} ${p.cell}\x1b[K`,
    ));
  };
  const result = await search(o.config, {
    out: o.out,
    resume: o.resume,
    log: err,
    onProgress: progress,
    onEpoch: (r) => {
      if (tty && !o.quiet) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
      err(
        `epoch ${r.epoch}/${o.config.epochs}  train ${Number(r.trainLoss).toFixed(3)} ${pct(r.trainAcc)}  ` +
          `valid ${r.validLoss === null ? "–" : Number(r.validLoss).toFixed(3)} ${pct(r.validAcc)}  ` +
          `cell ${r.cell}  NB201 C10 ${pct(r.cifar10)}  skip ${r.skipEdges}  ${
            Number(r.seconds).toFixed(1)
          } s`,
      );
      started = performance.now(); // ETA from the current epoch's pace
      stepsDone = 0;
    },
  });
  const s = result.summary;
  if (o.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  console.log(
    [
      `derived cell: ${s.cell}`,
      `NAS-Bench-201 test accuracy: CIFAR-10 ${pct(s.cifar10)}, CIFAR-100 ${pct(s.cifar100)}, ` +
      `ImageNet16-120 ${pct(s.imagenet16)}`,
      `CIFAR-10 rank ${s.cifar10Rank} of 15625 (percentile ${s.cifar10Percentile.toFixed(2)}), ` +
      `${s.skipEdges} skip_connect edge(s)`,
      `${s.epochsDone} epochs in ${clock(s.seconds)}; run folder ${o.out}`,
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
