/**
 * A search as data: the config a run folder stores and a resume must match, the three presets
 * (`smoke`, `cpu`, `paper`) as plain objects, and the checks that turn a bad value into a clear error
 * before anything runs or is written.
 * @module
 */
import { methodByName, type MethodOptions, METHODS, type SearchMethod } from "../methods/mod.ts";
import { SEARCH_SPACES, spaceByName } from "../spaces/mod.ts";
import type { SpacePreset } from "../spaces/space.ts";
import { didYouMean } from "./didYouMean.ts";
import {
  boolean,
  describeValue,
  integer,
  isObject,
  number,
  object,
  string,
  unknownField,
} from "./valueChecks.ts";

import { linearSchedule, pointsSchedule, saSchedule, type Strength } from "../regularizers/schedules.ts";

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

/** The supernet's options: the space's own fields (e.g. `Nb201ModelConfig`), checked by the space. */
export type ModelConfig = Readonly<Record<string, unknown>>;

/**
 * λ of a regularizer in a config: a constant, SA's `{ divisor, countFrom }` (λ = (epoch + countFrom) /
 * divisor), a linear `{ slope, start, countFrom }` (λ = start + slope · (epoch + countFrom)), or points
 * `{ points: [[epoch, λ], …], countFrom }`: piecewise linear through them, held constant outside
 * (`pointsSchedule`; epochs strictly increasing, λ finite and ≥ 0). Epochs are the loop's, from 0.
 */
export type LambdaConfig =
  | number
  | { divisor: number; countFrom?: number }
  | { slope: number; start?: number; countFrom?: number }
  | { points: [number, number][]; countFrom?: number };

/** The JSON form of `MethodOptions`: λ as {@link LambdaConfig} instead of a function. */
export type MethodConfig = Omit<MethodOptions, "lambda"> & { lambda?: LambdaConfig };

/** Everything that fixes a search's result. Equal configs, equal runs (on one backend). */
export interface SearchConfig {
  /** The search space's name (`SPACES`). */
  space: string;
  method: string;
  methodOptions: MethodConfig;
  preset: string;
  seed: number;
  epochs: number;
  model: ModelConfig;
  data: DataConfig;
  /** Evaluate the supernet in eval mode on the whole α half after every epoch. */
  evaluate: boolean;
  /**
   * Record, at epoch 0 and after every epoch, the dominant eigenvalue of the validation loss's Hessian with
   * respect to the architecture parameters (`hessianEigenvalue`: RobustDARTS' collapse signal). Absent when
   * off, so configs without it keep their hash. `true` measures with {@link HESSIAN_DEFAULTS}.
   */
  hessian?: true | HessianConfig;
}

/** How `SearchConfig.hessian` measures: absent fields take {@link HESSIAN_DEFAULTS}'. */
export interface HessianConfig {
  /** Images of the α half (its first, the same every epoch). */
  images?: number;
  /** Power-iteration steps at most. */
  iterations?: number;
  /** Stop when the estimate moves by less than this fraction of itself. */
  tolerance?: number;
}

/** What `hessian: true` measures with: 128 images, at most 20 steps, to 0.1%. */
export const HESSIAN_DEFAULTS: Required<HessianConfig> = { images: 128, iterations: 20, tolerance: 1e-3 };

/** Check a `hessian` value: true, or an object of {@link HessianConfig}'s fields in range. */
function checkHessian(v: unknown): void {
  if (v === true) return;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new Error(`hessian must be true or { images, iterations, tolerance }, got ${describeValue(v)}`);
  }
  for (const [k, x] of Object.entries(v)) {
    if (k === "images") integer("hessian.images", x, 1, CONFIG_BOUNDS.limit);
    else if (k === "iterations") integer("hessian.iterations", x, 1, 1000);
    else if (k === "tolerance") {
      if (typeof x !== "number" || !(x > 0 && x < 1)) {
        throw new Error(`hessian.tolerance must be a number in (0, 1), got ${describeValue(x)}`);
      }
    } else unknownField("key of hessian", k, Object.keys(HESSIAN_DEFAULTS));
  }
}

/**
 * What a preset fixes (method and seed are chosen separately): every space has its own, under the
 * same three names (`SCALES`).
 */
export type Preset = SpacePreset;

/** The preset names every space has: the same code path at three scales. */
export const SCALES = ["smoke", "cpu", "paper"] as const;

/** The space a config searches when it names none. */
export const DEFAULT_SPACE = "nb201";

/** The search spaces the loop runs (`spaces/mod.ts` registers them). */
export const SPACES: readonly string[] = Object.keys(SEARCH_SPACES);

