/**
 * The DARTS CNN search space's candidate operations (quark0/darts `cnn/operations.py`), NHWC: zero,
 * 3x3 max and average pooling, skip connection (FactorizedReduce when reducing), separable convs 3x3 and
 * 5x5 and dilated convs 3x3 and 5x5, with the same layers, paddings, BN settings and parameter counts.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { DARTS_PRIMITIVES } from "../spaces/dartsSpaces.ts";
import { subsample } from "../backend/kernels/convolve.ts";
import { relu } from "./activation.ts";
import { batchNorm, type BatchNormOptions, type BatchNormParams, batchNormParams } from "./batchNorm.ts";
import { conv, convBn, type ConvOptions, type ConvParams, convParams } from "./conv.ts";
import type { Mode, ParamStore } from "./params.ts";
import { avgPool, maxPool } from "./pool.ts";

/** Candidate operations, in DARTS' PRIMITIVES order (α's column order): the space's own list. */
export const DARTS_OPS = DARTS_PRIMITIVES;
/** A DARTS operation name. */
export type DartsOp = typeof DARTS_OPS[number];

/** Check that `name` is a DARTS operation. */
export function checkDartsOp(name: string): DartsOp {
  if ((DARTS_OPS as readonly string[]).includes(name)) return name as DartsOp;
  throw new Error(`unknown DARTS operation "${name}": choose one of ${DARTS_OPS.join(", ")}`);
}

// ---------------------------------------------------------------------------------------------------
// Building blocks

/**
 * Shape of a dilated (or, with dilation 1, separable-half) conv: torch's DilConv(cin, cout, k, s, p, d),
 * with the default padding (kernel − 1)/2 · dilation that every DARTS op uses, and the closing BN's
 * settings (DARTS: affine false in search, true in evaluation networks).
 */
export type DilConvOptions = Omit<ConvOptions, "depthwise" | "bias"> & { bn?: BatchNormOptions };

/** The variables of ReLU → depthwise conv → 1x1 conv → BN. */
export interface DilConvParams {
  /** Depthwise k×k conv, filter [k, k, cin, 1]. */
  depthwise: ConvParams;
  /** 1x1 conv cin → cout, filter [1, 1, cin, cout]. */
  pointwise: ConvParams;
  bn: BatchNormParams;
}

/** Create torch's DilConv: ReLU → DWConv(k, stride, padding, dilation) → Conv1x1 → BN, convs without bias. */
export function dilConvParams(store: ParamStore, name: string, o: DilConvOptions): DilConvParams {
  const { cin, cout, kernel, stride = 1, dilation = 1, padding } = o;
  return {
    depthwise: convParams(store, `${name}.depthwise`, {
      cin,
      cout: cin,
      kernel,
      stride,
      padding,
      dilation,
      depthwise: true,
    }),
    pointwise: convParams(store, `${name}.pointwise`, { cin, cout, kernel: 1 }),
    bn: batchNormParams(store, `${name}.bn`, cout, o.bn),
  };
}

/** ReLU → depthwise conv → 1x1 conv → BN (the 1x1 conv and BN are one fused op where convBn fuses). */
export function dilConv(p: DilConvParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => convBn({ conv: p.pointwise, bn: p.bn }, conv(p.depthwise, relu(x)), mode));
}

/** Shape of torch's SepConv(cin, cout, k, s, p): two DilConvs with dilation 1, the first strided. */
export type SepConvOptions = Omit<DilConvOptions, "dilation">;

/** The variables of a separable conv: its two halves. */
export interface SepConvParams {
  /** cin → cin, with the stride. */
  a: DilConvParams;
  /** cin → cout, stride 1. */
  b: DilConvParams;
}

/**
 * Create torch's SepConv: ReLU → DWConv(k, s) → Conv1x1 → BN → ReLU → DWConv(k, 1) → Conv1x1 → BN. The
 * first half keeps cin channels (as operations.py does), the second maps to cout.
 */
export function sepConvParams(store: ParamStore, name: string, o: SepConvOptions): SepConvParams {
  const { cin, cout, kernel, stride = 1, padding, bn } = o;
  return {
    a: dilConvParams(store, `${name}.a`, { cin, cout: cin, kernel, stride, padding, bn }),
    b: dilConvParams(store, `${name}.b`, { cin, cout, kernel, stride: 1, padding, bn }),
  };
}

/** A separable conv: two dilConv halves. */
export function sepConv(p: SepConvParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => dilConv(p.b, dilConv(p.a, x, mode), mode));
}

/** Shape of torch's FactorizedReduce(cin, cout). */
export interface FactorizedReduceOptions {
  cin: number;
  /** Even: each of the two paths makes half of the channels. */
  cout: number;
  bn?: BatchNormOptions;
}

/** The variables of a FactorizedReduce: two 1x1 stride-2 convs cin → cout/2 and the BN over cout. */
export interface FactorizedReduceParams {
  a: ConvParams;
  b: ConvParams;
  bn: BatchNormParams;
}

