/**
 * A search as data: the config a run folder stores and a resume must match, the three presets
 * (`smoke`, `cpu`, `paper`) as plain objects, and the checks that turn a bad value into a clear error
 * before anything runs or is written.
 * @module
 */
import { methodByName, type MethodOptions, METHODS, type SearchMethod } from "../methods/mod.ts";
import { NB201_OPS } from "../spaces/nb201.ts";
import { linearSchedule, saSchedule, type Strength } from "../regularizers/schedules.ts";

/** Where the images come from. */
export interface DataConfig {
  /**
   * `sadarts`: a file in our format (default `data/cifar10_train10k_16x16.bin`, shipped);
   * `cifar10`: official CIFAR-10 binaries, `path` being one `.bin` file or the folder holding
   * `data_batch_1.bin` … `data_batch_5.bin` (as extracted from the official archive).
   */
  format: "sadarts" | "cifar10";
  /** The file or folder; absent: the shipped file (`sadarts`) or `data/cifar10/cifar-10-batches-bin`. */
  path?: string;
  /** Use only the first `limit` images (default all). */
  limit?: number;
  /** Average-pool 2x2 this many times before searching (0: keep the size). */
  downsample: number;
  /** Images per batch, for w and for α alike. */
  batchSize: number;
  /** Pad-4 random crop + horizontal flip on both halves. */
  augment: boolean;
  /** Cutout length in pixels, 0 for none (needs `augment`). */
  cutout: number;
  /** Seed of the NB201 w/α split (fixed across run seeds, like NB201's split file). */
  splitSeed: number;
}

/** Supernet shape. */
export interface ModelConfig {
  channels: number;
  cellsPerStage: number;
  /** Affine BN in the cells (false during search in every reference). */
  affine: boolean;
  trackRunningStats: boolean;
}

/**
 * λ of a regularizer in a config: a constant, SA's `{ divisor, countFrom }` (λ = (epoch + countFrom) /
 * divisor) or a linear `{ slope, start, countFrom }` (λ = start + slope · (epoch + countFrom)).
 */
export type LambdaConfig =
  | number
  | { divisor: number; countFrom?: number }
  | { slope: number; start?: number; countFrom?: number };

/** The JSON form of `MethodOptions`: λ as {@link LambdaConfig} instead of a function. */
export type MethodConfig = Omit<MethodOptions, "lambda"> & { lambda?: LambdaConfig };

/** Everything that fixes a search's result. Equal configs, equal runs (on one backend). */
export interface SearchConfig {
  space: "nb201";
  method: string;
  methodOptions: MethodConfig;
  preset: string;
  seed: number;
  epochs: number;
  model: ModelConfig;
  data: DataConfig;
  /** Evaluate the supernet in eval mode on the whole α half after every epoch. */
  evaluate: boolean;
}

/** What a preset fixes (method and seed are chosen separately). */
export type Preset = Pick<SearchConfig, "epochs" | "model" | "data" | "evaluate"> & { description: string };

const SEARCH_MODEL: ModelConfig = { channels: 16, cellsPerStage: 5, affine: false, trackRunningStats: true };
const NO_AUGMENT = { augment: false, cutout: 0, splitSeed: 0 };

/** The presets: the same code path at three scales. */
export const PRESETS: Readonly<Record<string, Readonly<Preset>>> = {
  smoke: {
    description: "seconds: C=4, N=1, 512 shipped images pooled to 8x8, batch 32, 3 epochs (tests)",
    epochs: 3,
    model: { ...SEARCH_MODEL, channels: 4, cellsPerStage: 1 },
    data: { format: "sadarts", limit: 512, downsample: 1, batchSize: 32, ...NO_AUGMENT },
    evaluate: true,
  },
  cpu: {
    description:
      "minutes: C=8, N=2, the shipped 10k CIFAR-10 images at 16x16 split 5k/5k, batch 64, 20 epochs",
    epochs: 20,
    model: { ...SEARCH_MODEL, channels: 8, cellsPerStage: 2 },
    data: { format: "sadarts", downsample: 0, batchSize: 64, ...NO_AUGMENT },
    evaluate: true,
  },
  paper: {
    description: "the paper's setting (SPECS §1.5): C=16, N=5, full CIFAR-10 32x32 split 25k/25k, " +
      "batch 64, pad-4 crop + flip, 50 epochs; needs a GPU and the official CIFAR-10 binaries",
    epochs: 50,
    model: SEARCH_MODEL,
    data: { format: "cifar10", downsample: 0, batchSize: 64, ...NO_AUGMENT, augment: true },
    evaluate: true,
  },
};

/** The search spaces the loop runs. */
export const SPACES = ["nb201"] as const;

function choose<T>(what: string, name: string, table: Readonly<Record<string, T>>): T {
  if (!Object.hasOwn(table, name)) {
    throw new Error(`unknown ${what} "${name}": choose one of ${Object.keys(table).join(", ")}`);
  }
  return table[name];
}

