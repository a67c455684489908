/**
 * The DARTS CNN search network (quark0/darts `cnn/model_search.py`; PC-DARTS' partial channels and edge
 * normalization; RobustDARTS' per-edge op lists and noise op): stem Conv 3x3 → BN, `layers` cells with
 * reduction cells at ⌊layers/3⌋ and ⌊2·layers/3⌋ (where C doubles), global average pool → linear.
 * A cell preprocesses its two inputs (FactorizedReduce after a reduction, else ReLU-Conv1x1-BN), then
 * each of its `steps` nodes sums a mixed op from every earlier state (14 edges, node-major), and its
 * output concatenates the last `multiplier` nodes. Op weights come from outside, one row per edge and
 * cell type, so any sampler plugs in and every edge may have its own op list (S1–S4 are data).
 *
 * Cells are evaluated by source state, as the NB201 supernet is: the edges leaving a state share its
 * ReLU, its poolings with their BN, and (PC-DARTS) its channel split and bypass; each node's
 * Σ_edges Σ_ops w · o(x) is one fused mixed sum. The same function as the edge-by-edge definition
 * (tested against it and against PyTorch), with far fewer kernels.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { relu } from "../ops/activation.ts";
import { batchNorm, type BatchNormParams, batchNormParams } from "../ops/batchNorm.ts";
import {
  conv,
  convBn,
  type ConvParams,
  convParams,
  reluConvBn,
  type ReluConvBnParams,
  reluConvBnParams,
} from "../ops/conv.ts";
import {
  DARTS_OPS,
  type DartsOpParams,
  dartsOpParams,
  type DilConvParams,
  factorizedReduce,
  factorizedReduceActivated,
  type FactorizedReduceParams,
  factorizedReduceParams,
  noise,
} from "../ops/darts.ts";
import { concatChannels, splitChannels } from "../ops/channels.ts";
import { linear, type LinearParams, linearParams } from "../ops/linear.ts";
import { type Mode, nameSeed, type ParamStore } from "../ops/params.ts";
import { recomputed } from "../ops/recompute.ts";
import { avgPool, maxPool } from "../ops/pool.ts";
import { mixedSum, type MixedTerm } from "./mixedEdge.ts";
import { type DartsEdge, dartsEdges, nodeEdgeRanges } from "./dartsTopology.ts";

/** Every op a DARTS-space edge can hold: DARTS' PRIMITIVES, and RobustDARTS' `noise` (space S4). */
export const DARTS_SEARCH_OPS = [...DARTS_OPS, "noise"] as const;
/** The name of an op a DARTS-space edge can hold. */
export type DartsSearchOp = typeof DARTS_SEARCH_OPS[number];

/**
 * PC-DARTS' edge weights from its edge scores β [edges]: the softmax over each node's incoming edges
 * (model_search.py's weights2), ready for {@link DartsCellWeights.edges}.
 */
export function edgeSoftmax(beta: tf.Tensor1D, steps = 4): tf.Tensor1D {
  const ranges = nodeEdgeRanges(steps);
  const edges = ranges[ranges.length - 1][1];
  if (beta.rank !== 1 || beta.size !== edges) {
    throw new Error(
      `edgeSoftmax: β must be a vector of ${edges} edge scores (${steps} nodes), got [${beta.shape}]`,
    );
  }
  return tf.tidy(() =>
    tf.concat(ranges.map(([a, b]) => tf.softmax(tf.slice(beta, a, b - a)))) as tf.Tensor1D
  );
}

/** Candidate ops per edge of each cell type (rows in {@link dartsEdges} order). */
export interface DartsCellOps {
  normal: readonly (readonly string[])[];
  reduce: readonly (readonly string[])[];
}