/** Create torch's FactorizedReduce: the stride-2 skip connection of DARTS' reduction cells. */
export function factorizedReduceParams(
  store: ParamStore,
  name: string,
  o: FactorizedReduceOptions,
): FactorizedReduceParams {
  const { cin, cout } = o;
  if (!Number.isInteger(cout) || cout < 2 || cout % 2 !== 0) {
    throw new Error(
      `FactorizedReduce "${name}": cout must be an even positive integer (two paths of cout/2 channels each), ` +
        `got ${cout}: use an even channel count`,
    );
  }
  return {
    a: convParams(store, `${name}.a`, { cin, cout: cout / 2, kernel: 1, stride: 2, padding: 0 }),
    b: convParams(store, `${name}.b`, { cin, cout: cout / 2, kernel: 1, stride: 2, padding: 0 }),
    bn: batchNormParams(store, `${name}.bn`, cout, o.bn),
  };
}

/**
 * ReLU → concat on channels [Conv1x1/s2(x), Conv1x1/s2(x shifted by one pixel)] → BN: the first path
 * samples pixels (2i, 2j), the second (2i + 1, 2j + 1), so a reduction does not see only one phase. The
 * shifted path is x[:, 1:, 1:, :] without padding (as torch), so the two outputs agree in size only for
 * even height and width.
 */
export function factorizedReduce(p: FactorizedReduceParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => factorizedReduceActivated(p, relu(x), mode));
}

/**
 * {@link factorizedReduce} of an already activated input `r` (a supernet shares one ReLU among the edges
 * leaving a state). Both paths are one 2x2 stride-2 conv: tap (0, 0) holds `a` in the first cout/2 output
 * channels, tap (1, 1) holds `b` in the others, so output pixel (i, j) reads (2i, 2j) through `a` and
 * (2i + 1, 2j + 1) through `b`, which is the concatenation of both paths (the other taps add exact zeros).
 * One conv, fused with its BN where convBn fuses, instead of a slice, two convs and a concat each way.
 */
export function factorizedReduceActivated(
  p: FactorizedReduceParams,
  r: tf.Tensor4D,
  mode: Mode,
): tf.Tensor4D {
  const [, h, w] = r.shape;
  if (h % 2 !== 0 || w % 2 !== 0) {
    throw new Error(
      `FactorizedReduce (stride-2 skip_connect, reduction preprocessing) needs an even height and width, ` +
        `got ${h}x${w}: crop or pad the input to even sizes (its shifted path has no padding)`,
    );
  }
  return tf.tidy(() => {
    const half = p.a.filter.shape[3]!;
    const filter = tf.add(
      tf.pad(p.a.filter, [[0, 1], [0, 1], [0, 0], [0, half]]),
      tf.pad(p.b.filter, [[1, 0], [1, 0], [0, 0], [half, 0]]),
    );
    // convBn only reads the filter as a tensor: its gradient flows back through the pads to a and b.
    const joint = { filter: filter as tf.Variable, stride: 2, padding: 0, dilation: 1, depthwise: false };
    return convBn({ conv: joint, bn: p.bn }, r, mode);
  });
}

// ---------------------------------------------------------------------------------------------------
// The candidate operations

/** Options of {@link dartsOpParams}. */
export interface DartsOpOptions {
  /** C: input and output channels. */
  channels: number;
  /** 1 (normal cell) or 2 (reduction cell edges leaving the cell inputs); default 1. */
  stride?: number;
  /** Learnable γ, β in the ops' BN (DARTS: false in search, true in evaluation networks; default false). */
  affine?: boolean;
  /** Running statistics in the ops' BN (default true, as DARTS). */
  trackRunningStats?: boolean;
  /** The ops' affine BN as one fused kernel pair (`BatchNormOptions.fusedAffine`; default false). */
  fusedAffine?: boolean;
  /**
   * Follow pooling by BN(C, affine = false), as DARTS' search MixedOp does (model_search.py; default
   * false: plain pooling, as operations.py and evaluation networks).
   */
  poolBn?: boolean;
}

interface OpBase {
  channels: number;
  stride: number;
}

/** The parameters of one candidate operation (parameter-free ops carry only their shape). */
export type DartsOpParams =
  | OpBase & { op: "none" }
  | OpBase & { op: "max_pool_3x3" | "avg_pool_3x3"; bn?: BatchNormParams }
  | OpBase & { op: "skip_connect"; reduce?: FactorizedReduceParams }
  | OpBase & { op: "sep_conv_3x3" | "sep_conv_5x5"; sepConv: SepConvParams }
  | OpBase & { op: "dil_conv_3x3" | "dil_conv_5x5"; dilConv: DilConvParams };

