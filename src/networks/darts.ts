/**
 * The DARTS space's evaluation networks, built from a genotype and trained from scratch (quark0/darts
 * `cnn/model.py`, SPECS §2.5): `NetworkCIFAR` (stem Conv 3x3 → BN with 3C channels, `layers` cells with
 * reductions at ⌊layers/3⌋ and ⌊2·layers/3⌋, global average pool → linear) and `NetworkImageNet` (DARTS'
 * mobile setting: two stride-2 stems, 14 cells, C = 48). A cell applies its genotype's 8 ops (affine BN;
 * pooling without BN; stride 2 on the cell inputs of a reduction cell), each node summing two of them,
 * with drop path on every op output except identities; the auxiliary head reads the output of cell
 * ⌊2·layers/3⌋ in training.
 *
 * `dartsNetworkSize` counts what DARTS' `utils.count_parameters_in_MB` counts (every parameter outside
 * the auxiliary head; BN running statistics are buffers, not parameters) and the multiply-adds of the
 * convolutions and the classifier per image (BN, pooling, ReLU and additions are not counted: the
 * convention of the DARTS papers' "mult-adds").
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { relu } from "../ops/activation.ts";
import { batchNorm, type BatchNormParams, batchNormParams } from "../ops/batchNorm.ts";
import {
  conv,
  type ConvParams,
  convParams,
  reluConvBn,
  type ReluConvBnParams,
  reluConvBnParams,
} from "../ops/conv.ts";
import {
  dartsOp,
  type DartsOpParams,
  dartsOpParams,
  factorizedReduce,
  type FactorizedReduceParams,
  factorizedReduceParams,
  noise,
} from "../ops/darts.ts";
import { concatChannels } from "../ops/channels.ts";
import { linear, type LinearParams, linearParams } from "../ops/linear.ts";
import { type Mode, nameSeed, ParamStore } from "../ops/params.ts";
import { avgPool } from "../ops/pool.ts";
import { recomputed } from "../ops/recompute.ts";
import { checkDartsGenotype, type DartsGenotype } from "../spaces/darts.ts";
import { reductionCells } from "../supernet/darts.ts";

/** Shape of an evaluation network (defaults: DARTS' CIFAR-10 evaluation, `cnn/train.py`). */
export interface DartsNetworkOptions {
  /** "cifar" (32×32 inputs, default) or "imagenet" (224×224, DARTS' mobile setting). */
  dataset?: "cifar" | "imagenet";
  /** C, the node channels of the first cells (default 36; ImageNet 48); doubles at each reduction. */
  channels?: number;
  /** Cells (default 20; ImageNet 14). */
  layers?: number;
  /** Classes (default 10; ImageNet 1000). */
  numClasses?: number;
  /** Build the auxiliary head on cell ⌊2·layers/3⌋'s output (default true). */
  auxiliary?: boolean;
  /**
   * Recompute each cell in the backward pass instead of keeping its activations (default false): the
   * paper-size network (C = 36, 20 cells, batch 96) stores more than wasm32's 4 GiB otherwise. Gradients
   * equal the stored pass's to rounding.
   */
  recompute?: boolean;
}

/** One op of a cell, as the genotype names it, with the state it reads. */
export interface DartsNetworkOp {
  /** The genotype's op; `noise` (RobustDARTS' S4) has no parameters. */
  op: string;
  /** The state it reads: 0 = c_{k−2}, 1 = c_{k−1}, 2.. = the cell's nodes. */
  input: number;
  stride: number;
  /** Its parameters (undefined for noise). */
  params?: DartsOpParams;
}

/** The weights of one cell of an evaluation network. */
export interface DartsNetworkCell {
  reduction: boolean;
  channels: number;
  preprocess0: { kind: "factorizedReduce"; params: FactorizedReduceParams } | {
    kind: "reluConvBn";
    params: ReluConvBnParams;
  };
  preprocess1: ReluConvBnParams;
  /** Two ops per node, in genotype order. */
  ops: DartsNetworkOp[];
  /** The states the cell's output concatenates. */
  concat: readonly number[];
  /** The cell's trainable variables (what a recomputed cell is differentiated in). */
  variables: readonly tf.Variable[];
}

/** A conv → BN pair of a stem or head. */
interface ConvBnLayer {
  conv: ConvParams;
  bn?: BatchNormParams;
  /** ReLU before the conv. */
  reluBefore: boolean;
}

