/**
 * What fixes a training run from scratch: the genotype (DARTS' text form), the data set, the network, the
 * data pipeline and the optimizer, as plain JSON, under three presets with one code path. `paper` is
 * DARTS' CIFAR evaluation (SPECS §2.5: C = 36, 20 cells, auxiliary head 0.4, drop path 0.2, 600 epochs,
 * batch 96, SGD 0.025 cosine to 0, momentum 0.9, weight decay 3e-4, clip 5, cutout 16); `cpu` trains a
 * genotype on the shipped 16×16 CIFAR-10 subset (10k training images, 2k test images) in tens of minutes
 * on two cores; `smoke` in seconds.
 * @module
 */
import { pathExists } from "../data/dataFile.ts";
import { readRecordFile } from "../runs/records.ts";
import {
  checkDartsGenotype,
  DARTS_GENOTYPES,
  type DartsGenotype,
  formatDartsGenotype,
  parseDartsGenotype,
} from "../spaces/darts.ts";
import {
  boolean,
  describeValue,
  integer,
  isObject,
  number,
  string,
  unknownField,
} from "../search/valueChecks.ts";
import { SCALES } from "../search/config.ts";
import { didYouMean } from "../search/didYouMean.ts";

/** The evaluation network's shape and regularization. */
export interface TrainModelConfig {
  /** C of the first cells. */
  channels: number;
  /** Cells. */
  layers: number;
  /** The auxiliary head on cell ⌊2·layers/3⌋ (its pooling needs 8–10 px maps there: 32×32 inputs). */
  auxiliary: boolean;
  /** The auxiliary loss's weight (DARTS: 0.4). */
  auxiliaryWeight: number;
  /** Drop-path probability at the last epoch; epoch e (0-based) uses dropPathProb · e / epochs. */
  dropPathProb: number;
  /**
   * Recompute each cell in the backward pass instead of keeping its activations: the paper-size network
   * at batch 96 needs more than wasm32's 4 GiB otherwise (gradients equal to rounding; default false).
   */
  recompute: boolean;
}

/** The images and their pipeline. */
export interface TrainDataConfig {
  /**
   * `sadarts`: files in our format (default the shipped 16×16 CIFAR-10 subset: 10k training images and 2k
   * test images); `cifar`: the official binaries of the data set, from `path` (a folder: the extracted
   * archive or the folder holding it; default `data/<dataset>`).
   */
  format: "sadarts" | "cifar";
  /** Training images: a file (`sadarts`) or a folder (`cifar`). */
  path?: string;
  /** Test images, a file (`sadarts` only; `cifar` reads the archive's test file). */
  testPath?: string;
  /** Use only the first `limit` training images and `testLimit` test images (default all). */
  limit?: number;
  testLimit?: number;
  /** Images per step. */
  batchSize: number;
  /** Zero padding before the random crop (DARTS: 4 at 32×32; 0: no crop). Flips are always on. */
  pad: number;
  /** Cutout length in pixels (DARTS: 16 at 32×32; 0: none). */
  cutout: number;
}

/** SGD with momentum, weight decay and gradient clipping, the learning rate cosine-annealed per epoch. */
export interface TrainOptimizerConfig {
  lr: number;
  /** Where the cosine schedule ends (DARTS: 0). */
  minLr: number;
  momentum: number;
  weightDecay: number;
  /** Clip the gradients' global norm to this (DARTS: 5). */
  gradClip: number;
}

/** Everything that fixes a training run. Equal configs, equal runs (on one backend). */
export interface TrainConfig {
  /** The genotype in DARTS' text form (`formatDartsGenotype`). */
  genotype: string;
  /** Where it came from, for tables: a library name (DARTS_V2), a search run's folder name, or "custom". */
  genotypeSource: string;
  dataset: "cifar10" | "cifar100";
  preset: string;
  seed: number;
  epochs: number;
  model: TrainModelConfig;
  data: TrainDataConfig;
  optimizer: TrainOptimizerConfig;
}

/** A preset: everything but the genotype, data set and seed. */
export interface TrainPreset {
  description: string;
  epochs: number;
  model: TrainModelConfig;
  data: TrainDataConfig;
  optimizer: TrainOptimizerConfig;
}