/** The preset called `name` (an unknown name lists the presets). */
export function presetByName(name: string): Readonly<Preset> {
  return choose("preset", name, PRESETS);
}

/** What a config is built from: a preset and the values that differ from it. */
export interface SearchConfigOptions {
  space?: string;
  method?: string;
  methodOptions?: MethodConfig;
  preset?: string;
  seed?: number;
  epochs?: number;
  model?: Partial<ModelConfig>;
  data?: Partial<DataConfig>;
  evaluate?: boolean;
}

/** `defaults` with the defined entries of `overrides`; a key outside `defaults` and `optional` is an error. */
function merged(
  group: string,
  defaults: object,
  overrides: object | undefined,
  optional: string[] = [],
): object {
  const known = [...new Set([...Object.keys(defaults), ...optional])];
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!known.includes(k)) {
      throw new Error(`unknown ${group} option "${k}": choose from ${known.join(", ")}`);
    }
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * A complete, checked config: `preset` (default `cpu`) with `o` on top. Defaults: space nb201,
 * method sa, seed 0. Throws on anything unknown or out of range, naming it.
 */
export function searchConfig(o: SearchConfigOptions = {}): SearchConfig {
  const space = o.space ?? "nb201";
  if (!(SPACES as readonly string[]).includes(space)) {
    throw new Error(`unknown search space "${space}": choose one of ${SPACES.join(", ")}`);
  }
  const preset = o.preset ?? "cpu";
  const p = presetByName(preset);
  const data = merged("data", p.data, o.data, ["path", "limit"]) as DataConfig;
  const model = merged("model", p.model, o.model) as ModelConfig;
  const config: SearchConfig = {
    space: "nb201",
    method: o.method ?? "sa",
    methodOptions: o.methodOptions ?? {},
    preset,
    seed: o.seed ?? 0,
    epochs: o.epochs ?? p.epochs,
    model,
    data,
    evaluate: o.evaluate ?? p.evaluate,
  };
  checkSearchConfig(config);
  return config;
}

function integer(name: string, v: unknown, min: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
  }
}

/** Check a config (e.g. one read back from a run folder); returns the method it builds to do so. */
export function checkSearchConfig(c: SearchConfig): SearchMethod {
  if (c.space !== "nb201") {
    throw new Error(`unknown search space "${c.space}": choose one of ${SPACES.join(", ")}`);
  }
  presetByName(c.preset);
  integer("seed", c.seed, 0);
  integer("epochs", c.epochs, 1);
  integer("model.channels", c.model.channels, 1);
  integer("model.cellsPerStage", c.model.cellsPerStage, 1);
  const d = c.data;
  if (d.format !== "sadarts" && d.format !== "cifar10") {
    throw new Error(`unknown data format "${d.format}": choose sadarts or cifar10`);
  }
  if (d.limit !== undefined) integer("data.limit", d.limit, 2);
  integer("data.downsample", d.downsample, 0);
  integer("data.batchSize", d.batchSize, 1);
  integer("data.cutout", d.cutout, 0);
  integer("data.splitSeed", d.splitSeed, 0);
  if (d.cutout > 0 && !d.augment) throw new Error("data.cutout needs data.augment");
  const method = searchMethod(c);
  if (method.warmupEpochs >= c.epochs) {
    throw new Error(`warmupEpochs (${method.warmupEpochs}) leaves no epoch of the ${c.epochs} to search α`);
  }
  for (const op of Object.keys(method.alphaInit.bias ?? {})) {
    if (!(NB201_OPS as readonly string[]).includes(op)) {
      throw new Error(`alphaInit.bias names "${op}", not one of the ops ${NB201_OPS.join(", ")}`);
    }
  }
  if (method.partialChannels !== undefined && method.partialChannels !== 1) {
    throw new Error("partialChannels (PC-DARTS) is not available in the NAS-Bench-201 supernet yet");
  }
  return method;
}

/** λ of a config as a schedule or constant. */
export function lambdaStrength(l: LambdaConfig): Strength {
  if (typeof l === "number") return l;
  if ("divisor" in l) return saSchedule({ divisor: l.divisor, countFrom: l.countFrom });
  if ("slope" in l) return linearSchedule({ slope: l.slope, start: l.start, countFrom: l.countFrom });
  throw new Error(`lambda must be a number, { divisor, countFrom } or { slope, start, countFrom }`);
}

/** The config's method (SNAS-like methods get the run's epoch count for their τ schedule). */
export function searchMethod(c: SearchConfig): SearchMethod {
  const { lambda, ...rest } = c.methodOptions;
  const options: MethodOptions = { ...rest };
  if (lambda !== undefined) options.lambda = lambdaStrength(lambda);
  const entry = Object.hasOwn(METHODS, c.method) ? METHODS[c.method] : undefined;
  if (entry?.options.includes("epochs") && options.epochs === undefined) options.epochs = c.epochs;
  return methodByName(c.method, options);
}