/** An evaluation network: its options, genotype, variables and layers. */
export interface DartsNetwork {
  readonly options: Readonly<Required<DartsNetworkOptions>>;
  readonly genotype: DartsGenotype;
  readonly store: ParamStore;
  /** CIFAR: one conv → BN; ImageNet: stem0 (two convs) then stem1 (one), each stride 2. */
  readonly stems: readonly (readonly ConvBnLayer[])[];
  readonly cells: readonly DartsNetworkCell[];
  /** The index of the cell whose output feeds the auxiliary head. */
  readonly auxiliaryCell: number;
  readonly auxiliary?: {
    /** AvgPool 5×5 (stride 3 on CIFAR, 2 on ImageNet), then these convs, then the classifier. */
    poolStride: number;
    layers: readonly ConvBnLayer[];
    classifier: LinearParams;
  };
  readonly classifier: LinearParams;
}

/** Every BN of an evaluation network: affine, as one fused kernel pair (a new network: no records to keep). */
const FUSED = { fusedAffine: true } as const;

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`DARTS network: ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

function convBnLayer(
  store: ParamStore,
  name: string,
  o: { cin: number; cout: number; kernel: number; stride?: number; padding?: number },
  reluBefore: boolean,
  withBn = true,
): ConvBnLayer {
  return {
    conv: convParams(store, `${name}.conv`, o),
    bn: withBn ? batchNormParams(store, `${name}.bn`, o.cout, FUSED) : undefined,
    reluBefore,
  };
}

function applyLayer(l: ConvBnLayer, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => {
    const y = conv(l.conv, l.reluBefore ? relu(x) : x);
    return l.bn ? batchNorm(l.bn, y, mode) : y;
  });
}

/**
 * Create the evaluation network of `genotype` in `store` (names like `cells.3.ops.5.sep_conv_3x3.a.…`,
 * the auxiliary head under `auxiliary.`). Every BN is affine; pooling ops have no BN. Throws, naming the
 * problem, on a genotype that is not one (`checkDartsGenotype`) and on impossible sizes.
 */
export function createDartsNetwork(
  store: ParamStore,
  genotype: DartsGenotype,
  options: DartsNetworkOptions = {},
): DartsNetwork {
  const g = checkDartsGenotype(genotype, {}, "DARTS network");
  const dataset = options.dataset ?? "cifar";
  if (dataset !== "cifar" && dataset !== "imagenet") {
    throw new Error(`DARTS network: dataset must be "cifar" or "imagenet", got ${JSON.stringify(dataset)}`);
  }
  const imagenet = dataset === "imagenet";
  const o: Required<DartsNetworkOptions> = {
    dataset,
    channels: positiveInt("channels", options.channels ?? (imagenet ? 48 : 36)),
    layers: positiveInt("layers", options.layers ?? (imagenet ? 14 : 20)),
    numClasses: positiveInt("numClasses", options.numClasses ?? (imagenet ? 1000 : 10)),
    auxiliary: options.auxiliary ?? true,
    recompute: options.recompute ?? false,
  };
  const C = o.channels;
  if (imagenet && C % 2 !== 0) {
    throw new Error(`DARTS network: the ImageNet stem halves C, so channels must be even, got ${C}`);
  }
  const stems: ConvBnLayer[][] = imagenet
    ? [
      [
        convBnLayer(store, "stem0.0", { cin: 3, cout: C / 2, kernel: 3, stride: 2, padding: 1 }, false),
        convBnLayer(store, "stem0.1", { cin: C / 2, cout: C, kernel: 3, stride: 2, padding: 1 }, true),
      ],
      [convBnLayer(store, "stem1", { cin: C, cout: C, kernel: 3, stride: 2, padding: 1 }, true)],
    ]
    : [[convBnLayer(store, "stem", { cin: 3, cout: 3 * C, kernel: 3, padding: 1 }, false)]];
  const reductions = reductionCells(o.layers);
  const auxiliaryCell = Math.floor((2 * o.layers) / 3);
  // CIFAR: both cell inputs are the stem (3C); ImageNet: stem0 (C) and stem1 (C, already reduced).
  let [cPrevPrev, cPrev, c] = imagenet ? [C, C, C] : [3 * C, 3 * C, C];
  let reductionPrev = imagenet;
  let auxChannels = 0;
  const cells: DartsNetworkCell[] = [];
  for (let i = 0; i < o.layers; i++) {
    const name = `cells.${i}`;
    const firstVariable = store.trainable.length;
    const reduction = reductions.includes(i);
    if (reduction) c *= 2;
    const genes = reduction ? g.reduce : g.normal;
    const concat = reduction ? g.reduceConcat : g.normalConcat;
    const preprocess0: DartsNetworkCell["preprocess0"] = reductionPrev
      ? {
        kind: "factorizedReduce",
        params: factorizedReduceParams(store, `${name}.preprocess0`, { cin: cPrevPrev, cout: c, bn: FUSED }),
      }
      : {
        kind: "reluConvBn",
        params: reluConvBnParams(store, `${name}.preprocess0`, {
          cin: cPrevPrev,
          cout: c,
          kernel: 1,
          bn: FUSED,
        }),
      };
    const preprocess1 = reluConvBnParams(store, `${name}.preprocess1`, {
      cin: cPrev,
      cout: c,
      kernel: 1,
      bn: FUSED,
    });
    const ops = genes.map(([op, input], k): DartsNetworkOp => {
      const stride = reduction && input < 2 ? 2 : 1;
      if (op === "noise") return { op, input, stride };
      const params = dartsOpParams(store, `${name}.ops.${k}.${op}`, op, {
        channels: c,
        stride,
        affine: true,
        fusedAffine: true,
      });
      return { op, input, stride, params };
    });
    cells.push({
      reduction,
      channels: c,
      preprocess0,
      preprocess1,
      ops,
      concat,
      variables: store.trainable.slice(firstVariable),
    });
    reductionPrev = reduction;
    [cPrevPrev, cPrev] = [cPrev, concat.length * c];
    if (i === auxiliaryCell) auxChannels = cPrev;
  }
  const auxiliary = o.auxiliary
    ? {
      poolStride: imagenet ? 2 : 3,
      layers: [
        convBnLayer(store, "auxiliary.0", { cin: auxChannels, cout: 128, kernel: 1 }, false),
        // DARTS' ImageNet head has no BN after its second conv (model.py: "omitted … due to a typo").
        convBnLayer(store, "auxiliary.1", { cin: 128, cout: 768, kernel: 2, padding: 0 }, false, !imagenet),
      ],
      classifier: linearParams(store, "auxiliary.classifier", 768, o.numClasses),
    }
    : undefined;
  const classifier = linearParams(store, "classifier", cPrev, o.numClasses);
  return { options: o, genotype: g, store, stems, cells, auxiliaryCell, auxiliary, classifier };
}

/** Drop path of a training pass: each op's output zeroed per image with probability `prob`. */
export interface DropPath {
  /** The probability of dropping an op's output for one image (DARTS: 0.2 · epoch / epochs). */
  prob: number;
  /** Seed of this pass's masks (each op draws from it with its cell and position). */
  seed: number;
}

/** Options of {@link dartsNetwork}. */
export interface DartsNetworkRunOptions {
  /** "train" (batch statistics, running statistics updated, drop path, auxiliary logits) or "eval". */
  mode: Mode;
  /** Drop path in train mode (default none). */
  dropPath?: DropPath;
  /**
   * Seed of this pass's noise ops (RobustDARTS' S4 genotypes draw fresh N(0, 1) noise on every forward;
   * required when the genotype has one): e.g. derived from the run's seed, epoch and step.
   */
  noiseSeed?: number;
}

/** What a pass returns: the logits, and in train mode with an auxiliary head its logits too. */
export interface DartsNetworkOutput {
  logits: tf.Tensor2D;
  auxLogits?: tf.Tensor2D;
}

/** torch's drop_path: x / keep · Bernoulli(keep) per image (each image's output kept whole or zeroed). */
export function dropPath(x: tf.Tensor4D, prob: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const keep = 1 - prob;
    const mask = tf.floor(tf.add(tf.randomUniform([x.shape[0], 1, 1, 1], 0, 1, "float32", seed), keep));
    return tf.mul(x, tf.div(mask, keep));
  });
}

function runCell(
  cell: DartsNetworkCell,
  index: number,
  s0: tf.Tensor4D,
  s1: tf.Tensor4D,
  o: DartsNetworkRunOptions,
): tf.Tensor4D {
  const { mode } = o;
  const p0 = cell.preprocess0.kind === "factorizedReduce"
    ? factorizedReduce(cell.preprocess0.params, s0, mode)
    : reluConvBn(cell.preprocess0.params, s0, mode);
  const states = [p0, reluConvBn(cell.preprocess1, s1, mode)];
  const drop = mode === "train" && o.dropPath && o.dropPath.prob > 0 ? o.dropPath : undefined;
  for (let node = 0; node < cell.ops.length / 2; node++) {
    const outs = [0, 1].map((j) => {
      const k = 2 * node + j;
      const { op, input, stride, params } = cell.ops[k];
      const x = states[input];
      let y: tf.Tensor4D;
      if (!params) {
        if (o.noiseSeed === undefined) {
          throw new Error(
            `DARTS network: cell ${index} has a noise op (pair ${k}): pass noiseSeed (e.g. derived from the run's ` +
              `seed, epoch and step) so that its draws are fresh each pass and reproducible`,
          );
        }
        const [n, h, w, ch] = x.shape;
        y = noise(
          [n, Math.ceil(h / stride), Math.ceil(w / stride), ch],
          nameSeed(o.noiseSeed, `${index}.${k}`),
        );
      } else y = dartsOp(params, x, mode);
      // Every op but an identity (stride-1 skip_connect) is dropped, as model.py; noise too (RobustDARTS).
      const identity = op === "skip_connect" && stride === 1;
      return drop && !identity ? dropPath(y, drop.prob, nameSeed(drop.seed, `${index}.${k}`)) : y;
    });
    states.push(tf.add(outs[0], outs[1]));
  }
  return concatChannels(cell.concat.map((s) => states[s]));
}

