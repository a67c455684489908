/**
 * IMDN (Hui et al., 2019; SPECS §8a) and the networks of the paper's IMDN search space: the layout kept
 * (a 3×3 feature conv; 6 information multi-distillation blocks, each 4 convolutions with channel splits
 * and a contrast-aware channel attention (CCA); their outputs concatenated and fused by a 1×1 conv; a 3×3
 * conv, the global skip, and the pixel-shuffle upsampler), with each block's 4 convolutions given by a
 * genotype: one of the 12 candidates of `ops/srOps.ts` per position. The genotype of all `conv_3x3` is
 * IMDN itself. With `candidates` instead of a genotype it is the space's supernet: every position holds
 * each candidate, and the forward pass mixes them by op weights [positions, candidates] (a mixed op,
 * Σ_k w_k · op_k(x), as DARTS' MixedOp).
 *
 * `imdnSize` counts what IMDN's paper counts: every parameter (biases included; 694,404 at ×2 = its
 * "694K"), and multiply-adds of the convolutions at a given output size (158.77G at 1280×720 for ×2 =
 * its "158.8G").
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { concatChannels, splitChannels } from "../ops/channels.ts";
import { conv, type ConvParams, convParams } from "../ops/conv.ts";
import { type Mode, ParamStore } from "../ops/params.ts";
import { mixedEdge } from "../supernet/mixedEdge.ts";
import { parseSrConvOp, srConv, srConvMacsPerPixel, type SrConvParams, srConvParams } from "../ops/srOps.ts";

/** The searched convolutions of one block, in order: c1 (C→C), c2 and c3 (C−d → C), c4 (C−d → d). */
export type ImdnBlockGenotype = readonly [string, string, string, string];

/** Shape of an IMDN-space network (defaults: IMDN ×2). */
export interface ImdnOptions {
  /** Upscaling factor (default 2). */
  scale?: number;
  /** Feature channels C (default 64). */
  channels?: number;
  /** Blocks (default 6). */
  blocks?: number;
  /** Distilled channels per split, d = C · rate (default 0.25: 16 of 64). */
  distillationRate?: number;
  /** One entry per block (default: IMDN's, every position `conv_3x3`). */
  genotype?: readonly ImdnBlockGenotype[];
  /**
   * Build the supernet instead: every position holds all of these ops (e.g. `IMDN_CANDIDATES`), mixed by
   * the op weights `imdnForward` is given. Not with `genotype`.
   */
  candidates?: readonly string[];
}

interface CcaParams {
  down: ConvParams;
  up: ConvParams;
}

interface BlockParams {
  /** Per searched position, its ops: one for a derived network, every candidate in the supernet. */
  convs: SrConvParams[][];
  cca: CcaParams;
  fuse: ConvParams;
}

/** An IMDN-space network: its variables and shape. */
export interface ImdnNetwork {
  readonly store: ParamStore;
  readonly options: Required<Omit<ImdnOptions, "genotype" | "candidates">> & {
    /** The derived network's genotype; undefined for the supernet. */
    genotype?: readonly ImdnBlockGenotype[];
    /** The supernet's candidates; undefined for a derived network. */
    candidates?: readonly string[];
  };
  readonly distilled: number;
  readonly head: ConvParams;
  readonly blocks: readonly BlockParams[];
  readonly merge: ConvParams;
  readonly body: ConvParams;
  readonly tail: ConvParams;
}

/** [cin, cout] of a block's 4 searched convolutions: c1 C→C, c2 and c3 (C−d)→C, c4 (C−d)→d. */
function blockChannels(channels: number, d: number): [number, number][] {
  const r = channels - d;
  return [[channels, channels], [r, channels], [r, channels], [r, d]];
}

/** IMDN's genotype for `blocks` blocks: `conv_3x3` everywhere. */
export function imdnGenotype(blocks = 6): ImdnBlockGenotype[] {
  return Array.from({ length: blocks }, () => ["conv_3x3", "conv_3x3", "conv_3x3", "conv_3x3"] as const);
}

