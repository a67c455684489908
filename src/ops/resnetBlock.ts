/**
 * NAS-Bench-201's reduction block, ResNetBasicblock(cin → cout, stride 2): ReLU → Conv3x3/s2 → BN →
 * ReLU → Conv3x3 → BN, plus a shortcut AvgPool2x2/s2 → Conv1x1 (no BN). Always affine, tracked BN.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import {
  conv,
  type ConvParams,
  convParams,
  reluConvBn,
  type ReluConvBnParams,
  reluConvBnParams,
} from "./conv.ts";
import type { Mode, ParamStore } from "./params.ts";
import { avgPool } from "./pool.ts";

/** The variables of a ResNet reduction block. */
export interface ResNetBlockParams {
  a: ReluConvBnParams;
  b: ReluConvBnParams;
  shortcut: ConvParams;
}

/** Create a ResNet reduction block (stride 2). */
export function resNetBlockParams(
  store: ParamStore,
  name: string,
  cin: number,
  cout: number,
): ResNetBlockParams {
  return {
    a: reluConvBnParams(store, `${name}.a`, { cin, cout, kernel: 3, stride: 2, padding: 1 }),
    b: reluConvBnParams(store, `${name}.b`, { cin: cout, cout, kernel: 3 }),
    shortcut: convParams(store, `${name}.shortcut`, { cin, cout, kernel: 1 }),
  };
}

/** Apply a ResNet reduction block: halves H and W. */
export function resNetBlock(p: ResNetBlockParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => {
    const main = reluConvBn(p.b, reluConvBn(p.a, x, mode), mode);
    // Our avgPool: the same values, but its gradient is a depthwise conv where wasm's AvgPoolGrad is slow.
    const short = conv(p.shortcut, avgPool(x, { kernel: 2, stride: 2, padding: 0 }));
    return tf.add(main, short);
  });
}