/**
 * One pass of `net` over an NHWC batch (CIFAR: 32×32, or any size whose reductions stay even: a multiple of 4;
 * ImageNet: 224×224): the logits,
 * and the auxiliary head's in train mode. Call inside `tf.tidy` or dispose the outputs.
 */
export function dartsNetwork(
  net: DartsNetwork,
  x: tf.Tensor4D,
  o: DartsNetworkRunOptions,
): DartsNetworkOutput {
  const { mode } = o;
  const stemOut = net.stems.map(() => undefined as tf.Tensor4D | undefined);
  let input = x;
  net.stems.forEach((layers, i) => {
    input = layers.reduce((h, l) => applyLayer(l, h, mode), input);
    stemOut[i] = input;
  });
  let [s0, s1] = net.stems.length === 1 ? [stemOut[0]!, stemOut[0]!] : [stemOut[0]!, stemOut[1]!];
  let auxLogits: tf.Tensor2D | undefined;
  net.cells.forEach((cell, i) => {
    const run = ([a, b]: tf.Tensor[]) => runCell(cell, i, a as tf.Tensor4D, b as tf.Tensor4D, o);
    const out = (net.options.recompute && mode === "train"
      ? recomputed(run, [s0, s1], cell.variables)
      : run([s0, s1])) as tf.Tensor4D;
    [s0, s1] = [s1, out];
    if (i === net.auxiliaryCell && net.auxiliary && mode === "train") {
      const a = net.auxiliary;
      const pooled = avgPool(relu(out), { kernel: 5, stride: a.poolStride, padding: 0 });
      // ReLU → pool, then (conv → BN → ReLU) twice.
      const h = a.layers.reduce((t, l) =>
        relu(applyLayer(l, t, mode)), pooled);
      auxLogits = linear(a.classifier, tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D);
    }
  });
  const logits = linear(net.classifier, tf.mean(s1, [1, 2]) as tf.Tensor2D);
  return { logits, auxLogits };
}