/** DARTS' evaluation optimizer (train.py). */
const DARTS_SGD: TrainOptimizerConfig = {
  lr: 0.025,
  minLr: 0,
  momentum: 0.9,
  weightDecay: 3e-4,
  gradClip: 5,
};

/** The presets, by scale. */
export const TRAIN_PRESETS: Readonly<Record<(typeof SCALES)[number], TrainPreset>> = {
  smoke: {
    description: "seconds: C=4, 3 cells, 256 + 128 of the shipped 16x16 images, 2 epochs",
    epochs: 2,
    model: {
      channels: 4,
      layers: 3,
      auxiliary: false,
      auxiliaryWeight: 0.4,
      dropPathProb: 0.2,
      recompute: false,
    },
    data: { format: "sadarts", limit: 256, testLimit: 128, batchSize: 32, pad: 2, cutout: 8 },
    optimizer: DARTS_SGD,
  },
  cpu: {
    description:
      "tens of minutes on 2 cores: C=16, 8 cells on the shipped 16x16 CIFAR-10 subset (10k train, " +
      "2k test), 20 epochs, batch 64, pad-2 crop + flip + cutout 8 (DARTS' 4 and 16 at half the size), " +
      "no auxiliary head (its 5x5 pooling needs 32x32 inputs)",
    epochs: 20,
    model: {
      channels: 16,
      layers: 8,
      auxiliary: false,
      auxiliaryWeight: 0.4,
      dropPathProb: 0.2,
      recompute: false,
    },
    data: { format: "sadarts", batchSize: 64, pad: 2, cutout: 8 },
    optimizer: DARTS_SGD,
  },
  paper: {
    description: "DARTS' evaluation (SPECS §2.5): C=36, 20 cells, auxiliary head 0.4, drop path 0.2, 600 " +
      "epochs, batch 96, pad-4 crop + flip + cutout 16 on the full data set; needs a GPU and --download",
    epochs: 600,
    model: {
      channels: 36,
      layers: 20,
      auxiliary: true,
      auxiliaryWeight: 0.4,
      dropPathProb: 0.2,
      recompute: false,
    },
    data: { format: "cifar", batchSize: 96, pad: 4, cutout: 16 },
    optimizer: DARTS_SGD,
  },
};

/** The training preset called `name`; an unknown name lists them. */
export function trainPreset(name: string): TrainPreset {
  if (!Object.hasOwn(TRAIN_PRESETS, name)) {
    const hint = didYouMean(name, SCALES);
    throw new Error(
      `unknown preset "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}: choose one of ${
        SCALES.join(", ")
      }`,
    );
  }
  return TRAIN_PRESETS[name as keyof typeof TRAIN_PRESETS];
}

/** What `trainConfig` takes: the genotype (resolved already), and any fields on top of the preset. */
export interface TrainConfigOptions {
  /** A genotype, or its DARTS text form. */
  genotype: DartsGenotype | string;
  /** Where it came from (default "custom"). */
  genotypeSource?: string;
  /** Default cifar10. */
  dataset?: "cifar10" | "cifar100";
  /** Default cpu. */
  preset?: string;
  /** Default 0. */
  seed?: number;
  epochs?: number;
  model?: Partial<TrainModelConfig>;
  data?: Partial<TrainDataConfig>;
  optimizer?: Partial<TrainOptimizerConfig>;
}

const TOP_FIELDS = [
  "genotype",
  "genotypeSource",
  "dataset",
  "preset",
  "seed",
  "epochs",
  "model",
  "data",
  "optimizer",
];
const OPTIONAL_DATA = ["path", "testPath", "limit", "testLimit"];

function group<T extends object>(
  name: string,
  defaults: T,
  overrides: object | undefined,
  optional: string[] = [],
): T {
  const known = [...Object.keys(defaults), ...optional];
  if (overrides !== undefined && !isObject(overrides)) {
    throw new Error(`${name} must be an object, got ${describeValue(overrides, true)}`);
  }
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!known.includes(k)) unknownField(`${name} field`, k, known);
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

