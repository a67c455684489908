/**
 * The NAS-Bench-201 supernet (xautodl's TinyNetworkDarts): stem → N cells at C → ResNet block →
 * N cells at 2C → ResNet block → N cells at 4C → BN → ReLU → global average pool → linear.
 * One op-weight matrix [6 edges, ops] is shared by every cell.
 *
 * Cells are evaluated grouped by source node: the edges leaving node j share one ReLU, one pooling and
 * one convolution per kernel size whose output channels are those of all the edges (each edge keeps its
 * own filter, bias and BN statistics). This is the same function as evaluating each mixed edge on its
 * own (`grouped: false`, tested to agree) but with fewer, larger kernels, which is what makes
 * TensorFlow.js fast on small channel counts.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type BatchNormParams, batchNorm, batchNormParams, normalizeBatch, updateRunningStats } from "../ops/batchNorm.ts";
import { conv, type ConvParams, convParams, reluConvBn, type ReluConvBnParams, reluConvBnParams } from "../ops/conv.ts";
import { linear, type LinearParams, linearParams } from "../ops/linear.ts";
import type { Mode, ParamStore } from "../ops/params.ts";
import { avgPool } from "../ops/pool.ts";
import { resNetBlock, type ResNetBlockParams, resNetBlockParams } from "../ops/resnetBlock.ts";
import { checkNb201Op, type Edge, edgeName, NB201_EDGES, NB201_NODES, NB201_OPS, type Nb201Op } from "../spaces/nb201.ts";
import { type Candidate, mixedEdge, weightedSum } from "./mixedEdge.ts";

/** Shape and BN settings of the supernet (defaults: the NB201 search setting of SPECS §1). */
export interface Nb201SupernetOptions {
  /** Channels of the first stage, C (default 16). */
  channels?: number;
  /** Cells per stage, N (default 5). */
  cellsPerStage?: number;
  numClasses?: number;
  inputChannels?: number;
  /** Candidate ops (α columns), a subset of NB201_OPS in any order (default all 5). */
  ops?: readonly string[];
  /** Affine BN inside the cells' convs (default false during search). */
  affine?: boolean;
  /** Running statistics in the cells' BN (default true, as DARTS-V1.sh runs it). */
  trackRunningStats?: boolean;
  /** Evaluate cells grouped by source node (default true; false evaluates each mixed edge alone). */
  grouped?: boolean;
}

type ConvOp = "nor_conv_1x1" | "nor_conv_3x3";
const CONV_KERNEL: Record<ConvOp, number> = { nor_conv_1x1: 1, nor_conv_3x3: 3 };

interface CellParams {
  /** Per edge (α row order), per conv op: its ReLU-Conv-BN. */
  edges: Partial<Record<ConvOp, ReluConvBnParams>>[];
}