function choose<T>(what: string, name: string, table: Readonly<Record<string, T>>): T {
  if (!Object.hasOwn(table, name)) {
    throw new Error(`unknown ${what} "${name}": choose one of ${Object.keys(table).join(", ")}`);
  }
  return table[name];
}

/**
 * The preset called `name` of `space` (default nb201); an unknown name lists the space's presets.
 * @example
 * ```ts
 * import { presetByName } from "../mod.ts";
 * console.assert(presetByName("cpu").epochs === 20);
 * ```
 */
export function presetByName(name: string, space: string = DEFAULT_SPACE): Readonly<Preset> {
  return choose("preset", name, spaceByName(space).presets);
}

/**
 * What a config is built from: a preset and the values that differ from it. Every field is optional;
 * an absent one takes the default below.
 */
export interface SearchConfigOptions {
  /** The search space (default `nb201`, the only one so far). */
  space?: string;
  /** The method's name, a key of `METHODS` (default `sa`). */
  method?: string;
  /** The method's options (default none: the method's own defaults). */
  methodOptions?: MethodConfig;
  /** The preset the other fields start from (default `cpu`). */
  preset?: string;
  /** Seed of weights, α, data order and sampling (default 0). */
  seed?: number;
  /** Epochs (default: the preset's). */
  epochs?: number;
  /** Supernet fields that differ from the preset's. */
  model?: Partial<ModelConfig>;
  /** Data fields that differ from the preset's. */
  data?: Partial<DataConfig>;
  /** Evaluate after every epoch (default: the preset's, true in all three). */
  evaluate?: boolean;
  /** Record the Hessian's dominant eigenvalue per epoch (default false; see `SearchConfig.hessian`). */
  hessian?: boolean | HessianConfig;
}

/** The fields of a config, in the order messages list them. */
const CONFIG_FIELDS = [
  "space",
  "method",
  "methodOptions",
  "preset",
  "seed",
  "epochs",
  "model",
  "data",
  "evaluate",
] as const;

/** Fields a config holds only when set (so that older configs, without them, keep their hash). */
const OPTIONAL_CONFIG_FIELDS = ["hessian"] as const;

/**
 * Upper bounds on counts, against typos such as `--epochs 1e12` (a run of 10^12 epochs): far beyond
 * any real search, so no sensible config is refused.
 */
export const CONFIG_BOUNDS = {
  epochs: 10000,
  seed: 2 ** 32 - 1,
  limit: 100_000_000,
  downsample: 8,
  batchSize: 65536,
  cutout: 1024,
} as const;

/** The type of each method option a config may hold (ranges are the method's to check). */
const METHOD_OPTION_CHECKS: Record<string, (name: string, v: unknown) => void> = {
  nu: number,
  mu: number,
  tauMax: number,
  tauMin: number,
  gradClip: number,
  epochs: (n, v) => integer(n, v, 1),
  warmupEpochs: (n, v) => integer(n, v, 0),
  partialChannels: (n, v) => integer(n, v, 1),
  sampleInEval: boolean,
  secondOrder: boolean,
  lambda: checkLambdaConfig,
  archOptimizer: (n, v) =>
    fields(n, v, {
      lr: number,
      weightDecay: number,
      betas: (n, b) => {
        if (!Array.isArray(b) || b.length !== 2 || b.some((x) => typeof x !== "number")) {
          throw new Error(`${n} must be a pair of numbers, got ${describeValue(b)}`);
        }
      },
    }),
  weightOptimizer: (n, v) =>
    fields(n, v, { lr: number, momentum: number, weightDecay: number, minLr: number, nesterov: boolean }),
  alphaInit: (n, v) =>
    fields(n, v, {
      scale: number,
      offset: number,
      bias: (n, b) => {
        for (const [op, x] of Object.entries(object(n, b))) number(`${n}.${op}`, x);
      },
    }),
};

/** Check the types of the defined fields of `v` that `checks` knows; unknown keys are left to others. */
function fields(name: string, v: unknown, checks: Record<string, (name: string, v: unknown) => void>): void {
  for (const [k, x] of Object.entries(object(name, v))) {
    if (x !== undefined && Object.hasOwn(checks, k)) checks[k](`${name}.${k}`, x);
  }
}

const LAMBDA_FORMS: Record<string, readonly string[]> = {
  divisor: ["divisor", "countFrom"],
  slope: ["slope", "start", "countFrom"],
  points: ["points", "countFrom"],
};