/**
 * A complete, checked training config: `preset` (default `cpu`) with `o` on top. Throws on anything
 * unknown, of the wrong type or out of range, naming it.
 * @example
 * ```ts
 * import { DARTS_GENOTYPES } from "../spaces/darts.ts";
 * import { trainConfig } from "./config.ts";
 * const c = trainConfig({ genotype: DARTS_GENOTYPES.DARTS_V2, genotypeSource: "DARTS_V2", preset: "smoke" });
 * console.assert(c.model.layers === 3 && c.genotype.startsWith("Genotype(normal=[('sep_conv_3x3', 0)"));
 * ```
 */
export function trainConfig(o: TrainConfigOptions): TrainConfig {
  if (!isObject(o)) throw new Error(`trainConfig: expected options, got ${describeValue(o, true)}`);
  for (const k of Object.keys(o)) {
    if (!TOP_FIELDS.includes(k)) unknownField("training config field", k, TOP_FIELDS);
  }
  const preset = o.preset ?? "cpu";
  const p = trainPreset(preset);
  const genotype = typeof o.genotype === "string"
    ? formatDartsGenotype(parseDartsGenotype(o.genotype))
    : formatDartsGenotype(o.genotype);
  const config: TrainConfig = {
    genotype,
    genotypeSource: o.genotypeSource ?? "custom",
    dataset: o.dataset ?? "cifar10",
    preset,
    seed: o.seed ?? 0,
    epochs: o.epochs ?? p.epochs,
    model: group("model", p.model, o.model),
    data: group("data", p.data, o.data, OPTIONAL_DATA),
    optimizer: group("optimizer", p.optimizer, o.optimizer),
  };
  checkTrainConfig(config);
  return config;
}

/** Check a config (e.g. one read back from a run folder): every field present, of its type, in range. */
export function checkTrainConfig(c: TrainConfig): void {
  if (!isObject(c)) throw new Error(`expected a training config (from trainConfig), got ${describeValue(c)}`);
  string("genotype", c.genotype);
  checkDartsGenotype(parseDartsGenotype(c.genotype), {}, "genotype");
  string("genotypeSource", c.genotypeSource);
  if (c.dataset !== "cifar10" && c.dataset !== "cifar100") {
    throw new Error(`dataset must be "cifar10" or "cifar100", got ${describeValue(c.dataset)}`);
  }
  trainPreset(c.preset);
  integer("seed", c.seed, 0, 2 ** 32 - 1);
  integer("epochs", c.epochs, 1, 100_000);
  const m = c.model;
  integer("model.channels", m.channels, 1, 1024);
  integer("model.layers", m.layers, 1, 100);
  boolean("model.auxiliary", m.auxiliary);
  boolean("model.recompute", m.recompute);
  number("model.auxiliaryWeight", m.auxiliaryWeight);
  if (!(m.auxiliaryWeight >= 0)) {
    throw new Error(`model.auxiliaryWeight must be ≥ 0, got ${m.auxiliaryWeight}`);
  }
  number("model.dropPathProb", m.dropPathProb);
  if (!(m.dropPathProb >= 0 && m.dropPathProb < 1)) {
    throw new Error(`model.dropPathProb must be in [0, 1), got ${m.dropPathProb}`);
  }
  const d = c.data;
  if (d.format !== "sadarts" && d.format !== "cifar") {
    throw new Error(`data.format must be "sadarts" or "cifar", got ${describeValue(d.format)}`);
  }
  if (d.path !== undefined) string("data.path", d.path);
  if (d.testPath !== undefined) string("data.testPath", d.testPath);
  if (d.limit !== undefined) integer("data.limit", d.limit, 1);
  if (d.testLimit !== undefined) integer("data.testLimit", d.testLimit, 1);
  integer("data.batchSize", d.batchSize, 1, 100_000);
  integer("data.pad", d.pad, 0, 64);
  integer("data.cutout", d.cutout, 0, 1024);
  const opt = c.optimizer;
  for (const k of ["lr", "minLr", "momentum", "weightDecay", "gradClip"] as const) {
    number(`optimizer.${k}`, opt[k]);
  }
  if (!(opt.lr > 0)) throw new Error(`optimizer.lr must be > 0, got ${opt.lr}`);
  if (!(opt.minLr >= 0 && opt.minLr <= opt.lr)) {
    throw new Error(`optimizer.minLr must be in [0, lr = ${opt.lr}], got ${opt.minLr}`);
  }
  if (!(opt.momentum >= 0 && opt.momentum < 1)) {
    throw new Error(`optimizer.momentum must be in [0, 1), got ${opt.momentum}`);
  }
  if (!(opt.weightDecay >= 0)) throw new Error(`optimizer.weightDecay must be ≥ 0, got ${opt.weightDecay}`);
  if (!(opt.gradClip > 0)) throw new Error(`optimizer.gradClip must be > 0, got ${opt.gradClip}`);
}

