/**
 * What a search method is: data, not code. A method is a sampler (α → op weights), a list of α
 * regularizers, the two optimizers' settings, clipping, how α starts, and warm-up; the search loop runs
 * every method the same way. Methods are built by composing another method's settings (`saDarts` is
 * `darts` plus the SA loss minus the α weight decay), never by copying a loop.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { nameSeed, type ParamStore } from "../ops/params.ts";
import type { ArchParamSpec } from "../spaces/space.ts";
import type { Regularizer } from "../regularizers/regularizer.ts";
import type { SmoothActivationOptions } from "../regularizers/smoothActivation.ts";
import type { BetaDecayOptions } from "../regularizers/beta.ts";
import type { DirichletOptions } from "../samplers/dirichlet.ts";
import type { GumbelOptions } from "../samplers/gumbel.ts";
import type { Sampler } from "../samplers/sampler.ts";

/**
 * Adam on α (torch.optim.Adam: the weight decay is L2 added to the gradient). Defaults
 * (`NB201_ARCH_OPTIMIZER`) in brackets.
 */
export interface ArchOptimizerSettings {
  /** Learning rate [3e-4]. */
  lr: number;
  /** Adam's (β1, β2) [(0.5, 0.999)]. */
  betas: [number, number];
  /** L2 weight decay on α [1e-3; 0 for SA]. */
  weightDecay: number;
}

/**
 * SGD on the weights, with a per-epoch cosine schedule from `lr` down to `minLr`. Defaults
 * (`NB201_WEIGHT_OPTIMIZER`) in brackets.
 */
export interface WeightOptimizerSettings {
  /** Learning rate of the first epoch [0.025]. */
  lr: number;
  /** Momentum [0.9]. */
  momentum: number;
  /** L2 weight decay [3e-4]. */
  weightDecay: number;
  /** Nesterov momentum [false]. */
  nesterov: boolean;
  /**
   * Where the cosine schedule ends [1e-3]; must not exceed `lr` (the CLI's `--weight-lr-min`). An
   * absent value keeps the default, so configs without it keep their JSON.
   */
  minLr: number;
}

/** α's initial value: scale · N(0, 1) + offset + bias[op] (per column). Defaults in brackets. */
export interface AlphaInit {
  /** Standard deviation of the noise [1e-3]. */
  scale: number;
  /** Added to every entry (the paper's negative-initialisation study, Table 8) [0]. */
  offset: number;
  /**
   * Added to one op's column on every edge, e.g. { skip_connect: 0.1 } (the recovery study, Fig. 4)
   * [none]; op names as the space spells them.
   */
  bias?: Readonly<Record<string, number>>;
}

/** A search method. The derived cell is argmax of α per edge whatever the method. */
export interface SearchMethod {
  readonly name: string;
  readonly sampler: Sampler;
  /** Added to the validation loss of the α step. */
  readonly regularizers: readonly Regularizer[];
  readonly archOptimizer: Readonly<ArchOptimizerSettings>;
  readonly weightOptimizer: Readonly<WeightOptimizerSettings>;
  /** Global L2 norm the weight gradients are clipped to. */
  readonly gradClip: number;
  readonly alphaInit: Readonly<AlphaInit>;
  /** The first `warmupEpochs` epochs update the weights only. */
  readonly warmupEpochs: number;
  /** PC-DARTS' K: 1/K of the channels go through the mixed ops (absent: all of them). */
  readonly partialChannels?: number;
  /**
   * DARTS' second-order (unrolled) α step instead of the first-order one (`secondOrderArchStep`: the
   * validation loss at w' = w − ξ∇w L_train with the finite-difference Hessian-vector product).
   */
  readonly secondOrder?: boolean;
}

/**
 * Options of the method factories: overrides of the shared settings, plus the options of the method's
 * own sampler or regularizer (`nu`, `mu`, `lambda` for SA; `lambda` for Beta; `tauMax`, `tauMin`,
 * `epochs` for SNAS; `sampleInEval` for SNAS and DrNAS). `methodByName` refuses options the method
 * does not use.
 */
export interface MethodOptions
  extends SmoothActivationOptions, BetaDecayOptions, GumbelOptions, DirichletOptions {
  /** α's Adam, field by field (absent fields: `NB201_ARCH_OPTIMIZER`'s). */
  archOptimizer?: Partial<ArchOptimizerSettings>;
  /** The weights' SGD, field by field (absent fields: `NB201_WEIGHT_OPTIMIZER`'s, e.g. minLr 1e-3). */
  weightOptimizer?: Partial<WeightOptimizerSettings>;
  /** Global L2 norm the weight gradients are clipped to (default 5). */
  gradClip?: number;
  /** α's initialisation, field by field (absent fields: `NB201_ALPHA_INIT`'s). */
  alphaInit?: Partial<AlphaInit>;
  /** Epochs that update the weights only (default 0). */
  warmupEpochs?: number;
  /** PC-DARTS' K (default absent: every channel). */
  partialChannels?: number;
  /** DARTS' second-order (unrolled) α step (default false: first order). */
  secondOrder?: boolean;
}

/** The options every method takes. */
export const SHARED_METHOD_OPTIONS = [
  "archOptimizer",
  "weightOptimizer",
  "gradClip",
  "alphaInit",
  "warmupEpochs",
  "partialChannels",
  "secondOrder",
] as const;

function fail(method: string, what: string): never {
  throw new Error(`method ${method}: ${what}`);
}

