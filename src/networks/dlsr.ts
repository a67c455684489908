/**
 * DLSR's networks (SPECS §8b, DawnHH/DLSR-PyTorch `models/rfdn_block_6_beta_search.py` and
 * `beta1_para_loss.py`): RFDN-like blocks (nf 48, 24 distilled channels per step, LeakyReLU 0.05), each
 * with 3 searched residual ops and enhanced spatial attention (ESA), chained by a searched topology.
 *
 * - The supernet (`candidates`): one cell-level α [3, candidates] shared by the 6 blocks (each block's
 *   3 mixed ops), and a network-level β per block from the third on, over every earlier block's output:
 *   block k reads LReLU(Conv1×1(concat_j β_kj · B_j)).
 * - A derived network (`cell` and `inputs`): the 3 ops, and per block from the third on the blocks it
 *   reads (DLSR's top-2 β), concatenated and fused by a 1×1 conv.
 *
 * Parameters are counted as PyTorch's numel sum, multiply-adds per convolution at its own output size
 * (ESA's reduced maps included; the bilinear upsampling, activations and biases not counted).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { concatChannels } from "../ops/channels.ts";
import { conv, type ConvParams, convParams } from "../ops/conv.ts";
import { dlsrOp, dlsrOpMacsPerPixel, type DlsrOpParams, dlsrOpParams } from "../ops/dlsrOps.ts";
import { type Mode, ParamStore } from "../ops/params.ts";
import { resizeBilinearHalfPixel } from "../ops/resize.ts";
import { mixedEdge } from "../supernet/mixedEdge.ts";
import { pixelShuffle } from "./imdn.ts";

/** DLSR's published retrain topology: block 3 reads blocks 2 and 1, 4 reads 3 and 2, 5 reads 4 and 3, 6 reads 1 and 3. */
export const DLSR_TOPOLOGY: readonly (readonly number[])[] = [[1, 0], [2, 1], [3, 2], [0, 2]];

/** Shape of a DLSR network (defaults: DLSR ×2, 48 features, 6 blocks). */
export interface DlsrOptions {
  scale?: number;
  channels?: number;
  /** At least 2 (the first two are chained; the rest read a searched choice of earlier blocks). */
  blocks?: number;
  /** A derived network's 3 ops (shared by every block). */
  cell?: readonly [string, string, string];
  /** A derived network's inputs of each block from the third on (0-based block indices; default {@link DLSR_TOPOLOGY}). */
  inputs?: readonly (readonly number[])[];
  /** Build the supernet: every searched op position holds these candidates (e.g. `DLSR_CANDIDATES`). */
  candidates?: readonly string[];
}

interface EsaParams {
  reduce: ConvParams;
  stride2: ConvParams;
  afterPool: ConvParams;
  third: ConvParams;
  fourth: ConvParams;
  skip: ConvParams;
  expand: ConvParams;
}

interface BlockParams {
  distill: ConvParams[];
  /** Per residual position, its ops (one in a derived network, every candidate in the supernet). */
  mixed: DlsrOpParams[][];
  last: ConvParams;
  fuse: ConvParams;
  esa: EsaParams;
}

/** A DLSR network: its variables and shape. */
export interface DlsrNetwork {
  readonly store: ParamStore;
  readonly options: {
    scale: number;
    channels: number;
    blocks: number;
    cell?: readonly string[];
    inputs: readonly (readonly number[])[];
    candidates?: readonly string[];
  };
  readonly head: ConvParams;
  readonly blocks: readonly BlockParams[];
  /** The 1×1 input fusion of each block from the third on. */
  readonly joins: readonly ConvParams[];
  readonly merge: ConvParams;
  readonly body: ConvParams;
  readonly tail: ConvParams;
}