/** A λ config's shape and types (its values are checked by the schedule it builds). */
function checkLambdaConfig(name: string, l: unknown): void {
  if (typeof l === "number") return;
  if (!isObject(l)) {
    throw new Error(
      `${name} must be a number, { divisor }, { slope } or { points }, got ${describeValue(l)}`,
    );
  }
  const forms = Object.keys(LAMBDA_FORMS).filter((k) => k in l);
  if (forms.length !== 1) {
    throw new Error(
      forms.length
        ? `${name} has both ${forms.join(" and ")}: give one form`
        : `${name} must be a number, { divisor }, { slope } or { points }, got ${describeValue(l)}`,
    );
  }
  const allowed = LAMBDA_FORMS[forms[0]];
  for (const [k, v] of Object.entries(l)) {
    if (!allowed.includes(k)) unknownField(`key of ${name} { ${forms[0]} }`, k, allowed);
    if (k === "points") {
      if (!Array.isArray(v)) {
        throw new Error(`${name}.points must be an array of [epoch, λ] pairs, got ${describeValue(v)}`);
      }
      v.forEach((p, i) => {
        if (!Array.isArray(p) || p.length !== 2 || p.some((x) => typeof x !== "number")) {
          throw new Error(
            `${name}.points[${i}] must be an [epoch, λ] pair of numbers, got ${describeValue(p)}`,
          );
        }
      });
    } else if (v !== undefined) number(`${name}.${k}`, v);
  }
}

function checkMethodOptionTypes(o: unknown): void {
  for (const [k, v] of Object.entries(object("methodOptions", o))) {
    if (v !== undefined && Object.hasOwn(METHOD_OPTION_CHECKS, k)) {
      METHOD_OPTION_CHECKS[k](`methodOptions.${k}`, v);
    }
  }
}

const DATA_CHECKS: Record<string, (name: string, v: unknown) => void> = {
  format: (n, v) => {
    if (v !== "sadarts" && v !== "cifar10") {
      throw new Error(`unknown data format ${JSON.stringify(v)}: choose sadarts or cifar10 (${n})`);
    }
  },
  path: string,
  limit: (n, v) => integer(n, v, 2, CONFIG_BOUNDS.limit),
  downsample: (n, v) => integer(n, v, 0, CONFIG_BOUNDS.downsample),
  batchSize: (n, v) => integer(n, v, 1, CONFIG_BOUNDS.batchSize),
  augment: boolean,
  cutout: (n, v) => integer(n, v, 0, CONFIG_BOUNDS.cutout),
  splitSeed: (n, v) => integer(n, v, 0, CONFIG_BOUNDS.seed),
};

/**
 * The fields of `o` (options, or with `complete` a whole config): known names only, each of its type
 * and in range where it is a count. Messages name the field and show the value and its type.
 */
function checkFields(o: Record<string, unknown>, complete: boolean): void {
  for (const k of Object.keys(o)) {
    const known = [...CONFIG_FIELDS, ...OPTIONAL_CONFIG_FIELDS];
    if (!(known as readonly string[]).includes(k)) unknownField("field", k, known);
  }
  if (complete) {
    const missing = CONFIG_FIELDS.filter((k) => o[k] === undefined);
    if (missing.length) {
      throw new Error(
        `config is missing ${missing.join(", ")}: build configs with searchConfig(options), not by hand`,
      );
    }
  }
  const present = (k: string) => o[k] !== undefined;
  for (const k of ["space", "method", "preset"]) if (present(k)) string(k, o[k]);
  if (present("seed")) integer("seed", o.seed, 0, CONFIG_BOUNDS.seed);
  if (present("epochs")) integer("epochs", o.epochs, 1, CONFIG_BOUNDS.epochs);
  if (present("evaluate")) boolean("evaluate", o.evaluate);
  if (present("hessian") && !(o.hessian === false && !complete)) checkHessian(o.hessian);
  if (present("methodOptions")) checkMethodOptionTypes(o.methodOptions);
  // The model's fields are the space's (an unknown space is refused first, by name).
  const modelChecks = spaceByName(present("space") ? o.space as string : DEFAULT_SPACE).modelChecks;
  for (const [group, checks] of [["model", modelChecks], ["data", DATA_CHECKS]] as const) {
    if (!present(group)) continue;
    const g = object(group, o[group]);
    const keys = complete
      ? [...new Set([...Object.keys(checks).filter((k) => k !== "path" && k !== "limit"), ...Object.keys(g)])]
      : Object.keys(g);
    for (const k of keys) {
      if (!Object.hasOwn(checks, k)) {
        if (complete) unknownField(`${group} option`, k, Object.keys(checks));
        continue; // merged() names unknown keys against the preset's
      }
      if (g[k] !== undefined || complete) checks[k](`${group}.${k}`, g[k]);
    }
  }
}

