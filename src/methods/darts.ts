/**
 * DARTS (first order) on NB201: softmax relaxation, no regularizer in the loss, Adam's weight decay
 * 1e-3 on α (what "DARTS with L2" means in practice). The settings every other method starts from.
 * @module
 */
import { softmax } from "../samplers/softmax.ts";
import {
  type AlphaInit,
  type ArchOptimizerSettings,
  checkMethod,
  type MethodOptions,
  type SearchMethod,
  type WeightOptimizerSettings,
  withOverrides,
} from "./method.ts";

/** α's Adam as the paper (appendix 6.2), xautodl, Beta-DARTS and DrNAS all run it on NB201. */
export const NB201_ARCH_OPTIMIZER: Readonly<ArchOptimizerSettings> = {
  lr: 3e-4,
  betas: [0.5, 0.999],
  weightDecay: 1e-3,
};

/**
 * The weights' SGD as the paper states it (appendix 6.2: lr 0.025, momentum 0.9, weight decay 3e-4),
 * which is also Beta-DARTS' and DrNAS' NB201 setting: cosine to 0.001, no Nesterov.
 */
export const NB201_WEIGHT_OPTIMIZER: Readonly<WeightOptimizerSettings> = {
  lr: 0.025,
  momentum: 0.9,
  weightDecay: 3e-4,
  nesterov: false,
  minLr: 0.001,
};

/** xautodl's DARTS-V1 weights' SGD (SPECS §1.5), for runs that follow that code instead of the paper. */
export const XAUTODL_WEIGHT_OPTIMIZER: Readonly<WeightOptimizerSettings> = {
  ...NB201_WEIGHT_OPTIMIZER,
  weightDecay: 5e-4,
  nesterov: true,
};

/** α = 1e-3 · N(0, 1), as every reference. */
export const NB201_ALPHA_INIT: Readonly<AlphaInit> = { scale: 1e-3, offset: 0 };

/**
 * DARTS with the NB201 settings, any of them overridden by `o`. Methods built on it pass their `name`,
 * which errors about these settings then report.
 */
export function darts(o: MethodOptions = {}, name = "darts"): SearchMethod {
  const method: SearchMethod = {
    name,
    sampler: softmax(),
    regularizers: [],
    archOptimizer: withOverrides(name, "archOptimizer", NB201_ARCH_OPTIMIZER, o.archOptimizer),
    weightOptimizer: withOverrides(name, "weightOptimizer", NB201_WEIGHT_OPTIMIZER, o.weightOptimizer),
    gradClip: o.gradClip ?? 5,
    alphaInit: withOverrides(name, "alphaInit", NB201_ALPHA_INIT, o.alphaInit, ["bias"]),
    warmupEpochs: o.warmupEpochs ?? 0,
    ...(o.partialChannels === undefined ? {} : { partialChannels: o.partialChannels }),
    ...(o.secondOrder === undefined ? {} : { secondOrder: o.secondOrder }),
  };
  return checkMethod(method);
}

/** DARTS, second order (Table 6's "DARTS 2nd"): the unrolled α step, DARTS' settings otherwise. */
export function darts2nd(o: MethodOptions = {}): SearchMethod {
  return darts({ ...o, secondOrder: o.secondOrder ?? true }, "darts-2nd");
}
