/**
 * The candidate convolutions of the paper's IMDN search space (§4.4.1): a plain convolution, a depthwise
 * separable one (depthwise k×k, then pointwise 1×1) or a dilated separable one (depthwise k×k with
 * dilation 2, then pointwise), with a 3×3 or 5×5 kernel, without or with a batch norm after it: 12 ops.
 * The bias follows IMDN's convolutions (bias = True) except in front of a batch norm, whose shift takes
 * its place. Parameters are counted as PyTorch's `numel` sums them (biases and BN's affine weights
 * included), multiply-adds as k²·cin·cout per output pixel of each convolution (biases, BN and
 * activations not counted), the convention of IMDN's and the SR papers' "Multi-Adds".
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { batchNorm, type BatchNormParams, batchNormParams } from "./batchNorm.ts";
import { conv, type ConvParams, convParams } from "./conv.ts";
import type { Mode, ParamStore } from "./params.ts";

/** The 12 candidates, in α's column order. */
export const IMDN_CANDIDATES = [
  "conv_3x3",
  "conv_5x5",
  "sep_conv_3x3",
  "sep_conv_5x5",
  "dil_conv_3x3",
  "dil_conv_5x5",
  "conv_3x3_bn",
  "conv_5x5_bn",
  "sep_conv_3x3_bn",
  "sep_conv_5x5_bn",
  "dil_conv_3x3_bn",
  "dil_conv_5x5_bn",
] as const;

/** One of {@link IMDN_CANDIDATES}. */
export type SrConvOp = (typeof IMDN_CANDIDATES)[number];

/** What an op name says. */
export function parseSrConvOp(op: string): { kind: "conv" | "sep" | "dil"; kernel: number; bn: boolean } {
  const m = /^(conv|sep_conv|dil_conv)_(3x3|5x5)(_bn)?$/.exec(op);
  if (!m) {
    throw new Error(`unknown SR convolution "${op}": choose from ${IMDN_CANDIDATES.join(", ")}`);
  }
  return {
    kind: m[1] === "conv" ? "conv" : m[1] === "sep_conv" ? "sep" : "dil",
    kernel: m[2] === "3x3" ? 3 : 5,
    bn: m[3] !== undefined,
  };
}

/** The variables of one candidate. */
export interface SrConvParams {
  readonly op: SrConvOp;
  /** The plain convolution, or the depthwise one of a separable op. */
  readonly first: ConvParams;
  /** The pointwise convolution of a separable op. */
  readonly pointwise?: ConvParams;
  readonly bn?: BatchNormParams;
}

/** Create candidate `op` from `cin` to `cout` channels under `name`. */
export function srConvParams(
  store: ParamStore,
  name: string,
  op: string,
  cin: number,
  cout: number,
): SrConvParams {
  const { kind, kernel, bn } = parseSrConvOp(op);
  const norm = bn ? batchNormParams(store, `${name}.bn`, cout) : undefined;
  if (kind === "conv") {
    return {
      op: op as SrConvOp,
      first: convParams(store, `${name}.conv`, { cin, cout, kernel, bias: !bn }),
      bn: norm,
    };
  }
  const dilation = kind === "dil" ? 2 : 1;
  return {
    op: op as SrConvOp,
    first: convParams(store, `${name}.depthwise`, {
      cin,
      cout: cin,
      kernel,
      dilation,
      depthwise: true,
      bias: true,
    }),
    pointwise: convParams(store, `${name}.pointwise`, { cin, cout, kernel: 1, bias: !bn }),
    bn: norm,
  };
}

/** Apply a candidate to an NHWC batch ("same" padding: the spatial size is kept). */
export function srConv(p: SrConvParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => {
    let y = conv(p.first, x);
    if (p.pointwise) y = conv(p.pointwise, y);
    return p.bn ? batchNorm(p.bn, y, mode) : y;
  });
}

/** Multiply-adds of candidate `op` from `cin` to `cout` channels per output pixel. */
export function srConvMacsPerPixel(op: string, cin: number, cout: number): number {
  const { kind, kernel } = parseSrConvOp(op);
  return kind === "conv" ? kernel * kernel * cin * cout : kernel * kernel * cin + cin * cout;
}