/** Build an IMDN-space network's variables in `store` (its seed seeds them). */
export function createImdn(store: ParamStore, o: ImdnOptions = {}): ImdnNetwork {
  const scale = o.scale ?? 2, channels = o.channels ?? 64, blocks = o.blocks ?? 6;
  const distillationRate = o.distillationRate ?? 0.25;
  if (o.genotype && o.candidates) {
    throw new Error("IMDN: give a genotype or candidates (the supernet), not both");
  }
  const candidates = o.candidates;
  if (candidates && candidates.length === 0) {
    throw new Error("IMDN: the supernet needs at least one candidate");
  }
  candidates?.forEach((op) => parseSrConvOp(op));
  const genotype = candidates ? undefined : o.genotype ?? imdnGenotype(blocks);
  if (![scale, channels, blocks].every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error("IMDN: scale, channels and blocks must be positive integers");
  }
  // IMDN's int(in_channels · rate) distilled channels per split; the 4 kept parts concatenate to 4·d.
  const d = Math.floor(channels * distillationRate);
  if (d < 1 || d >= channels) {
    throw new Error(`IMDN: distillation rate ${distillationRate} leaves no split of ${channels}`);
  }
  if (genotype && genotype.length !== blocks) {
    throw new Error(`IMDN: the genotype has ${genotype.length} blocks, the network ${blocks}`);
  }
  genotype?.forEach((g, b) => {
    if (g.length !== 4) throw new Error(`IMDN: block ${b} of the genotype has ${g.length} ops, not 4`);
    g.forEach((op) => parseSrConvOp(op));
  });
  const bias = { bias: true } as const;
  const io = blockChannels(channels, d);
  const kept = 4 * d, squeezed = Math.max(1, Math.floor(kept / 16));
  const net: ImdnNetwork = {
    store,
    options: { scale, channels, blocks, distillationRate, genotype, candidates },
    distilled: d,
    head: convParams(store, "head", { cin: 3, cout: channels, kernel: 3, ...bias }),
    blocks: Array.from({ length: blocks }, (_, b) => {
      const name = `block${b}`;
      const at = (i: number, op: string, path: string) => srConvParams(store, path, op, io[i][0], io[i][1]);
      return {
        convs: io.map((_, i) =>
          candidates
            ? candidates.map((op) => at(i, op, `${name}.c${i + 1}.${op}`))
            : [at(i, genotype![b][i], `${name}.c${i + 1}`)]
        ),
        cca: {
          down: convParams(store, `${name}.cca.down`, { cin: kept, cout: squeezed, kernel: 1, ...bias }),
          up: convParams(store, `${name}.cca.up`, { cin: squeezed, cout: kept, kernel: 1, ...bias }),
        },
        fuse: convParams(store, `${name}.c5`, { cin: kept, cout: channels, kernel: 1, ...bias }),
      };
    }),
    merge: convParams(store, "merge", { cin: channels * blocks, cout: channels, kernel: 1, ...bias }),
    body: convParams(store, "body", { cin: channels, cout: channels, kernel: 3, ...bias }),
    tail: convParams(store, "tail", { cin: channels, cout: 3 * scale * scale, kernel: 3, ...bias }),
  };
  return net;
}

const lrelu = (x: tf.Tensor4D) => tf.leakyRelu(x, 0.05) as tf.Tensor4D;

/** Contrast-aware channel attention: x · σ(up(ReLU(down(std + mean)))), std and mean over H×W. */
function cca(p: CcaParams, x: tf.Tensor4D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  const y = tf.add(tf.sqrt(variance), mean) as tf.Tensor4D;
  return tf.mul(x, tf.sigmoid(conv(p.up, tf.relu(conv(p.down, y))))) as tf.Tensor4D;
}

/** Position `ops` on `x`: the op itself, or the mixture Σ_k w_k · op_k(x) by the row `weights`. */
function positionOp(ops: SrConvParams[], x: tf.Tensor4D, mode: Mode, weights?: tf.Tensor1D): tf.Tensor4D {
  if (!weights) return srConv(ops[0], x, mode);
  return mixedEdge(ops.map((op) => (t: tf.Tensor4D) => srConv(op, t, mode)), x, weights);
}

function block(
  net: ImdnNetwork,
  p: BlockParams,
  x: tf.Tensor4D,
  mode: Mode,
  weights?: tf.Tensor1D[],
): tf.Tensor4D {
  const d = net.distilled, r = net.options.channels - d;
  const kept: tf.Tensor4D[] = [];
  let rest = x;
  for (let i = 0; i < 3; i++) {
    const [distilled, remaining] = splitChannels(lrelu(positionOp(p.convs[i], rest, mode, weights?.[i])), [
      d,
      r,
    ]);
    kept.push(distilled);
    rest = remaining;
  }
  kept.push(positionOp(p.convs[3], rest, mode, weights?.[3]));
  return tf.add(conv(p.fuse, cca(p.cca, concatChannels(kept))), x) as tf.Tensor4D;
}

