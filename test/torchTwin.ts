/**
 * Shared by the tests that compare a network with its PyTorch twin (test/fixtures/make_darts_*.py): how
 * torch's state_dict names and layouts map onto our variables, and the fixtures' parameter fill.
 */
import assert from "node:assert/strict";
import * as tf from "../src/deps/tfjs_core.ts";
import { mulberry32 } from "../src/data/pipeline.ts";
import type { BatchNormParams } from "../src/ops/batchNorm.ts";
import type { ReluConvBnParams } from "../src/ops/conv.ts";
import type { DartsOpParams, DilConvParams, FactorizedReduceParams } from "../src/ops/darts.ts";
import { nameSeed } from "../src/ops/params.ts";
import { relativeError, values } from "./helpers.ts";

/** How a torch tensor is laid out relative to ours. */
export type Layout = "dense" | "depthwise" | "linear" | "vector";
/** torch → ours: conv [out, in, kh, kw] → [kh, kw, in, out]; depthwise [C, 1, kh, kw] → [kh, kw, C, 1]. */
export const TO_OURS: Record<Layout, number[] | undefined> = {
  dense: [2, 3, 1, 0],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  vector: undefined,
};
/** ours → torch. */
export const TO_TORCH: Record<Layout, number[] | undefined> = {
  dense: [3, 2, 0, 1],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  vector: undefined,
};

/** torch name → our variable (undefined where ours has none, e.g. a non-affine BN's γ) and its layout. */
export type Named = Record<string, [tf.Variable | undefined, Layout]>;

/** A BatchNorm2d's parameters and running statistics. */
export function bnNames(prefix: string, bn: BatchNormParams): Named {
  return {
    [`${prefix}.weight`]: [bn.gamma, "vector"],
    [`${prefix}.bias`]: [bn.beta, "vector"],
    [`${prefix}.running_mean`]: [bn.runningMean, "vector"],
    [`${prefix}.running_var`]: [bn.runningVar, "vector"],
  };
}

/** DilConv.op: 0 ReLU, 1 depthwise, 2 pointwise, 3 BN (SepConv's second half starts at 4). */
export function dilConvNames(prefix: string, first: number, d: DilConvParams): Named {
  return {
    [`${prefix}.op.${first}.weight`]: [d.depthwise.filter, "depthwise"],
    [`${prefix}.op.${first + 1}.weight`]: [d.pointwise.filter, "dense"],
    ...bnNames(`${prefix}.op.${first + 2}`, d.bn),
  };
}

/** ReLUConvBN.op: 0 ReLU, 1 conv, 2 BN. */
export function reluConvBnNames(prefix: string, p: ReluConvBnParams): Named {
  return { [`${prefix}.op.1.weight`]: [p.conv.filter, "dense"], ...bnNames(`${prefix}.op.2`, p.bn) };
}

/** FactorizedReduce: conv_1, conv_2, bn. */
export function factorizedReduceNames(prefix: string, p: FactorizedReduceParams): Named {
  return {
    [`${prefix}.conv_1.weight`]: [p.a.filter, "dense"],
    [`${prefix}.conv_2.weight`]: [p.b.filter, "dense"],
    ...bnNames(`${prefix}.bn`, p.bn),
  };
}

/** An op of operations.py with parameters (pooling BNs are the caller's: they differ per network). */
export function dartsOpNames(prefix: string, p: DartsOpParams): Named {
  switch (p.op) {
    case "skip_connect":
      return p.reduce ? factorizedReduceNames(prefix, p.reduce) : {};
    case "sep_conv_3x3":
    case "sep_conv_5x5":
      return { ...dilConvNames(prefix, 1, p.sepConv.a), ...dilConvNames(prefix, 5, p.sepConv.b) };
    case "dil_conv_3x3":
    case "dil_conv_5x5":
      return dilConvNames(prefix, 1, p.dilConv);
    default:
      return {};
  }
}

/** The names that have a variable of ours. */
export function present(names: Named): Record<string, [tf.Variable, Layout]> {
  return Object.fromEntries(Object.entries(names).filter(([, [v]]) => v)) as Record<
    string,
    [tf.Variable, Layout]
  >;
}

/** The fixtures' rule: center + bound · (2u − 1), u from mulberry32(FNV-1a(name)), in torch's layout. */
export function fill(name: string, shape: number[], center: number, bound: number): tf.Tensor {
  const draw = mulberry32(nameSeed(0, name));
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = center + bound * (2 * draw() - 1);
  return tf.tensor(data, shape);
}

/** A tensor permuted by `perm`, or itself. */
export const permuted = (t: tf.Tensor, perm: number[] | undefined): tf.Tensor =>
  perm ? tf.transpose(t, perm) : t;
/** An NHWC tensor's values in torch's NCHW order. */
export const nchw = (t: tf.Tensor): number[] => tf.tidy(() => values(tf.transpose(t, [0, 3, 1, 2])));

/** Assert that `ours` is within relative error `tol` of `torch`; the error. */
export function checkClose(ours: number[], torch: number[], what: string, tol: number): number {
  const err = relativeError(ours, torch);
  assert.ok(err <= tol, `${what}: relative error ${err.toExponential(2)} > ${tol.toExponential(2)}`);
  return err;
}
