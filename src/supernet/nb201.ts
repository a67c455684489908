/**
 * The NAS-Bench-201 supernet (xautodl's TinyNetworkDarts): stem → N cells at C → ResNet block →
 * N cells at 2C → ResNet block → N cells at 4C → BN → ReLU → global average pool → linear.
 * One op-weight matrix [6 edges, ops] is shared by every cell.
 *
 * In a cell, the edges leaving node j share one ReLU (the first layer of both convs) and one pooling,
 * and each node's Σ_edges Σ_ops w · o(x) is one fused mixed sum: the same function as evaluating every
 * mixed edge on its own, with far fewer kernels (a search step on small tensors is bound by kernel count).
 *
 * PC-DARTS (SPECS §3) with `partialChannels` K > 1: every edge's ops see the first C/K channels of its
 * source node, the rest bypass them, and the edge's output is channel_shuffle([ops, bypass], K); a node
 * sums its edges weighted by their normalized edge scores (per node, a softmax over the incoming edges'
 * β). Both the shuffle and the sum are linear, so a node is shuffle([Σ_e β̂_e ō_e, Σ_e β̂_e bypass_e]):
 * one shuffle per node. (NB201's cells keep their size: no bypass is pooled.)
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { batchNorm, type BatchNormParams, batchNormParams } from "../ops/batchNorm.ts";
import { relu } from "../ops/activation.ts";
import {
  conv,
  convBn,
  type ConvParams,
  convParams,
  type ReluConvBnParams,
  reluConvBnParams,
} from "../ops/conv.ts";
import { concatChannels, splitChannels } from "../ops/channels.ts";
import { linear, type LinearParams, linearParams } from "../ops/linear.ts";
import type { Mode, ParamStore } from "../ops/params.ts";
import { avgPool } from "../ops/pool.ts";
import { resNetBlock, type ResNetBlockParams, resNetBlockParams } from "../ops/resnetBlock.ts";
import {
  checkNb201Op,
  edgeName,
  NB201_EDGES,
  NB201_NODES,
  NB201_OPS,
  type Nb201Op,
} from "../spaces/nb201.ts";
import { mixedSum, type MixedTerm } from "./mixedEdge.ts";

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
  /** PC-DARTS' K: the cells' ops see 1/K of the channels (default 1: all). Must divide channels. */
  partialChannels?: number;
}

type ConvOp = "nor_conv_1x1" | "nor_conv_3x3";
const CONV_KERNEL: Record<ConvOp, number> = { nor_conv_1x1: 1, nor_conv_3x3: 3 };

/** The weights of a cell. */
export interface Nb201CellParams {
  /** Per edge (α row order), per conv op: its ReLU-Conv-BN. */
  edges: Partial<Record<Nb201Op, ReluConvBnParams>>[];
}