/**
 * PyTorch's `PixelShuffle(s)` on NHWC: channel c·s² + i·s + j of pixel (h, w) goes to channel c of pixel
 * (h·s + i, w·s + j) (tf.depthToSpace orders the channels the other way round).
 */
export function pixelShuffle(x: tf.Tensor4D, s: number): tf.Tensor4D {
  const [n, h, w, cs] = x.shape;
  const c = cs / (s * s);
  if (!Number.isInteger(c)) throw new Error(`pixelShuffle: ${cs} channels are not a multiple of ${s}²`);
  return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, c, s, s]), [0, 1, 4, 2, 5, 3]), [
    n,
    h * s,
    w * s,
    c,
  ]);
}

/** The searched positions in order, one row of the supernet's op weights each: `block0.c1` … `block5.c4`. */
export function imdnPositions(blocks: number): string[] {
  return Array.from({ length: blocks * 4 }, (_, i) => `block${Math.floor(i / 4)}.c${(i % 4) + 1}`);
}

/**
 * The network on an NHWC batch of low-resolution images in [0, 1]: the `scale`× output. The supernet
 * takes `opWeights` [positions ({@link imdnPositions}), candidates]; a derived network none.
 */
export function imdnForward(
  net: ImdnNetwork,
  x: tf.Tensor4D,
  mode: Mode,
  opWeights?: tf.Tensor2D,
): tf.Tensor4D {
  return tf.tidy(() => {
    if (x.rank !== 4 || x.shape[3] !== 3) {
      throw new Error(`IMDN: expects an NHWC batch of RGB images, got [${x.shape}]`);
    }
    const { candidates, blocks } = net.options;
    if (
      candidates &&
      (!opWeights || opWeights.shape[0] !== blocks * 4 || opWeights.shape[1] !== candidates.length)
    ) {
      throw new Error(
        `IMDN supernet: op weights must be [${
          blocks * 4
        }, ${candidates.length}] (positions × candidates), got ` +
          (opWeights ? `[${opWeights.shape}]` : "none"),
      );
    }
    if (!candidates && opWeights) throw new Error("IMDN: a derived network takes no op weights");
    const rows = opWeights ? tf.unstack(opWeights) as tf.Tensor1D[] : undefined;
    const feature = conv(net.head, x);
    const outputs: tf.Tensor4D[] = [];
    let h = feature;
    net.blocks.forEach((b, i) => outputs.push(h = block(net, b, h, mode, rows?.slice(4 * i, 4 * i + 4))));
    const merged = lrelu(conv(net.merge, concatChannels(outputs)));
    const body = tf.add(conv(net.body, merged), feature) as tf.Tensor4D;
    return pixelShuffle(conv(net.tail, body), net.options.scale);
  });
}

/** Parameters and multiply-adds of an IMDN-space network. */
export interface ImdnSize {
  /** Every trainable parameter, biases and BN weights included (PyTorch's numel sum). */
  parameters: number;
  /** Multiply-adds of the convolutions for one image of the given output size. */
  multiplyAdds: number;
}

/**
 * The size of `net` (the supernet: every candidate of every position) for an output of `width` × `height`
 * pixels (default 1280×720, the SR papers' convention): the input is the output / scale.
 */
export function imdnSize(net: ImdnNetwork, width = 1280, height = 720): ImdnSize {
  const { scale, channels } = net.options;
  const pixels = (width / scale) * (height / scale);
  const dense = (p: ConvParams) => p.filter.size; // k·k·cin·cout multiply-adds per output pixel
  let perPixel = dense(net.head) + dense(net.merge) + dense(net.body) + dense(net.tail);
  let perImage = 0;
  const io = blockChannels(channels, net.distilled);
  for (const b of net.blocks) {
    b.convs.forEach((ops, i) => ops.forEach((c) => perPixel += srConvMacsPerPixel(c.op, io[i][0], io[i][1])));
    perPixel += dense(b.fuse);
    perImage += dense(b.cca.down) + dense(b.cca.up); // on the 1×1 channel statistics
  }
  return { parameters: net.store.size, multiplyAdds: perPixel * pixels + perImage };
}

/** The size of an IMDN-space network without keeping it (built in a throwaway store). */
export function measureImdn(o: ImdnOptions = {}, width = 1280, height = 720): ImdnSize {
  const store = new ParamStore(0);
  try {
    return imdnSize(createImdn(store, o), width, height);
  } finally {
    store.dispose();
  }
}