/** A genotype as `--genotype` names it, and where it came from. */
export interface ResolvedGenotype {
  genotype: DartsGenotype;
  /** A library name, the file's path, or "custom" for a pasted string. */
  source: string;
}

/**
 * `--genotype`: a name of the library (`DARTS_V1`, `DARTS_V2`, `PC_DARTS`), a genotype in DARTS' text
 * form (`Genotype(normal=[…], …)`), or a file holding one. Each failure says which and what to do.
 */
export async function resolveGenotype(spec: string): Promise<ResolvedGenotype> {
  if (Object.hasOwn(DARTS_GENOTYPES, spec)) {
    return { genotype: DARTS_GENOTYPES[spec as keyof typeof DARTS_GENOTYPES], source: spec };
  }
  if (/^\s*(\w+\s*=\s*)?Genotype\s*\(/.test(spec)) {
    return { genotype: parseDartsGenotype(spec), source: "custom" };
  }
  if (await pathExists(spec)) {
    const text = await Deno.readTextFile(spec);
    try {
      return { genotype: parseDartsGenotype(text), source: spec };
    } catch (e) {
      throw new Error(`${spec}: ${(e as Error).message}`);
    }
  }
  const hint = didYouMean(spec, Object.keys(DARTS_GENOTYPES));
  throw new Error(
    `--genotype "${spec}" is neither a genotype of the library${hint ? ` (did you mean ${hint}?)` : ""} ` +
      `(${Object.keys(DARTS_GENOTYPES).join(", ")}), nor a Genotype(normal=[…], …) string, nor a file: ` +
      `check the name or the path`,
  );
}

/**
 * `--from runs/<search>`: the genotype a finished DARTS-space search derived (its summary's `cell`), from a
 * run folder or a shipped record. Refuses a folder without a finished search, or one of another space.
 */
export async function genotypeFromRun(folder: string): Promise<ResolvedGenotype> {
  const text = await readRecordFile(folder, "summary.json");
  if (text === undefined) {
    throw new Error(
      `--from ${folder}: no summary.json there: give the folder of a finished search (runs/<name>)`,
    );
  }
  let summary: {
    status?: string;
    cell?: unknown;
    epochsDone?: number;
    epochs?: number;
    genotypeSource?: string;
  };
  try {
    summary = JSON.parse(text);
  } catch {
    throw new Error(`--from ${folder}: summary.json is not JSON: the folder is damaged`);
  }
  if (summary.genotypeSource !== undefined) {
    throw new Error(
      `--from ${folder}: this is a training run, not a search: give a search's run folder (its genotype is in ` +
        `${folder}/config.json, which --genotype takes as a file of its own)`,
    );
  }
  if (summary.status !== "finished") {
    throw new Error(
      `--from ${folder}: the search is ${summary.status ?? "of unknown status"} (${
        summary.epochsDone ?? "?"
      } of ` +
        `${summary.epochs ?? "?"} epochs): finish it first (deno task search … --resume)`,
    );
  }
  if (typeof summary.cell !== "string" || !summary.cell.startsWith("Genotype(")) {
    throw new Error(
      `--from ${folder}: its derived cell is not a DARTS-space genotype (got ${
        describeValue(summary.cell)
      }): ` +
        `training from scratch takes DARTS-space searches (spaces darts, s1–s4, darts-3op)`,
    );
  }
  const name = folder.replace(/\/+$/, "").split("/").pop()!;
  return { genotype: parseDartsGenotype(summary.cell), source: name };
}