/** Shape of the search network (defaults: DARTS' CIFAR-10 search, `cnn/train_search.py`). */
export interface DartsSupernetOptions {
  /** C, the node channels of the first cells (default 16); doubles at each reduction cell. */
  channels?: number;
  /** Cells (default 8); reduction cells at ⌊layers/3⌋ and ⌊2·layers/3⌋. */
  layers?: number;
  /** Classes, the width of the logits (default 10). */
  numClasses?: number;
  /** Channels of an input image (default 3). */
  inputChannels?: number;
  /** The stem's output is stemMultiplier · C channels (default 3, as DARTS). */
  stemMultiplier?: number;
  /** Intermediate nodes per cell (default 4, DARTS' `steps`): 2 + 3 + … = 14 edges at 4. */
  steps?: number;
  /** A cell's output concatenates its last `multiplier` nodes (default 4: multiplier · C channels). */
  multiplier?: number;
  /**
   * Candidate ops of every edge, per cell type: one list per edge in {@link dartsEdges} order, each
   * naming {@link DARTS_SEARCH_OPS} without repeats; its order is the op weights' column order
   * (default: DARTS' 8 PRIMITIVES on every edge of both types).
   */
  ops?: Partial<DartsCellOps>;
  /**
   * PC-DARTS' K (default 1: every channel through the mixed op): the first C/K channels of an edge's
   * input go through ops built for C/K channels, the rest bypass them (max-pooled 2x2 on stride-2
   * edges), then channel_shuffle(groups = K). Must divide every cell's C.
   */
  partialChannels?: number;
  /**
   * Recompute each cell in the backward pass instead of keeping its activations (gradient checkpointing
   * per cell, ../ops/recompute.ts; default false): a training pass then holds the cells' inputs and one
   * cell's activations, about 1/layers of the activation memory, for about one more forward pass of
   * time. DARTS' paper-size search (C=16, 8 cells, 32x32, batch 64) needs 9.5 GiB in PyTorch, more than
   * wasm32's 4 GiB. Gradients equal the stored pass's to rounding (α's and β's add up per cell first).
   */
  recompute?: boolean;
}

/**
 * One candidate op of an edge: the parameter-free ones by name (poolings keep their BN in
 * {@link DartsCellParams.poolBn}), the others as ../ops/darts.ts creates them (built for C / K channels).
 */
export type DartsEdgeOp =
  | { op: "none" | "noise" | "max_pool_3x3" | "avg_pool_3x3" }
  | Extract<
    DartsOpParams,
    { op: "skip_connect" | "sep_conv_3x3" | "sep_conv_5x5" | "dil_conv_3x3" | "dil_conv_5x5" }
  >;

/** The weights of a cell. */
export interface DartsCellParams {
  reduction: boolean;
  /** The previous cell was a reduction: preprocess0 is a FactorizedReduce. */
  reductionPrev: boolean;
  /** C of this cell (its nodes' channels); the ops see C / K. */
  channels: number;
  preprocess0: { kind: "factorizedReduce"; params: FactorizedReduceParams } | {
    kind: "reluConvBn";
    params: ReluConvBnParams;
  };
  preprocess1: ReluConvBnParams;
  /** Per edge (row order), per op of its list (column order). */
  edges: DartsEdgeOp[][];
  /**
   * Per source state, the BN(affine = false) after each pooling op leaving it. Every edge from a state
   * pools the same tensor and normalises it with the same batch statistics, so the per-edge BNs of
   * model_search.py would hold equal running statistics forever: one BN per (state, pooling) is the same
   * function.
   */
  poolBn: Partial<Record<"max_pool_3x3" | "avg_pool_3x3", BatchNormParams>>[];
  /** The cell's trainable variables (what a recomputed cell is differentiated in). */
  variables: readonly tf.Variable[];
}

