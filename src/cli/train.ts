/**
 * `deno task train --genotype <name | DARTS-form string | file> | --from runs/<search> [options]`: train
 * a genotype's evaluation network from scratch into `runs/train-<source>-<dataset>-<preset>-s<seed>-<hash>/`.
 * `--dry-run` builds the network and prints its exact parameter count and multiply-adds without training;
 * `--help` lists the options. A killed run continues with the same command plus `--resume`.
 * @module
 */
import { parseArgs } from "node:util";
import { selectBackend } from "../backend/select.ts";
import { downloadCifar } from "../data/download.ts";
import { measureDartsNetwork } from "../networks/darts.ts";
import { formatDuration } from "../search/duration.ts";
import { parseDartsGenotype } from "../spaces/darts.ts";
import {
  genotypeFromRun,
  resolveGenotype,
  TRAIN_PRESETS,
  type TrainConfig,
  trainConfig,
  type TrainConfigOptions,
} from "../train/config.ts";
import { RunInterruptedError, train, type TrainRow } from "../train/train.ts";
import { defaultCifarDir, loadTrainData } from "../train/trainData.ts";
import { trainRunName } from "../train/cache.ts";
import {
  EtaClock,
  progressLine,
  shellWords,
  SIGNAL_EXIT_CODES,
  stopOnSignals,
  terminalWidth,
} from "./runConsole.ts";

const HELP = `deno task train (--genotype G | --from RUN) [options]

  --genotype G          a genotype of the library (DARTS_V1, DARTS_V2, PC_DARTS), one in DARTS' text form
                        ("Genotype(normal=[('sep_conv_3x3', 0), …], normal_concat=[2, 3, 4, 5], …)"), or a
                        file holding one
  --from RUN            the genotype a finished DARTS-space search derived (its run folder or record)
  --dataset NAME        cifar10 (default) or cifar100
  --preset NAME         ${
  Object.entries(TRAIN_PRESETS).map(([k, p]) => `${k}: ${p.description}`).join("\n                        ")
}
                        (default cpu)
  --seed N              initial weights, batch order, augmentation and drop path (default 0)
  --epochs N            override the preset's epochs
  --channels C          override C;  --cells N  override the number of cells
  --auxiliary / --no-auxiliary   the auxiliary head (weight 0.4) on or off
  --drop-path P         drop-path probability at the last epoch (DARTS: 0.2)
  --recompute           recompute each cell in the backward pass (the paper size on wasm: its 4 GiB)
  --batch-size N        --lr X   --cutout L   --pad P
  --data PATH           training images: a file in our format, or (with a cifar preset) the folder of the
                        official binaries (default: the shipped 16x16 subset, or data/<dataset>)
  --test-data FILE      test images in our format (default: the shipped 2k CIFAR-10 test images)
  --limit N             only the first N training images; --test-limit N the same for the test images
  --download            fetch the official archive into data/<dataset> if missing (paper preset)
  --out DIR             run folder (default runs/train-<source>-<dataset>-<preset>-s<seed>-<hash>)
  --resume              continue the run in --out from its checkpoint (a finished one is read back)
  --dry-run             build the network, print its parameters and multiply-adds, train nothing
  --backend NAME        auto (default), wasm, cpu, webgpu, tensorflow, tensorflow-gpu
  --threads N           wasm threads
  --json                print the summary as JSON
  --quiet               no progress output`;

/** `--name v` as a number: a whole one ≥ `min` (default 1), or with `fraction` any number ≥ 0. */
function numberFlag(
  name: string,
  v: string | undefined,
  o: { min?: number; fraction?: boolean } = {},
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const min = o.fraction ? 0 : o.min ?? 1;
  if (v.trim() === "" || !Number.isFinite(n) || (!o.fraction && !Number.isInteger(n)) || n < min) {
    throw new Error(`--${name} expects ${o.fraction ? "a number" : "a whole number"} ≥ ${min}, got "${v}"`);
  }
  return n;
}

