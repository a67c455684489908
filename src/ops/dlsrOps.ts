/**
 * The 9 candidates of DLSR's cell-level search (SPECS §8b, DawnHH/DLSR-PyTorch `models/operations_hh.py`),
 * each C → C with stride 1 and no bias or BN: a plain k×k conv (k = 1, 3, 5, 7); a separable conv
 * (ReLU → depthwise k×k → pointwise, twice; k = 3, 5, 7); a dilated conv (ReLU → depthwise k×k with
 * dilation 2 → pointwise; k = 3, 5). Multiply-adds are counted per output pixel, as `srOps.ts` does.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { relu } from "./activation.ts";
import { conv, type ConvParams, convParams } from "./conv.ts";
import type { ParamStore } from "./params.ts";

/** The candidates, in α's column order (DLSR's PRIMITIVES). */
export const DLSR_CANDIDATES = [
  "conv_1x1",
  "conv_3x3",
  "conv_5x5",
  "conv_7x7",
  "sep_conv_3x3",
  "sep_conv_5x5",
  "sep_conv_7x7",
  "dil_conv_3x3",
  "dil_conv_5x5",
] as const;

function parse(op: string): { kind: "conv" | "sep" | "dil"; kernel: number } {
  const m = /^(conv|sep_conv|dil_conv)_(\d)x\2$/.exec(op);
  const kernel = m ? Number(m[2]) : 0;
  const kind = m ? (m[1] === "conv" ? "conv" : m[1] === "sep_conv" ? "sep" : "dil") : "conv";
  if (!m || !(DLSR_CANDIDATES as readonly string[]).includes(op)) {
    throw new Error(`unknown DLSR op "${op}": choose from ${DLSR_CANDIDATES.join(", ")}`);
  }
  return { kind, kernel };
}

/** One candidate's convolutions, in the order they run (ReLUs between as its kind says). */
export interface DlsrOpParams {
  readonly op: string;
  readonly convs: readonly ConvParams[];
}

/** Create candidate `op` on `channels` channels under `name`. */
export function dlsrOpParams(store: ParamStore, name: string, op: string, channels: number): DlsrOpParams {
  const { kind, kernel } = parse(op);
  const c = channels;
  if (kind === "conv") return { op, convs: [convParams(store, `${name}.conv`, { cin: c, cout: c, kernel })] };
  const dilation = kind === "dil" ? 2 : 1;
  const half = (i: number) => [
    convParams(store, `${name}.depthwise${i}`, { cin: c, cout: c, kernel, dilation, depthwise: true }),
    convParams(store, `${name}.pointwise${i}`, { cin: c, cout: c, kernel: 1 }),
  ];
  return { op, convs: kind === "sep" ? [...half(1), ...half(2)] : half(1) };
}

/** Apply a candidate ("same" padding). */
export function dlsrOp(p: DlsrOpParams, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    if (p.convs.length === 1) return conv(p.convs[0], x);
    let y = x;
    for (let i = 0; i < p.convs.length; i += 2) y = conv(p.convs[i + 1], conv(p.convs[i], relu(y)));
    return y;
  });
}

/** Multiply-adds of candidate `op` on `channels` channels per output pixel. */
export function dlsrOpMacsPerPixel(op: string, channels: number): number {
  const { kind, kernel } = parse(op);
  const half = kernel * kernel * channels + channels * channels;
  return kind === "conv" ? kernel * kernel * channels * channels : kind === "sep" ? 2 * half : half;
}