function finite(method: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    fail(method, `${name} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ""}, got ${v}`);
  }
  return v;
}

/** Check every setting of a method; returns it. Each method factory ends with this. */
export function checkMethod(m: SearchMethod): SearchMethod {
  const n = m.name;
  const { archOptimizer: a, weightOptimizer: w, alphaInit } = m;
  finite(n, "archOptimizer.lr", a.lr, 0);
  a.betas.forEach((b, i) => {
    if (!(b >= 0 && b < 1)) fail(n, `archOptimizer.betas[${i}] must be in [0, 1), got ${b}`);
  });
  finite(n, "archOptimizer.weightDecay", a.weightDecay, 0);
  finite(n, "weightOptimizer.lr", w.lr, 0);
  finite(n, "weightOptimizer.minLr", w.minLr, 0);
  if (w.minLr > w.lr) {
    fail(
      n,
      `weightOptimizer.minLr (${w.minLr}) must not exceed lr (${w.lr}), the cosine schedule's start: ` +
        `lower weightOptimizer.minLr (--weight-lr-min) too`,
    );
  }
  if (!(w.momentum >= 0 && w.momentum < 1)) {
    fail(n, `weightOptimizer.momentum must be in [0, 1), got ${w.momentum}`);
  }
  finite(n, "weightOptimizer.weightDecay", w.weightDecay, 0);
  if (w.nesterov && w.momentum === 0) {
    fail(n, "weightOptimizer.nesterov needs momentum > 0 (as torch.optim.SGD)");
  }
  if (!(m.gradClip > 0)) fail(n, `gradClip must be > 0, got ${m.gradClip}`);
  finite(n, "alphaInit.scale", alphaInit.scale, 0);
  finite(n, "alphaInit.offset", alphaInit.offset);
  for (const [op, b] of Object.entries(alphaInit.bias ?? {})) finite(n, `alphaInit.bias.${op}`, b);
  if (!Number.isInteger(m.warmupEpochs) || m.warmupEpochs < 0) {
    fail(n, `warmupEpochs must be an integer ≥ 0, got ${m.warmupEpochs}`);
  }
  if (m.secondOrder !== undefined && typeof m.secondOrder !== "boolean") {
    fail(n, `secondOrder must be true or false, got ${m.secondOrder}`);
  }
  if (m.partialChannels !== undefined && (!Number.isInteger(m.partialChannels) || m.partialChannels < 1)) {
    fail(n, `partialChannels must be an integer ≥ 1, got ${m.partialChannels}`);
  }
  return m;
}

/**
 * `defaults` with the defined entries of `overrides`; an unknown key is an error (a typo in a config
 * would otherwise be ignored in silence).
 */
export function withOverrides<T extends object>(
  method: string,
  group: string,
  defaults: T,
  overrides: Partial<T> | undefined,
  optional: readonly string[] = [],
): T {
  const known = [...Object.keys(defaults), ...optional];
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!known.includes(k)) fail(method, `unknown option ${group}.${k}: choose from ${known.join(", ")}`);
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

/** The weights' learning rate in 0-based `epoch` of `epochs`: cosine per epoch (SPECS §1.5). */
export function weightLr(m: SearchMethod, epoch: number, epochs: number): number {
  const { lr, minLr } = m.weightOptimizer;
  return minLr + (lr - minLr) * (1 + Math.cos(Math.PI * epoch / epochs)) / 2;
}

/** Whether 0-based `epoch` updates α (false during warm-up). */
export function updatesAlpha(m: SearchMethod, epoch: number): boolean {
  return epoch >= m.warmupEpochs;
}

/** The sum of the method's regularizers at 0-based `epoch` (0 when it has none). */
export function regularizationLoss(m: SearchMethod, alpha: tf.Tensor2D, epoch: number): tf.Scalar {
  if (m.regularizers.length === 0) return tf.scalar(0);
  return tf.addN(m.regularizers.map((r) => r.loss(alpha, epoch))) as tf.Scalar;
}

/**
 * Create the architecture parameter `spec` in `store` as the method says: scale · N(0, 1) + offset +
 * bias[op] for op scores (`role: "ops"`, each entry offset by the bias of the op its column names on
 * that edge), scale · N(0, 1) for edge scores (PC-DARTS' β). The noise depends on (seed, spec.name), the
 * store's seed unless `seed` is given, as for every parameter.
 */
export function initArchParam(
  store: ParamStore,
  method: SearchMethod,
  spec: ArchParamSpec,
  seed?: number,
): tf.Variable {
  const { scale, offset, bias = {} } = method.alphaInit;
  const columns = spec.columns[0]?.length ?? 0;
  if (spec.role === "ops") {
    for (const op of Object.keys(bias)) {
      if (!spec.columns.some((ops) => ops.includes(op))) {
        const ops = [...new Set(spec.columns.flat())];
        fail(method.name, `alphaInit.bias names "${op}", not one of the ops ${ops.join(", ")}`);
      }
    }
  }
  const offsets = spec.columns.map((ops) =>
    ops.map((op) => spec.role === "ops" ? offset + (bias[op] ?? 0) : 0)
  );
  return store.param(spec.name, [spec.rows.length, columns], (shape, s) => {
    const noise = tf.randomNormal(
      shape,
      0,
      scale,
      "float32",
      seed === undefined ? s : nameSeed(seed, spec.name),
    );
    return tf.add(noise, tf.tensor2d(offsets, shape as [number, number]));
  });
}