const STRING_OPTIONS = [
  ...[
    "genotype",
    "from",
    "dataset",
    "preset",
    "seed",
    "epochs",
    "channels",
    "cells",
    "drop-path",
    "batch-size",
  ],
  ...["lr", "cutout", "pad", "data", "test-data", "limit", "test-limit", "out", "backend", "threads"],
];
const SWITCHES = ["auxiliary", "no-auxiliary", "recompute", "download", "resume", "dry-run", "json", "quiet"];

/** What `parseTrainArgs` returns: the checked config and how to run it. */
export interface TrainArgs {
  config: TrainConfig;
  out: string;
  resume: boolean;
  dryRun: boolean;
  download: boolean;
  backend: string;
  threads?: number;
  json: boolean;
  quiet: boolean;
}

/** The command line as a checked config; every refusal names the option. */
export async function parseTrainArgs(args: string[]): Promise<TrainArgs> {
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      ...Object.fromEntries(STRING_OPTIONS.map((k) => [k, { type: "string" as const }])),
      ...Object.fromEntries(SWITCHES.map((k) => [k, { type: "boolean" as const }])),
    },
  }) as { values: Record<string, string | boolean | undefined> };
  const s = (k: string) => v[k] as string | undefined;
  if ((s("genotype") === undefined) === (s("from") === undefined)) {
    throw new Error(
      "give the genotype to train: --genotype NAME|STRING|FILE or --from runs/<search> (one of them)",
    );
  }
  if (v.auxiliary && v["no-auxiliary"]) throw new Error("give --auxiliary or --no-auxiliary, not both");
  const resolved = s("genotype") !== undefined
    ? await resolveGenotype(s("genotype")!)
    : await genotypeFromRun(s("from")!);
  const dataset = s("dataset") ?? "cifar10";
  if (dataset !== "cifar10" && dataset !== "cifar100") {
    throw new Error(`--dataset must be cifar10 or cifar100, got "${dataset}"`);
  }
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
  const options: TrainConfigOptions = {
    genotype: resolved.genotype,
    genotypeSource: resolved.source,
    dataset,
    preset: s("preset"),
    seed: numberFlag("seed", s("seed"), { min: 0 }),
    epochs: numberFlag("epochs", s("epochs")),
    model: defined({
      channels: numberFlag("channels", s("channels")),
      layers: numberFlag("cells", s("cells")),
      auxiliary: v.auxiliary ? true : v["no-auxiliary"] ? false : undefined,
      dropPathProb: numberFlag("drop-path", s("drop-path"), { fraction: true }),
      recompute: v.recompute ? true : undefined,
    }),
    data: defined({
      path: s("data"),
      testPath: s("test-data"),
      limit: numberFlag("limit", s("limit")),
      testLimit: numberFlag("test-limit", s("test-limit")),
      batchSize: numberFlag("batch-size", s("batch-size")),
      cutout: numberFlag("cutout", s("cutout"), { min: 0 }),
      pad: numberFlag("pad", s("pad"), { min: 0 }),
    }),
    optimizer: defined({ lr: numberFlag("lr", s("lr"), { fraction: true }) }),
  };
  const config = trainConfig(options);
  return {
    config,
    out: s("out") ?? `runs/${trainRunName(config)}`,
    resume: v.resume === true,
    dryRun: v["dry-run"] === true,
    download: v.download === true,
    backend: s("backend") ?? "auto",
    threads: numberFlag("threads", s("threads")),
    json: v.json === true,
    quiet: v.quiet === true,
  };
}

/** The line printed after each epoch. */
export function trainEpochLine(r: TrainRow, epochs: number): string {
  const f = (x: number | null, d: number) => (x === null ? "–" : x.toFixed(d));
  return `epoch ${r.epoch}/${epochs}  train ${f(r.trainLoss, 3)} ${f(r.trainAcc, 2)}%  test ${
    f(r.testLoss, 3)
  } ` +
    `${f(r.testAcc, 2)}%  lr ${f(r.lr, 5)}  drop path ${f(r.dropPathProb, 3)}  ${r.seconds.toFixed(1)} s`;
}