/** The supernet: its resolved options, its variables and its layer list. */
export interface Nb201Supernet {
  readonly options: Required<Nb201SupernetOptions> & { ops: readonly Nb201Op[] };
  readonly store: ParamStore;
  readonly stem: { conv: ConvParams; bn: BatchNormParams };
  readonly layers: ({ kind: "cell"; params: CellParams } | { kind: "reduction"; params: ResNetBlockParams })[];
  readonly head: { bn: BatchNormParams; fc: LinearParams };
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`NB201 supernet: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** Create the supernet's weights in `store`. */
export function createNb201Supernet(store: ParamStore, options: Nb201SupernetOptions = {}): Nb201Supernet {
  const ops = (options.ops ?? NB201_OPS).map(checkNb201Op);
  if (new Set(ops).size !== ops.length) throw new Error(`NB201 supernet: ops repeat: ${ops.join(", ")}`);
  const o = {
    channels: positiveInt("channels", options.channels ?? 16),
    cellsPerStage: positiveInt("cellsPerStage", options.cellsPerStage ?? 5),
    numClasses: positiveInt("numClasses", options.numClasses ?? 10),
    inputChannels: positiveInt("inputChannels", options.inputChannels ?? 3),
    ops,
    affine: options.affine ?? false,
    trackRunningStats: options.trackRunningStats ?? true,
    grouped: options.grouped ?? true,
  };
  const C = o.channels;
  const stem = {
    conv: convParams(store, "stem.conv", { cin: o.inputChannels, cout: C, kernel: 3 }),
    bn: batchNormParams(store, "stem.bn", C),
  };
  const layers: Nb201Supernet["layers"] = [];
  let c = C;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      layers.push({ kind: "reduction", params: resNetBlockParams(store, `layers.${layers.length}`, c, 2 * c) });
      c *= 2;
    }
    for (let n = 0; n < o.cellsPerStage; n++) {
      const name = `layers.${layers.length}`;
      const edges = NB201_EDGES.map((e) => {
        const convs: Partial<Record<ConvOp, ReluConvBnParams>> = {};
        for (const op of ops) {
          if (op !== "nor_conv_1x1" && op !== "nor_conv_3x3") continue;
          // xautodl builds these with bias = not affine: a bias during search, where BN is not affine.
          convs[op] = reluConvBnParams(store, `${name}.${edgeName(e)}.${op}`, {
            cin: c,
            cout: c,
            kernel: CONV_KERNEL[op],
            bias: !o.affine,
            bn: { affine: o.affine, trackRunningStats: o.trackRunningStats },
          });
        }
        return convs;
      });
      layers.push({ kind: "cell", params: { edges } });
    }
  }
  const head = { bn: batchNormParams(store, "head.bn", c), fc: linearParams(store, "head.fc", c, o.numClasses) };
  return { options: o, store, stem, layers, head };
}

/** Edge-by-edge evaluation of a cell: the definition the grouped evaluation must equal. */
function cellPerEdge(net: Nb201Supernet, cell: CellParams, x: tf.Tensor4D, w: tf.Scalar[][], mode: Mode): tf.Tensor4D {
  const nodes = [x];
  for (let i = 1; i < NB201_NODES; i++) {
    const terms = NB201_EDGES.map((e, k) => [e, k] as const).filter(([e]) => e.to === i).map(([e, k]) => {
      const candidates: Candidate[] = net.options.ops.map((op) => {
        if (op === "none") return null;
        if (op === "skip_connect") return (h) => h;
        if (op === "avg_pool_3x3") return (h) => avgPool(h);
        const p = cell.edges[k][op as ConvOp]!;
        return (h) => reluConvBn(p, h, mode);
      });
      return mixedEdge(candidates, nodes[e.from], w[k]);
    });
    nodes.push(terms.length === 1 ? terms[0] : tf.addN(terms));
  }
  return nodes[NB201_NODES - 1];
}

/** ReLU → one conv over the filters of all `edges` → BN; returns each edge's output. */
function groupedReluConvBn(layers: ReluConvBnParams[], h: tf.Tensor4D, mode: Mode): tf.Tensor4D[] {
  const filters = layers.map((p) => p.conv.filter);
  const filter = (filters.length === 1 ? filters[0] : tf.concat(filters, 3)) as tf.Tensor4D;
  const biases = layers.map((p) => p.conv.bias).filter((b): b is tf.Variable => !!b);
  const kernel = filter.shape[0];
  let y = tf.conv2d(h, filter, 1, (kernel - 1) / 2);
  if (biases.length) y = tf.add(y, biases.length === 1 ? biases[0] : tf.concat(biases));
  const bns = layers.map((p) => p.bn);
  const eps = bns[0].eps;
  const grouped = { ...bns[0], gamma: undefined, beta: undefined, runningMean: undefined, runningVar: undefined };
  let out: tf.Tensor4D;
  if (mode === "eval" && bns[0].runningMean) {
    // Running statistics: per-channel affine maps, so they concatenate like the filters.
    const cat = (vs: (tf.Variable | undefined)[]) => (vs.length === 1 ? vs[0]! : tf.concat(vs as tf.Tensor[]));
    out = batchNorm({
      ...grouped,
      runningMean: cat(bns.map((b) => b.runningMean)) as tf.Variable,
      runningVar: cat(bns.map((b) => b.runningVar)) as tf.Variable,
    }, y, mode);
  } else {
    out = normalizeBatch(y, eps, (mean, variance) => updateRunningStats(bns, mean, variance));
  }
  if (bns[0].gamma) {
    out = tf.add(tf.mul(out, tf.concat(bns.map((b) => b.gamma!))), tf.concat(bns.map((b) => b.beta!)));
  }
  return layers.length === 1 ? [out] : tf.split(out, layers.length, 3);
}

/** Grouped evaluation of a cell (see the module comment). */
function cellGrouped(net: Nb201Supernet, cell: CellParams, x: tf.Tensor4D, w: tf.Scalar[][], mode: Mode): tf.Tensor4D {
  const ops = net.options.ops;
  const nodes = [x];
  const terms: [tf.Scalar, tf.Tensor4D][][] = Array.from({ length: NB201_NODES }, () => []);
  for (let j = 0; j < NB201_NODES - 1; j++) {
    if (j > 0) nodes.push(weightedSum(terms[j], x.shape));
    const h = nodes[j];
    const outgoing = NB201_EDGES.map((e, k) => [e, k] as [Edge, number]).filter(([e]) => e.from === j);
    let activated: tf.Tensor4D | undefined; // one ReLU for both conv sizes
    ops.forEach((op, o) => {
      if (op === "none") return;
      if (op === "skip_connect") for (const [e, k] of outgoing) terms[e.to].push([w[k][o], h]);
      if (op === "avg_pool_3x3") {
        const pooled = avgPool(h);
        for (const [e, k] of outgoing) terms[e.to].push([w[k][o], pooled]);
      }
      if (op === "nor_conv_1x1" || op === "nor_conv_3x3") {
        const outs = groupedReluConvBn(outgoing.map(([, k]) => cell.edges[k][op]!), activated ??= tf.relu(h), mode);
        outgoing.forEach(([e, k], i) => terms[e.to].push([w[k][o], outs[i]]));
      }
    });
  }
  return weightedSum(terms[NB201_NODES - 1], x.shape);
}

/**
 * Logits of the supernet for an NHWC batch `x`, with `opWeights` [6, ops] mixing every cell's edges
 * (e.g. softmax(α)). In train mode BN uses batch statistics and updates its running ones.
 */
export function nb201Forward(net: Nb201Supernet, x: tf.Tensor4D, opWeights: tf.Tensor2D, mode: Mode): tf.Tensor2D {
  const nOps = net.options.ops.length;
  if (opWeights.rank !== 2 || opWeights.shape[0] !== NB201_EDGES.length || opWeights.shape[1] !== nOps) {
    throw new Error(`NB201 supernet: op weights must have shape [6, ${nOps}], got [${opWeights.shape}]`);
  }
  if (x.rank !== 4 || x.shape[3] !== net.options.inputChannels) {
    throw new Error(`NB201 supernet: input must be NHWC with ${net.options.inputChannels} channels, got [${x.shape}]`);
  }
  if (x.shape[1] < 4 || x.shape[2] < 4) throw new Error(`NB201 supernet: input must be at least 4x4, got ${x.shape[1]}x${x.shape[2]}`);
  return tf.tidy(() => {
    const w = tf.unstack(opWeights).map((row) => tf.unstack(row) as tf.Scalar[]);
    const cell = net.options.grouped ? cellGrouped : cellPerEdge;
    let h = batchNorm(net.stem.bn, conv(net.stem.conv, x), mode);
    for (const layer of net.layers) {
      h = layer.kind === "cell" ? cell(net, layer.params, h, w, mode) : resNetBlock(layer.params, h, mode);
    }
    h = tf.relu(batchNorm(net.head.bn, h, mode));
    return linear(net.head.fc, tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