/** The supernet: its resolved options, its variables and its layer list. */
export interface Nb201Supernet {
  readonly options: Omit<Required<Nb201SupernetOptions>, "ops"> & { ops: readonly Nb201Op[] };
  readonly store: ParamStore;
  readonly stem: { conv: ConvParams; bn: BatchNormParams };
  readonly layers:
    ({ kind: "cell"; params: Nb201CellParams } | { kind: "reduction"; params: ResNetBlockParams })[];
  readonly head: { bn: BatchNormParams; fc: LinearParams };
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`NB201 supernet: ${name} must be a positive integer, got ${v}`);
  }
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
    partialChannels: positiveInt("partialChannels", options.partialChannels ?? 1),
  };
  const C = o.channels;
  if (C % o.partialChannels !== 0) {
    throw new Error(
      `NB201 supernet: partialChannels (PC-DARTS' K) ${o.partialChannels} must divide the ${C} channels`,
    );
  }
  const stem = {
    conv: convParams(store, "stem.conv", { cin: o.inputChannels, cout: C, kernel: 3 }),
    bn: batchNormParams(store, "stem.bn", C),
  };
  const layers: Nb201Supernet["layers"] = [];
  let c = C;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      layers.push({
        kind: "reduction",
        params: resNetBlockParams(store, `layers.${layers.length}`, c, 2 * c),
      });
      c *= 2;
    }
    for (let n = 0; n < o.cellsPerStage; n++) {
      const name = `layers.${layers.length}`;
      const edges = NB201_EDGES.map((e) => {
        const convs: Nb201CellParams["edges"][number] = {};
        for (const op of ops) {
          if (op !== "nor_conv_1x1" && op !== "nor_conv_3x3") continue;
          // xautodl builds these with bias = not affine: a bias during search, where BN is not affine.
          convs[op] = reluConvBnParams(store, `${name}.${edgeName(e)}.${op}`, {
            cin: c / o.partialChannels,
            cout: c / o.partialChannels,
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
  const head = {
    bn: batchNormParams(store, "head.bn", c),
    fc: linearParams(store, "head.fc", c, o.numClasses),
  };
  return { options: o, store, stem, layers, head };
}

/**
 * A cell: nodes 1..3 are mixed sums over their incoming edges; node 3 is the output. `w` holds the op
 * weights, already times the edge weights `edges` under partial channels.
 */
function cellForward(
  net: Nb201Supernet,
  cell: Nb201CellParams,
  x: tf.Tensor4D,
  w: tf.Tensor1D,
  edges: tf.Tensor1D | undefined,
  mode: Mode,
): tf.Tensor4D {
  const { ops, partialChannels: K } = net.options;
  const [b, height, width, c] = x.shape;
  const opShape: tf.Tensor4D["shape"] = [b, height, width, c / K];
  const nodes = [x];
  // Shared per source node: ReLU(h) feeds every conv leaving it, the pooling is the same for every edge;
  // under partial channels, the split into the ops' channels and the bypassed ones.
  const activated: tf.Tensor4D[] = [];
  const pooled: tf.Tensor4D[] = [];
  const split: tf.Tensor4D[][] = [];
  const opInput = (j: number) =>
    K === 1 ? nodes[j] : (split[j] ??= splitChannels(nodes[j], [c / K, c - c / K]))[0];
  for (let i = 1; i < NB201_NODES; i++) {
    const terms: MixedTerm[] = [];
    const bypassTerms: MixedTerm[] = [];
    NB201_EDGES.forEach((e, k) => {
      if (e.to !== i) return;
      const h = opInput(e.from);
      if (K > 1) bypassTerms.push({ weight: k, tensor: split[e.from][1] });
      ops.forEach((op, o) => {
        const weight = k * ops.length + o;
        if (op === "skip_connect") terms.push({ weight, tensor: h });
        else if (op === "avg_pool_3x3") terms.push({ weight, tensor: pooled[e.from] ??= avgPool(h) });
        else if (op !== "none") {
          const r = activated[e.from] ??= relu(h);
          terms.push({ weight, tensor: convBn(cell.edges[k][op]!, r, mode) });
        }
      });
    });
    const mixed = mixedSum(w, terms, opShape);
    nodes.push(K === 1 ? mixed : concatChannels([mixed, mixedSum(edges!, bypassTerms, opShape)], K));
  }
  return nodes[NB201_NODES - 1];
}

/**
 * PC-DARTS' edge normalization on NB201: per node, a softmax over the scores of its incoming edges
 * (node 1 has one edge, whose weight is then always 1). `beta` [6] in NB201_EDGES order.
 */
export function nb201EdgeSoftmax(beta: tf.Tensor1D): tf.Tensor1D {
  if (beta.rank !== 1 || beta.size !== NB201_EDGES.length) {
    throw new Error(
      `nb201EdgeSoftmax: β must be a vector of ${NB201_EDGES.length} edge scores, got [${beta.shape}]`,
    );
  }
  return tf.tidy(() => {
    const nodes = [1, 2, 3].map((to) => NB201_EDGES.flatMap((e, k) => e.to === to ? [k] : []));
    // NB201_EDGES lists each node's edges together, in node order: consecutive slices.
    return tf.concat(nodes.map((ks) => tf.softmax(tf.slice(beta, ks[0], ks.length)))) as tf.Tensor1D;
  });
}

/**
 * Logits of the supernet for an NHWC batch `x`, with `opWeights` [6, ops] mixing every cell's edges
 * (e.g. softmax(α)) and, under partial channels, `edgeWeights` [6] (normalized edge scores, e.g.
 * {@link nb201EdgeSoftmax} of β). In train mode BN uses batch statistics and updates its running ones.
 */
export function nb201Forward(
  net: Nb201Supernet,
  x: tf.Tensor4D,
  opWeights: tf.Tensor2D,
  mode: Mode,
  edgeWeights?: tf.Tensor1D,
): tf.Tensor2D {
  const partial = net.options.partialChannels > 1;
  if (partial !== (edgeWeights !== undefined)) {
    throw new Error(
      partial
        ? `NB201 supernet: partialChannels ${net.options.partialChannels} needs edge weights (e.g. nb201EdgeSoftmax(β))`
        : "NB201 supernet: edge weights given, but partialChannels is 1 (no edge normalization)",
    );
  }
  if (edgeWeights && (edgeWeights.rank !== 1 || edgeWeights.size !== NB201_EDGES.length)) {
    throw new Error(`NB201 supernet: edge weights must have shape [6], got [${edgeWeights.shape}]`);
  }
  const nOps = net.options.ops.length;
  if (opWeights.rank !== 2 || opWeights.shape[0] !== NB201_EDGES.length || opWeights.shape[1] !== nOps) {
    throw new Error(`NB201 supernet: op weights must have shape [6, ${nOps}], got [${opWeights.shape}]`);
  }
  if (x.rank !== 4 || x.shape[3] !== net.options.inputChannels) {
    throw new Error(
      `NB201 supernet: input must be NHWC with ${net.options.inputChannels} channels, got [${x.shape}]`,
    );
  }
  if (x.shape[1] < 4 || x.shape[2] < 4) {
    throw new Error(`NB201 supernet: input must be at least 4x4, got ${x.shape[1]}x${x.shape[2]}`);
  }
  return tf.tidy(() => {
    const w = tf.reshape(edgeWeights ? tf.mul(opWeights, tf.reshape(edgeWeights, [-1, 1])) : opWeights, [
      -1,
    ]) as tf.Tensor1D;
    let h = batchNorm(net.stem.bn, conv(net.stem.conv, x), mode);
    for (const layer of net.layers) {
      h = layer.kind === "cell"
        ? cellForward(net, layer.params, h, w, edgeWeights, mode)
        : resNetBlock(layer.params, h, mode);
    }
    h = relu(batchNorm(net.head.bn, h, mode));
    return linear(net.head.fc, tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