async function main(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return;
  }
  const o = await parseTrainArgs(args);
  const c = o.config;
  const err = (line: string) => !o.quiet && console.error(line);
  const backend = await selectBackend(o.backend as never, { threads: o.threads });
  if (o.dryRun) {
    // The image size of the data (our files say theirs; the official binaries are 32x32).
    const size = c.data.format === "sadarts" ? (await loadTrainData(c)).train.height : 32;
    const m = measureDartsNetwork(
      parseDartsGenotype(c.genotype),
      {
        channels: c.model.channels,
        layers: c.model.layers,
        numClasses: c.dataset === "cifar100" ? 100 : 10,
        auxiliary: c.model.auxiliary,
      },
      size,
      size,
    );
    const report = { ...m, image: `${size}x${size}`, config: c };
    const count = (n: number) => n.toLocaleString("en-US");
    if (o.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(
        [
          `genotype ${c.genotypeSource}: ${c.genotype}`,
          `network: C=${c.model.channels}, ${c.model.layers} cells, ${
            c.dataset === "cifar100" ? 100 : 10
          } classes` +
          `${c.model.auxiliary ? ", auxiliary head" : ""}`,
          `parameters: ${count(m.parameters)} (${(m.parameters / 1e6).toFixed(6)}M, DARTS' count` +
          (m.auxiliaryParameters ? `: the auxiliary head's ${count(m.auxiliaryParameters)} apart)` : ")"),
          `multiply-adds per ${size}x${size} image: ${m.multiplyAdds.toLocaleString("en-US")} (${
            (m.multiplyAdds / 1e6).toFixed(1)
          }M)`,
        ].join("\n"),
      );
    }
    return;
  }
  err(
    `sadarts: training ${c.genotypeSource} on ${c.dataset}, preset ${c.preset}, seed ${c.seed}, ${c.epochs} epochs, ` +
      `backend ${backend.name} (${backend.description}) → ${o.out}`,
  );
  if (o.download && c.data.format === "cifar") {
    await downloadCifar({
      variant: c.dataset,
      cacheDir: c.data.path ?? defaultCifarDir(c.dataset),
      onProgress: (b, t) =>
        err(`downloading ${c.dataset}: ${(b / 1e6).toFixed(0)}/${(t / 1e6).toFixed(0)} MB`),
    });
  }
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const clear = () => tty && !o.quiet && Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
  const eta = new EtaClock();
  const stop = stopOnSignals("training", (line) => {
    clear();
    err(line);
  });
  const result = await train(c, {
    out: o.out,
    resume: o.resume,
    log: err,
    signal: stop.signal,
    onProgress: (p) => {
      if (o.quiet || !tty) return;
      // The pace from the epoch's first step on: loading, building and restoring are not steps.
      if (p.step === 1) eta.restart();
      const line = progressLine({
        epoch: p.epoch + 1,
        epochs: p.epochs,
        step: p.step,
        steps: p.steps,
        loss: p.trainLoss,
        eta: eta.step(p.epoch, p.epochs, p.step, p.steps),
        cell: "",
      }, terminalWidth());
      Deno.stderr.writeSync(encoder.encode(`\r${line}\x1b[K`));
    },
    onEpoch: (r) => {
      clear();
      err(trainEpochLine(r, c.epochs));
      eta.restart();
    },
  }).catch((e) => {
    if (!(e instanceof RunInterruptedError)) throw e;
    const again = e.epochsDone > 0 && !args.includes("--resume") ? [...args, "--resume"] : args;
    console.error(`sadarts train: ${e.message.replace(/; resume it with resume: true$/, "")}`);
    console.error(
      `${e.epochsDone > 0 ? "resume" : "start again"} with: deno task train ${shellWords(again)}`,
    );
    Deno.exit(SIGNAL_EXIT_CODES[e.reason as keyof typeof SIGNAL_EXIT_CODES] ?? 130);
  }).finally(() => stop.remove());
  const s = result.summary;
  if (o.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  console.log(
    [
      `${s.genotypeSource} on ${s.dataset}: test accuracy ${s.testAcc?.toFixed(2) ?? "–"}% (best ${
        s.bestTestAcc?.toFixed(2) ?? "–"
      }%), ` +
      `${(s.parameters / 1e6).toFixed(2)}M parameters`,
      `${s.epochsDone} epochs in ${formatDuration(s.seconds)}; run folder ${o.out}`,
    ].join("\n"),
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`sadarts train: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