/** Build a DLSR network in `store`. */
export function createDlsr(store: ParamStore, o: DlsrOptions): DlsrNetwork {
  const scale = o.scale ?? 2, channels = o.channels ?? 48, blocks = o.blocks ?? 6;
  if (
    ![scale, channels].every((v) => Number.isInteger(v) && v > 0) || !Number.isInteger(blocks) || blocks < 2
  ) {
    throw new Error("DLSR: scale and channels must be positive integers, blocks at least 2");
  }
  if (channels % 4 !== 0) {
    throw new Error(`DLSR: channels must be a multiple of 4 (ESA uses C/4), got ${channels}`);
  }
  if (!!o.candidates === !!o.cell) {
    throw new Error("DLSR: give either a cell (a derived network) or candidates (the supernet)");
  }
  const inputs = o.candidates
    ? Array.from({ length: blocks - 2 }, (_, k) => Array.from({ length: k + 2 }, (_, j) => j))
    : o.inputs ?? DLSR_TOPOLOGY;
  if (inputs.length !== blocks - 2) {
    throw new Error(
      `DLSR: inputs lists ${inputs.length} blocks, the network has ${blocks - 2} after the first two`,
    );
  }
  inputs.forEach((from, k) => {
    if (from.length === 0 || from.some((j) => !Number.isInteger(j) || j < 0 || j >= k + 2)) {
      throw new Error(`DLSR: block ${k + 3} reads [${from}], but only blocks 0–${k + 1} come before it`);
    }
  });
  if (o.cell && o.cell.length !== 3) throw new Error(`DLSR: a cell has 3 ops, got ${o.cell.length}`);
  const C = channels, half = C / 2, f = C / 4;
  const b = { bias: true } as const;
  const c = (name: string, cin: number, cout: number, kernel: number, extra = {}) =>
    convParams(store, name, { cin, cout, kernel, ...b, ...extra });
  return {
    store,
    options: { scale, channels, blocks, cell: o.cell, inputs, candidates: o.candidates },
    head: c("head", 3, C, 3),
    blocks: Array.from({ length: blocks }, (_, i) => {
      const n = `block${i}`;
      return {
        distill: [1, 2, 3].map((k) => c(`${n}.distill${k}`, C, half, 1)),
        mixed: [0, 1, 2].map((k) =>
          o.candidates
            ? o.candidates.map((op) => dlsrOpParams(store, `${n}.mixed${k + 1}.${op}`, op, C))
            : [dlsrOpParams(store, `${n}.mixed${k + 1}`, o.cell![k], C)]
        ),
        last: c(`${n}.last`, C, half, 3),
        fuse: c(`${n}.fuse`, 2 * C, C, 1),
        esa: {
          reduce: c(`${n}.esa.reduce`, C, f, 1),
          stride2: c(`${n}.esa.stride2`, f, f, 3, { stride: 2, padding: 0 }),
          afterPool: c(`${n}.esa.afterPool`, f, f, 3),
          third: c(`${n}.esa.third`, f, f, 3),
          fourth: c(`${n}.esa.fourth`, f, f, 3),
          skip: c(`${n}.esa.skip`, f, f, 1),
          expand: c(`${n}.esa.expand`, f, C, 1),
        },
      };
    }),
    joins: inputs.map((from, k) => c(`join${k + 2}`, from.length * C, C, 1)),
    merge: c("merge", blocks * C, C, 1),
    body: c("body", C, C, 3),
    tail: c("tail", C, 3 * scale * scale, 3),
  };
}

const lrelu = (x: tf.Tensor4D) => tf.leakyRelu(x, 0.05) as tf.Tensor4D;

/** ESA: x · σ(expand(upsample(third-conv path of the pooled, strided map) + skip(reduce(x)))). */
function esa(p: EsaParams, x: tf.Tensor4D): tf.Tensor4D {
  const reduced = conv(p.reduce, x);
  const strided = conv(p.stride2, reduced);
  if (strided.shape[1] < 7 || strided.shape[2] < 7) {
    throw new Error(
      `DLSR: a ${x.shape[1]}×${
        x.shape[2]
      } input is too small for ESA's 7×7 pooling (at least 15×15 low-resolution pixels)`,
    );
  }
  const pooled = tf.maxPool(strided, 7, 3, "valid") as tf.Tensor4D;
  const range = tf.relu(conv(p.afterPool, pooled)) as tf.Tensor4D;
  const small = conv(p.fourth, tf.relu(conv(p.third, range)) as tf.Tensor4D);
  const up = resizeBilinearHalfPixel(small, x.shape[1], x.shape[2]);
  return tf.mul(
    x,
    tf.sigmoid(conv(p.expand, tf.add(up, conv(p.skip, reduced)) as tf.Tensor4D)),
  ) as tf.Tensor4D;
}

function positionOp(ops: DlsrOpParams[], x: tf.Tensor4D, weights?: tf.Tensor1D): tf.Tensor4D {
  if (!weights) return dlsrOp(ops[0], x);
  return mixedEdge(ops.map((op) => (t: tf.Tensor4D) => dlsrOp(op, t)), x, weights);
}