/**
 * Check the fields of search options (as `searchConfig` takes them, e.g. a config file a user wrote):
 * known names, types and count ranges; what depends on the preset and method is checked when the
 * config is built. Throws, naming the field: `epochs must be an integer ≥ 1, got "3" (a string)`.
 */
export function checkSearchConfigOptions(o: unknown): asserts o is SearchConfigOptions {
  if (!isObject(o)) {
    throw new Error(
      `searchConfig expects an options object, got ${
        describeValue(o)
      }: e.g. searchConfig({ preset: "smoke" })`,
    );
  }
  checkFields(o, false);
}

/**
 * Read a config file: a run folder's `config.json` (a folder is read as its `config.json`) or one a
 * user wrote with any of {@link SearchConfigOptions}' fields. Returns the options (absent fields take
 * their defaults in `searchConfig`); an unreadable file, bad JSON or a bad field is an error naming the file.
 */
export function loadConfigFile(path: string): SearchConfigOptions {
  let file = path;
  let text: string;
  try {
    if (Deno.statSync(path).isDirectory) file = `${path.replace(/\/+$/, "")}/config.json`;
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `config file ${file} not found: give a run folder's config.json or a JSON file of searchConfig's options`,
      );
    }
    throw new Error(`config file ${file} is unreadable (${(e as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}): fix the file`);
  }
  try {
    if (!isObject(value)) throw new Error(`a config must be a JSON object, got ${describeValue(value)}`);
    checkSearchConfigOptions(value);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  return value;
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
 * method sa, seed 0, methodOptions none (the method's defaults), epochs, model, data and evaluate the
 * preset's. Throws on anything unknown, of the wrong type or out of range, naming it.
 */
export function searchConfig(o: SearchConfigOptions = {}): SearchConfig {
  checkSearchConfigOptions(o);
  const space = o.space ?? DEFAULT_SPACE;
  spaceByName(space);
  const preset = o.preset ?? "cpu";
  const p = presetByName(preset, space);
  const data = merged("data", p.data, o.data, ["path", "limit"]) as DataConfig;
  // A space's optional model fields (absent from its presets) are known too.
  const model = merged("model", p.model, o.model, Object.keys(spaceByName(space).modelChecks)) as ModelConfig;
  const config: SearchConfig = {
    space,
    method: o.method ?? "sa",
    methodOptions: o.methodOptions ?? {},
    preset,
    seed: o.seed ?? 0,
    epochs: o.epochs ?? p.epochs,
    model,
    data,
    evaluate: o.evaluate ?? p.evaluate,
    ...(o.hessian ? { hessian: o.hessian } : {}),
  };
  checkSearchConfig(config);
  return config;
}

/**
 * Check a config (e.g. one read back from a run folder, or one `search()` is given): every field
 * present, known and of its type, every value in range, the method buildable. Returns the method it
 * builds to do so.
 */
export function checkSearchConfig(c: SearchConfig): SearchMethod {
  if (!isObject(c)) {
    throw new Error(`expected a search config (from searchConfig(options)), got ${describeValue(c)}`);
  }
  checkFields(c as unknown as Record<string, unknown>, true);
  const space = spaceByName(c.space);
  presetByName(c.preset, c.space);
  const d = c.data;
  if (d.cutout > 0 && !d.augment) throw new Error("data.cutout needs data.augment (--augment)");
  const method = searchMethod(c);
  if (method.warmupEpochs >= c.epochs) {
    throw new Error(`warmupEpochs (${method.warmupEpochs}) leaves no epoch of the ${c.epochs} to search α`);
  }
  for (const op of Object.keys(method.alphaInit.bias ?? {})) {
    if (!space.ops.includes(op)) {
      const close = didYouMean(op, space.ops);
      throw new Error(
        close
          ? `alphaInit.bias: unknown op ${op}: did you mean ${close}?`
          : `alphaInit.bias names "${op}", not one of the ops ${space.ops.join(", ")}`,
      );
    }
  }
  space.check({ model: c.model, partialChannels: method.partialChannels });
  return method;
}

/** λ of a config as a schedule or constant (its form checked first, its values by the schedule). */
export function lambdaStrength(l: LambdaConfig): Strength {
  checkLambdaConfig("lambda", l);
  if (typeof l === "number") return l;
  if ("divisor" in l) return saSchedule({ divisor: l.divisor, countFrom: l.countFrom });
  if ("slope" in l) return linearSchedule({ slope: l.slope, start: l.start, countFrom: l.countFrom });
  return pointsSchedule({ points: l.points, countFrom: l.countFrom });
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