/** Create the parameters of DARTS operation `op` (operations.py's OPS[op](C, stride, affine)). */
export function dartsOpParams(store: ParamStore, name: string, op: string, o: DartsOpOptions): DartsOpParams {
  const checked = checkDartsOp(op);
  const {
    channels,
    stride = 1,
    affine = false,
    trackRunningStats = true,
    poolBn = false,
    fusedAffine = false,
  } = o;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`DARTS op "${name}" (${checked}): channels must be a positive integer, got ${channels}`);
  }
  if (stride !== 1 && stride !== 2) {
    throw new Error(
      `DARTS op "${name}" (${checked}): stride must be 1 or 2 (normal or reduction cell), got ${stride}`,
    );
  }
  const base = { channels, stride };
  const bn = { affine, trackRunningStats, fusedAffine };
  const c = channels;
  switch (checked) {
    case "none":
      return { ...base, op: checked };
    case "max_pool_3x3":
    case "avg_pool_3x3":
      // The search MixedOp's BN is never affine, whatever `affine` says (model_search.py).
      return {
        ...base,
        op: checked,
        bn: poolBn
          ? batchNormParams(store, `${name}.bn`, c, { affine: false, trackRunningStats })
          : undefined,
      };
    case "skip_connect":
      if (stride === 1) return { ...base, op: checked };
      if (c % 2 !== 0) {
        throw new Error(
          `DARTS op "${name}" (skip_connect, stride 2): FactorizedReduce needs an even channel count, ` +
            `got ${c}: use an even number of channels in reduction cells`,
        );
      }
      return { ...base, op: checked, reduce: factorizedReduceParams(store, name, { cin: c, cout: c, bn }) };
    case "sep_conv_3x3":
    case "sep_conv_5x5": {
      const kernel = checked === "sep_conv_3x3" ? 3 : 5;
      return {
        ...base,
        op: checked,
        sepConv: sepConvParams(store, name, { cin: c, cout: c, kernel, stride, bn }),
      };
    }
    case "dil_conv_3x3":
    case "dil_conv_5x5": {
      const kernel = checked === "dil_conv_3x3" ? 3 : 5;
      // padding (k − 1)/2 · 2: 2 and 4, as operations.py.
      const dilConvOptions = { cin: c, cout: c, kernel, stride, dilation: 2, bn };
      return { ...base, op: checked, dilConv: dilConvParams(store, name, dilConvOptions) };
    }
  }
}

/** Apply a DARTS operation to an NHWC batch: same size out at stride 1, ⌈H/2⌉ × ⌈W/2⌉ at stride 2. */
export function dartsOp(p: DartsOpParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  if (x.rank !== 4 || x.shape[3] !== p.channels) {
    throw new Error(
      `DARTS op ${p.op}: expected an NHWC batch with ${p.channels} channels, got shape [${x.shape}]: ` +
        `create its parameters with channels: ${x.shape[3] ?? "?"} or feed it ${p.channels} channels`,
    );
  }
  switch (p.op) {
    case "none": {
      // x · 0 rather than zeros: the same shape, NaN propagation and (zero) gradient as torch's Zero.
      if (p.stride === 1) return tf.mul(x, 0);
      const [, h, w] = x.shape;
      return tf.tidy(() => tf.mul(subsample(x, [2, 2], [Math.ceil(h / 2), Math.ceil(w / 2)]), 0));
    }
    case "max_pool_3x3":
    case "avg_pool_3x3":
      return tf.tidy(() => {
        const y = p.op === "max_pool_3x3"
          ? maxPool(x, { stride: p.stride })
          : avgPool(x, { kernel: 3, stride: p.stride, padding: 1 });
        return p.bn ? batchNorm(p.bn, y, mode) : y;
      });
    case "skip_connect":
      return p.reduce ? factorizedReduce(p.reduce, x, mode) : x;
    case "sep_conv_3x3":
    case "sep_conv_5x5":
      return sepConv(p.sepConv, x, mode);
    case "dil_conv_3x3":
    case "dil_conv_5x5":
      return dilConv(p.dilConv, x, mode);
  }
}

// ---------------------------------------------------------------------------------------------------
// RobustDARTS' noise op and PC-DARTS' channel shuffle

/**
 * RobustDARTS' NoiseOp(stride, mean 0, std 1) (space S4): fresh N(0, 1) noise of `shape` (the op's
 * output: its input's at stride 1, ⌈H/2⌉ × ⌈W/2⌉ at stride 2), independent of the input's values, so no
 * gradient reaches the input. Drawn from `seed` (tfjs' seeded generator, the same on every backend),
 * so a run that derives the seed from its own seed, epoch and step is reproducible.
 */
export function noise(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  if (!Number.isFinite(seed)) throw new Error(`noise op: seed must be a finite number, got ${seed}`);
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}

/**
 * PC-DARTS' channel_shuffle(x, groups) in NHWC: channel g · (C/groups) + j moves to j · groups + g (torch:
 * view [B, groups, C/groups, H, W] → transpose 1, 2 → view [B, C, H, W]).
 */
export function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new Error(
      `channel shuffle: groups must be a positive integer dividing the ${c} channels, got ${groups}`,
    );
  }
  if (groups === 1) return x;
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(x, [n * h * w, groups, c / groups]), [0, 2, 1]), [n, h, w, c])
  );
}