/** The network: its resolved options, its variables and its cells. */
export interface DartsSupernet {
  readonly options: Readonly<Required<Omit<DartsSupernetOptions, "ops">>> & {
    readonly ops: {
      normal: readonly (readonly DartsSearchOp[])[];
      reduce: readonly (readonly DartsSearchOp[])[];
    };
  };
  readonly store: ParamStore;
  readonly edges: readonly DartsEdge[];
  /** Stem conv (no bias) and BN: affine, as model_search.py's nn.BatchNorm2d(C_curr) default. */
  readonly stem: { conv: ConvParams; bn: BatchNormParams };
  readonly cells: readonly DartsCellParams[];
  readonly classifier: LinearParams;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`DARTS supernet: ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

function checkOpLists(
  kind: keyof DartsCellOps,
  lists: readonly (readonly string[])[] | undefined,
  edgeCount: number,
): DartsSearchOp[][] {
  if (lists === undefined) return Array.from({ length: edgeCount }, () => [...DARTS_OPS]);
  if (!Array.isArray(lists) || lists.length !== edgeCount) {
    throw new Error(
      `DARTS supernet: ops.${kind} must list the ops of each of the ${edgeCount} edges, ` +
        `got ${Array.isArray(lists) ? `${lists.length} lists` : typeof lists}`,
    );
  }
  return lists.map((ops, e) => {
    if (!Array.isArray(ops) || ops.length === 0) {
      throw new Error(`DARTS supernet: ops.${kind}[${e}] must be a non-empty list of op names`);
    }
    for (const op of ops) {
      if (!(DARTS_SEARCH_OPS as readonly string[]).includes(op)) {
        throw new Error(
          `DARTS supernet: ops.${kind}[${e}] names unknown op "${op}": choose from ${
            DARTS_SEARCH_OPS.join(", ")
          }`,
        );
      }
    }
    if (new Set(ops).size !== ops.length) {
      throw new Error(`DARTS supernet: ops.${kind}[${e}] repeats an op: ${ops.join(", ")}`);
    }
    return [...ops] as DartsSearchOp[];
  });
}

/** The indices of the reduction cells: ⌊layers/3⌋ and ⌊2·layers/3⌋ (one cell when they coincide). */
export function reductionCells(layers: number): number[] {
  return [...new Set([Math.floor(layers / 3), Math.floor((2 * layers) / 3)])];
}

/** Create the search network's weights in `store` (names like `cells.2.edges.5.sep_conv_3x3.a.…`). */
export function createDartsSupernet(store: ParamStore, options: DartsSupernetOptions = {}): DartsSupernet {
  const steps = positiveInt("steps", options.steps ?? 4);
  const multiplier = positiveInt("multiplier", options.multiplier ?? 4);
  if (multiplier > steps) {
    throw new Error(
      `DARTS supernet: multiplier (${multiplier}) cannot exceed steps (${steps}): a cell concatenates its last ` +
        `multiplier nodes`,
    );
  }
  const edges = dartsEdges(steps);
  const o = {
    channels: positiveInt("channels", options.channels ?? 16),
    layers: positiveInt("layers", options.layers ?? 8),
    numClasses: positiveInt("numClasses", options.numClasses ?? 10),
    inputChannels: positiveInt("inputChannels", options.inputChannels ?? 3),
    stemMultiplier: positiveInt("stemMultiplier", options.stemMultiplier ?? 3),
    steps,
    multiplier,
    partialChannels: positiveInt("partialChannels", options.partialChannels ?? 1),
    recompute: options.recompute ?? false,
    ops: {
      normal: checkOpLists("normal", options.ops?.normal, edges.length),
      reduce: checkOpLists("reduce", options.ops?.reduce, edges.length),
    },
  };
  const K = o.partialChannels;
  const reductions = reductionCells(o.layers);
  {
    let c = o.channels;
    for (let i = 0; i < o.layers; i++) {
      if (reductions.includes(i)) c *= 2;
      if (c % K !== 0) {
        throw new Error(
          `DARTS supernet: partialChannels K = ${K} must divide the channels of every cell, but cell ${i} has ` +
            `${c} channels (C = ${o.channels}, doubled at each reduction): choose a K that divides ${o.channels}`,
        );
      }
    }
  }
  const stemChannels = o.stemMultiplier * o.channels;
  const stem = {
    conv: convParams(store, "stem.conv", { cin: o.inputChannels, cout: stemChannels, kernel: 3, padding: 1 }),
    bn: batchNormParams(store, "stem.bn", stemChannels),
  };
  const bn = { affine: false };
  const cells: DartsCellParams[] = [];
  let [cPrevPrev, cPrev, c] = [stemChannels, stemChannels, o.channels];
  let reductionPrev = false;
  for (let i = 0; i < o.layers; i++) {
    const name = `cells.${i}`;
    const firstVariable = store.trainable.length;
    const reduction = reductions.includes(i);
    if (reduction) c *= 2;
    const preprocess0: DartsCellParams["preprocess0"] = reductionPrev
      ? {
        kind: "factorizedReduce",
        params: factorizedReduceParams(store, `${name}.preprocess0`, { cin: cPrevPrev, cout: c, bn }),
      }
      : {
        kind: "reluConvBn",
        params: reluConvBnParams(store, `${name}.preprocess0`, { cin: cPrevPrev, cout: c, kernel: 1, bn }),
      };
    const preprocess1 = reluConvBnParams(store, `${name}.preprocess1`, {
      cin: cPrev,
      cout: c,
      kernel: 1,
      bn,
    });
    const opChannels = c / K;
    const opLists = reduction ? o.ops.reduce : o.ops.normal;
    const poolBn: DartsCellParams["poolBn"] = Array.from({ length: 2 + steps }, () => ({}));
    const cellEdges = edges.map((e, k) => {
      const stride = reduction && e.from < 2 ? 2 : 1;
      return opLists[k].map((op): DartsEdgeOp => {
        if (op === "none" || op === "noise") return { op };
        if (op === "max_pool_3x3" || op === "avg_pool_3x3") {
          poolBn[e.from][op] ??= batchNormParams(store, `${name}.pool.${e.from}.${op}.bn`, opChannels, bn);
          return { op };
        }
        // The ops with parameters (none and the poolings are handled above).
        return dartsOpParams(store, `${name}.edges.${k}.${op}`, op, {
          channels: opChannels,
          stride,
        }) as DartsEdgeOp;
      });
    });
    cells.push({
      reduction,
      reductionPrev,
      channels: c,
      preprocess0,
      preprocess1,
      edges: cellEdges,
      poolBn,
      variables: store.trainable.slice(firstVariable),
    });
    reductionPrev = reduction;
    [cPrevPrev, cPrev] = [cPrev, multiplier * c];
  }
  const classifier = linearParams(store, "classifier", cPrev, o.numClasses);
  return { options: o, store, edges, stem, cells, classifier };
}

/** The mixing weights of one cell type. */
export interface DartsCellWeights {
  /**
   * Per edge (row order), the weights of its ops (column order), e.g. softmax(α) per row: a matrix
   * [edges, ops] when every edge has the same number of ops, else one vector per edge.
   */
  ops: tf.Tensor2D | readonly tf.Tensor1D[];
  /**
   * Per-edge weights [edges] (PC-DARTS' edge normalization): each edge's mixed op is multiplied by its
   * entry. The caller normalizes them over each node's incoming edges ({@link edgeSoftmax}). Default 1.
   */
  edges?: tf.Tensor1D;
}

/** The mixing weights of both cell types. */
export interface DartsWeights {
  normal: DartsCellWeights;
  reduce: DartsCellWeights;
}

/** Options of one forward pass. */
export interface DartsForwardOptions {
  /**
   * Seed of the `noise` ops' N(0, 1) draws, required when an edge has one: each op draws from
   * (noiseSeed, cell, edge), so the caller derives it from (run seed, epoch, step) for a reproducible run.
   */
  noiseSeed?: number;
}

/** A cell type's weights as one flat vector (edge weights folded in) and where each edge's row starts. */
interface FlatWeights {
  w: tf.Tensor1D;
  rowStart: number[];
  /** Per-edge weights, for PC-DARTS' bypass halves. */
  edges: tf.Tensor1D;
}

function flatWeights(
  kind: keyof DartsCellOps,
  cw: DartsCellWeights,
  lists: readonly (readonly string[])[],
): FlatWeights {
  const counts = lists.map((l) => l.length);
  const what = `weights.${kind}.ops`;
  if (cw === undefined || cw.ops === undefined) {
    throw new Error(
      `DARTS supernet: ${what} is missing: give the op weights of each of the ${lists.length} edges`,
    );
  }
  if (cw.edges !== undefined && (cw.edges.rank !== 1 || cw.edges.size !== lists.length)) {
    throw new Error(
      `DARTS supernet: weights.${kind}.edges must be a vector of ${lists.length} edge weights, got [${cw.edges.shape}]`,
    );
  }
  const edges = cw.edges ?? tf.ones([lists.length]) as tf.Tensor1D;
  let rows: tf.Tensor;
  if (Array.isArray(cw.ops)) {
    const vectors = cw.ops as readonly tf.Tensor1D[];
    if (vectors.length !== lists.length) {
      throw new Error(
        `DARTS supernet: ${what} must have one vector per edge (${lists.length}), got ${vectors.length}`,
      );
    }
    vectors.forEach((v, e) => {
      if (v.rank !== 1 || v.size !== counts[e]) {
        throw new Error(
          `DARTS supernet: ${what}[${e}] must be a vector of ${counts[e]} weights (${
            lists[e].join(", ")
          }), ` +
            `got shape [${v.shape}]`,
        );
      }
    });
    rows = tf.concat(
      cw.edges ? vectors.map((v, e) => tf.mul(v, tf.slice(edges, e, 1))) : vectors as tf.Tensor1D[],
    );
  } else {
    const m = cw.ops as tf.Tensor2D;
    if (counts.some((n) => n !== counts[0])) {
      throw new Error(
        `DARTS supernet: ${what} is a matrix, but the ${kind} edges have different numbers of ops ` +
          `(${counts.join(", ")}): give one vector per edge`,
      );
    }
    if (m.rank !== 2 || m.shape[0] !== lists.length || m.shape[1] !== counts[0]) {
      throw new Error(
        `DARTS supernet: ${what} must have shape [${lists.length}, ${counts[0]}], got [${m.shape}]`,
      );
    }
    rows = cw.edges ? tf.mul(m, tf.reshape(edges, [-1, 1])) : m;
  }
  const rowStart = counts.map((_, e) => counts.slice(0, e).reduce((a, b) => a + b, 0));
  return { w: tf.reshape(rows, [-1]) as tf.Tensor1D, rowStart, edges };
}

/** ReLU-free DilConv: depthwise conv → fused 1x1 conv + BN of an already activated input. */
function dilConvActivated(p: DilConvParams, r: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return convBn({ conv: p.pointwise, bn: p.bn }, conv(p.depthwise, r), mode);
}

/** What the edges leaving one state share: its op half, ReLU, pooled-and-normalised tensors, bypass. */
interface SourceState {
  /** The channels the ops see: the whole state, or (PC-DARTS) its first C/K channels. */
  x: tf.Tensor4D;
  relu?: tf.Tensor4D;
  pooled: Partial<Record<"max_pool_3x3" | "avg_pool_3x3", tf.Tensor4D>>;
  /** PC-DARTS: the other channels, max-pooled 2x2 when the state's edges have stride 2. */
  bypass?: tf.Tensor4D;
}

function cellForward(
  net: DartsSupernet,
  index: number,
  cell: DartsCellParams,
  s0: tf.Tensor4D,
  s1: tf.Tensor4D,
  weights: FlatWeights,
  mode: Mode,
  noiseSeed: number | undefined,
): tf.Tensor4D {
  const { steps, multiplier, partialChannels: K } = net.options;
  const states = [
    cell.preprocess0.kind === "factorizedReduce"
      ? factorizedReduce(cell.preprocess0.params, s0, mode)
      : reluConvBn(cell.preprocess0.params, s0, mode),
    reluConvBn(cell.preprocess1, s1, mode),
  ];
  const [batch, h, w, c] = states[1].shape;
  const opChannels = c / K;
  const outShape: [number, number, number, number] = cell.reduction
    ? [batch, Math.ceil(h / 2), Math.ceil(w / 2), opChannels]
    : [batch, h, w, opChannels];
  const sources: SourceState[] = [];
  const source = (j: number): SourceState => {
    if (sources[j]) return sources[j];
    const state = states[j];
    if (K === 1) return sources[j] = { x: state, pooled: {} };
    // One split (its gradient is one concat) rather than two slices (two pads and an add).
    const [x, bypass] = splitChannels(state, [opChannels, c - opChannels]);
    return sources[j] = {
      x,
      pooled: {},
      bypass: state.shape[1] === outShape[1] ? bypass : maxPool(bypass, { kernel: 2, stride: 2, padding: 0 }),
    };
  };
  for (let node = 0; node < steps; node++) {
    const terms: MixedTerm[] = [];
    const bypassTerms: MixedTerm[] = [];
    net.edges.forEach((e, k) => {
      if (e.to !== node) return;
      const src = source(e.from);
      const stride = cell.reduction && e.from < 2 ? 2 : 1;
      cell.edges[k].forEach((p, o) => {
        const weight = weights.rowStart[k] + o;
        switch (p.op) {
          case "none":
            return; // contributes zero, its weight gets a zero gradient
          case "noise":
            terms.push({ weight, tensor: noise(outShape, edgeNoiseSeed(noiseSeed, index, k)) });
            return;
          case "max_pool_3x3":
          case "avg_pool_3x3": {
            const pooled = src.pooled[p.op] ??= batchNorm(
              cell.poolBn[e.from][p.op]!,
              p.op === "max_pool_3x3"
                ? maxPool(src.x, { stride })
                : avgPool(src.x, { kernel: 3, stride, padding: 1 }),
              mode,
            );
            terms.push({ weight, tensor: pooled });
            return;
          }
          case "skip_connect":
            terms.push({
              weight,
              tensor: p.reduce ? factorizedReduceActivated(p.reduce, src.relu ??= relu(src.x), mode) : src.x,
            });
            return;
          case "sep_conv_3x3":
          case "sep_conv_5x5": {
            const half = dilConvActivated(p.sepConv.a, src.relu ??= relu(src.x), mode);
            terms.push({ weight, tensor: dilConvActivated(p.sepConv.b, relu(half), mode) });
            return;
          }
          case "dil_conv_3x3":
          case "dil_conv_5x5":
            terms.push({ weight, tensor: dilConvActivated(p.dilConv, src.relu ??= relu(src.x), mode) });
        }
      });
      if (src.bypass) bypassTerms.push({ weight: k, tensor: src.bypass });
    });
    const mixed = mixedSum(weights.w, terms, outShape);
    // PC-DARTS: Σ_e E_e · shuffle([y_e, bypass_e]) = shuffle([Σ_e E_e y_e, Σ_e E_e bypass_e]) (both linear).
    states.push(
      K === 1 ? mixed : concatChannels([mixed, mixedSum(weights.edges, bypassTerms, outShape)], K),
    );
  }
  return concatChannels(states.slice(states.length - multiplier));
}

function edgeNoiseSeed(noiseSeed: number | undefined, cell: number, edge: number): number {
  if (noiseSeed === undefined) {
    throw new Error(
      `DARTS supernet: cell ${cell} edge ${edge} has a noise op: pass options.noiseSeed to dartsForward ` +
        `(e.g. derived from the run's seed, epoch and step) so that its draws are reproducible`,
    );
  }
  return nameSeed(noiseSeed, `cells.${cell}.edges.${edge}.noise`);
}