function block(p: BlockParams, x: tf.Tensor4D, cell?: tf.Tensor1D[]): tf.Tensor4D {
  const kept: tf.Tensor4D[] = [];
  let r = x;
  for (let k = 0; k < 3; k++) {
    kept.push(lrelu(conv(p.distill[k], r)));
    r = lrelu(tf.add(positionOp(p.mixed[k], r, cell?.[k]), r) as tf.Tensor4D);
  }
  kept.push(lrelu(conv(p.last, r)));
  return esa(p.esa, conv(p.fuse, concatChannels(kept)));
}

/** The supernet's architecture weights: the cell's op weights [3, candidates], each later block's input weights. */
export interface DlsrWeights {
  cell: tf.Tensor2D;
  /** One vector per block from the third on, of length 2, 3, …: that block's weights of the earlier blocks. */
  inputs: readonly tf.Tensor1D[];
}

/** The network on an NHWC batch of low-resolution images in [0, 1] (at least 15×15): the `scale`× output. */
export function dlsrForward(
  net: DlsrNetwork,
  x: tf.Tensor4D,
  _mode: Mode,
  weights?: DlsrWeights,
): tf.Tensor4D {
  return tf.tidy(() => {
    const { candidates, blocks, inputs } = net.options;
    if (candidates) {
      const ok = weights && weights.cell.shape[0] === 3 && weights.cell.shape[1] === candidates.length &&
        weights.inputs.length === blocks - 2 && weights.inputs.every((w, k) => w.shape[0] === k + 2);
      if (!ok) {
        throw new Error(
          `DLSR supernet: weights must be { cell: [3, ${candidates.length}], inputs: lengths 2…${
            blocks - 1
          } }`,
        );
      }
    } else if (weights) throw new Error("DLSR: a derived network takes no architecture weights");
    const cell = weights ? tf.unstack(weights.cell) as tf.Tensor1D[] : undefined;
    const feature = conv(net.head, x);
    const outs: tf.Tensor4D[] = [];
    for (let i = 0; i < blocks; i++) {
      let input = i === 0 ? feature : outs[i - 1];
      if (i >= 2) {
        const w = weights ? tf.unstack(weights.inputs[i - 2]) : undefined;
        const parts = inputs[i - 2].map((j, n) => (w ? tf.mul(outs[j], w[n]) as tf.Tensor4D : outs[j]));
        input = lrelu(conv(net.joins[i - 2], concatChannels(parts)));
      }
      outs.push(block(net.blocks[i], input, cell));
    }
    const merged = lrelu(conv(net.merge, concatChannels(outs)));
    return pixelShuffle(
      conv(net.tail, tf.add(conv(net.body, merged), feature) as tf.Tensor4D),
      net.options.scale,
    );
  });
}

/** Parameters and multiply-adds of a DLSR network for an output of `width` × `height` (default 1280×720). */
export function dlsrSize(
  net: DlsrNetwork,
  width = 1280,
  height = 720,
): { parameters: number; multiplyAdds: number } {
  const { scale, channels: C } = net.options;
  const h = height / scale, w = width / scale;
  const h1 = Math.floor((h - 3) / 2) + 1, w1 = Math.floor((w - 3) / 2) + 1;
  const h2 = Math.floor((h1 - 7) / 3) + 1, w2 = Math.floor((w1 - 7) / 3) + 1;
  const dense = (p: ConvParams) => p.filter.size;
  let full = dense(net.head) + dense(net.merge) + dense(net.body) + dense(net.tail);
  let reduced = 0, pooled = 0;
  for (const j of net.joins) full += dense(j);
  for (const b of net.blocks) {
    full += b.distill.reduce((n, p) => n + dense(p), 0) + dense(b.last) + dense(b.fuse);
    full += b.mixed.reduce((n, ops) => n + ops.reduce((m, op) => m + dlsrOpMacsPerPixel(op.op, C), 0), 0);
    full += dense(b.esa.reduce) + dense(b.esa.skip) + dense(b.esa.expand);
    reduced += dense(b.esa.stride2);
    pooled += dense(b.esa.afterPool) + dense(b.esa.third) + dense(b.esa.fourth);
  }
  return { parameters: net.store.size, multiplyAdds: full * h * w + reduced * h1 * w1 + pooled * h2 * w2 };
}

/** The size of a DLSR network without keeping it. */
export function measureDlsr(
  o: DlsrOptions,
  width = 1280,
  height = 720,
): { parameters: number; multiplyAdds: number } {
  const store = new ParamStore(0);
  try {
    return dlsrSize(createDlsr(store, o), width, height);
  } finally {
    store.dispose();
  }
}