/**
 * Refuse input sizes the auxiliary head cannot take: DARTS' head pools the maps of cell ⌊2·layers/3⌋ with a
 * 5×5 window (stride 3 on CIFAR, 2 on ImageNet) to exactly 2×2 for its 2×2 conv, so those maps must be 8–10
 * pixels (CIFAR: 32×32 inputs) or 7–8 (ImageNet: 224×224). Without a head, any size passes.
 */
export function checkAuxiliaryInput(net: DartsNetwork, height: number, width: number): void {
  if (!net.auxiliary) return;
  let [h, w] = [height, width];
  const imagenet = net.options.dataset === "imagenet";
  if (imagenet) [h, w] = [Math.ceil(h / 8), Math.ceil(w / 8)];
  for (let i = 0; i <= net.auxiliaryCell; i++) {
    if (net.cells[i].reduction) [h, w] = [Math.ceil(h / 2), Math.ceil(w / 2)];
  }
  const stride = net.auxiliary.poolStride;
  const pooled = (m: number) => Math.floor((m - 5) / stride) + 1;
  if (pooled(h) !== 2 || pooled(w) !== 2) {
    const fits = imagenet ? "7–8" : "8–10";
    throw new Error(
      `the auxiliary head needs ${fits}-pixel maps at cell ${net.auxiliaryCell} (${
        imagenet ? "224x224" : "32x32"
      } ` +
        `inputs), but ${height}x${width} inputs give ${h}x${w} there: turn it off (--no-auxiliary, ` +
        `model.auxiliary: false) or train on ${imagenet ? "224x224" : "32x32"} images`,
    );
  }
}