/**
 * Logits of the search network for an NHWC batch `x` (height and width divisible by 2 per reduction),
 * with `weights` mixing the ops (and optionally the edges) of each cell type. In train mode BN uses batch
 * statistics and updates its running ones.
 */
export function dartsForward(
  net: DartsSupernet,
  x: tf.Tensor4D,
  weights: DartsWeights,
  mode: Mode,
  options: DartsForwardOptions = {},
): tf.Tensor2D {
  const o = net.options;
  if (x.rank !== 4 || x.shape[3] !== o.inputChannels) {
    throw new Error(`DARTS supernet: input must be NHWC with ${o.inputChannels} channels, got [${x.shape}]`);
  }
  const factor = 2 ** reductionCells(o.layers).length;
  if (x.shape[1] % factor !== 0 || x.shape[2] % factor !== 0) {
    throw new Error(
      `DARTS supernet: input height and width must be divisible by ${factor} (2 per reduction cell: ` +
        `FactorizedReduce halves even sizes only), got ${x.shape[1]}x${x.shape[2]}: crop or pad the input`,
    );
  }
  if (weights === undefined || typeof weights !== "object") {
    throw new Error(`DARTS supernet: weights must be { normal: { ops, edges? }, reduce: { ops, edges? } }`);
  }
  return tf.tidy(() => {
    const flat = {
      normal: flatWeights("normal", weights.normal, o.ops.normal),
      reduce: flatWeights("reduce", weights.reduce, o.ops.reduce),
    };
    const stem = batchNorm(net.stem.bn, conv(net.stem.conv, x), mode);
    let [s0, s1] = [stem, stem];
    net.cells.forEach((cell, i) => {
      const { w, rowStart, edges } = cell.reduction ? flat.reduce : flat.normal;
      const run = ([a, b, cw, ce]: tf.Tensor[]) =>
        cellForward(
          net,
          i,
          cell,
          a as tf.Tensor4D,
          b as tf.Tensor4D,
          {
            w: cw as tf.Tensor1D,
            rowStart,
            edges: ce as tf.Tensor1D,
          },
          mode,
          options.noiseSeed,
        );
      const inputs = [s0, s1, w, edges];
      const out = o.recompute && mode === "train" ? recomputed(run, inputs, cell.variables) : run(inputs);
      [s0, s1] = [s1, out as tf.Tensor4D];
    });
    return linear(net.classifier, tf.mean(s1, [1, 2]) as tf.Tensor2D);
  });
}