/** Parameters and multiply-adds of a network, as DARTS reports them. */
export interface DartsNetworkSize {
  /** Parameters outside the auxiliary head (DARTS' "param size"). */
  parameters: number;
  /** Parameters of the auxiliary head. */
  auxiliaryParameters: number;
  /** Multiply-adds of one image's inference pass (convolutions and the classifier; no auxiliary head). */
  multiplyAdds: number;
}

/** Output size of a conv along one axis (torch's formula). */
function convOut(size: number, p: ConvParams, kernel: number): number {
  return Math.floor((size + 2 * p.padding - p.dilation * (kernel - 1) - 1) / p.stride) + 1;
}

/** Multiply-adds of `p` on an h×w input and its output size: output pixels × filter size. */
function convCost(p: ConvParams, h: number, w: number): { macs: number; h: number; w: number } {
  const k = p.filter.shape[0];
  const [oh, ow] = [convOut(h, p, k), convOut(w, p, k)];
  return { macs: oh * ow * p.filter.size, h: oh, w: ow };
}

function opCost(p: DartsOpParams, h: number, w: number): number {
  const chain = (convs: ConvParams[]) => {
    let [macs, ch, cw] = [0, h, w];
    for (const c of convs) {
      const r = convCost(c, ch, cw);
      [macs, ch, cw] = [macs + r.macs, r.h, r.w];
    }
    return macs;
  };
  switch (p.op) {
    case "sep_conv_3x3":
    case "sep_conv_5x5": {
      const { a, b } = p.sepConv;
      return chain([a.depthwise, a.pointwise, b.depthwise, b.pointwise]);
    }
    case "dil_conv_3x3":
    case "dil_conv_5x5":
      return chain([p.dilConv.depthwise, p.dilConv.pointwise]);
    case "skip_connect":
      return p.reduce ? convCost(p.reduce.a, h, w).macs + convCost(p.reduce.b, h, w).macs : 0;
    default:
      return 0;
  }
}

/**
 * Parameters (in DARTS' convention) and multiply-adds per image of `net` at `height` × `width` inputs
 * (default 32×32 for CIFAR, 224×224 for ImageNet).
 */
export function dartsNetworkSize(net: DartsNetwork, height?: number, width?: number): DartsNetworkSize {
  const imagenet = net.options.dataset === "imagenet";
  let h = height ?? (imagenet ? 224 : 32);
  let w = width ?? h;
  checkAuxiliaryInput(net, h, w);
  let macs = 0;
  const sizes: [number, number][] = [];
  for (const layers of net.stems) {
    for (const l of layers) {
      const r = convCost(l.conv, h, w);
      [macs, h, w] = [macs + r.macs, r.h, r.w];
    }
    sizes.push([h, w]);
  }
  let [r0, r1] = sizes.length === 1 ? [sizes[0], sizes[0]] : [sizes[0], sizes[1]];
  for (const cell of net.cells) {
    // Both preprocessed inputs come out at the size of s1.
    const pre0 = cell.preprocess0;
    macs += pre0.kind === "factorizedReduce"
      ? convCost(pre0.params.a, ...r0).macs + convCost(pre0.params.b, ...r0).macs
      : convCost(pre0.params.conv, ...r0).macs;
    macs += convCost(cell.preprocess1.conv, ...r1).macs;
    const out: [number, number] = cell.reduction ? [Math.ceil(r1[0] / 2), Math.ceil(r1[1] / 2)] : r1;
    // The cell inputs are at s1's size; its nodes at the output's (a reduction cell halves on its inputs).
    for (const op of cell.ops) if (op.params) macs += opCost(op.params, ...(op.input < 2 ? r1 : out));
    [r0, r1] = [r1, out];
  }
  macs += net.classifier.kernel.size;
  let parameters = 0, auxiliaryParameters = 0;
  for (const [name, v] of net.store.entries()) {
    if (!v.trainable) continue;
    if (name.startsWith("auxiliary.")) auxiliaryParameters += v.size;
    else parameters += v.size;
  }
  return { parameters, auxiliaryParameters, multiplyAdds: macs };
}

/**
 * The size of `genotype`'s network without keeping it: built in a throwaway store, measured, freed.
 * What `deno task train --dry-run` prints.
 */
export function measureDartsNetwork(
  genotype: DartsGenotype,
  options: DartsNetworkOptions = {},
  height?: number,
  width?: number,
): DartsNetworkSize {
  const store = new ParamStore(0);
  try {
    return dartsNetworkSize(createDartsNetwork(store, genotype, options), height, width);
  } finally {
    store.dispose();
  }
}
