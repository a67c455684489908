/**
 * Convolutions with PyTorch's parameterisation (kernel, stride, symmetric padding, dilation, groups of
 * 1 or depthwise), and ReLU → Conv → BN, the building block of every search space.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { conv2dGradConfig } from "../backend/kernels/convGradients.ts";
import { convolve } from "../backend/kernels/convolve.ts";
import { jsKernelsActive } from "../backend/kernels/jsKernel.ts";
import { relu } from "./activation.ts";
import {
  batchNorm,
  type BatchNormOptions,
  type BatchNormParams,
  batchNormParams,
  batchStatsBackward,
  batchStatsForward,
} from "./batchNorm.ts";
import { weightGradientsWanted } from "./gradientScope.ts";
import { type Mode, type ParamStore, torchDefault } from "./params.ts";

/** Shape of a convolution, as torch.nn.Conv2d is given it. */
export interface ConvOptions {
  cin: number;
  cout: number;
  kernel: number;
  stride?: number;
  /** Symmetric zero padding on each side (default (kernel − 1)/2 · dilation: "same" for odd kernels). */
  padding?: number;
  dilation?: number;
  /** Depthwise (groups = cin, cout = cin · multiplier) instead of dense. */
  depthwise?: boolean;
  bias?: boolean;
}

/** The variables and shape of a convolution. */
export interface ConvParams {
  filter: tf.Variable;
  bias?: tf.Variable;
  stride: number;
  padding: number;
  dilation: number;
  depthwise: boolean;
}

/** Create a convolution's filter ([k, k, cin, cout], or [k, k, cin, multiplier] when depthwise) and bias. */
export function convParams(store: ParamStore, name: string, o: ConvOptions): ConvParams {
  const { cin, cout, kernel, stride = 1, dilation = 1, depthwise = false, bias = false } = o;
  const padding = o.padding ?? ((kernel - 1) / 2) * dilation;
  if (![cin, cout, kernel, stride, dilation].every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`conv "${name}": cin, cout, kernel, stride and dilation must be positive integers`);
  }
  if (!Number.isInteger(padding) || padding < 0) {
    throw new Error(`conv "${name}": padding must be an integer >= 0`);
  }
  if (depthwise && cout % cin !== 0) {
    throw new Error(`conv "${name}": depthwise needs cout to be a multiple of cin`);
  }
  const fanIn = (depthwise ? 1 : cin) * kernel * kernel;
  const shape = [kernel, kernel, cin, depthwise ? cout / cin : cout];
  return {
    filter: store.param(`${name}.filter`, shape, torchDefault(fanIn)),
    bias: bias ? store.param(`${name}.bias`, [cout], torchDefault(fanIn)) : undefined,
    stride,
    padding,
    dilation,
    depthwise,
  };
}

/** Throw a readable error when `x` cannot go through the convolution `p`. */
export function checkConvInput(p: ConvParams, x: tf.Tensor4D): void {
  const cin = p.filter.shape[2];
  if (x.rank !== 4 || x.shape[3] !== cin) {
    throw new Error(`conv: expects an NHWC batch with ${cin} channels, got shape [${x.shape}]`);
  }
  const k = (p.filter.shape[0] - 1) * p.dilation + 1;
  if (x.shape[1] + 2 * p.padding < k || x.shape[2] + 2 * p.padding < k) {
    throw new Error(
      `conv: a ${x.shape[1]}x${x.shape[2]} input is smaller than the ${k}x${k} kernel (padding ${p.padding})`,
    );
  }
}

/** Apply a convolution to an NHWC batch. */
export function conv(p: ConvParams, x: tf.Tensor4D): tf.Tensor4D {
  checkConvInput(p, x);
  const y = convolve(x, p.filter as tf.Tensor4D, {
    strides: p.stride,
    padding: p.padding,
    dilations: p.dilation,
    depthwise: p.depthwise,
  });
  return p.bias ? tf.add(y, p.bias) : y;
}

/** Options of ReLU → Conv → BN. */
export interface ReluConvBnOptions extends ConvOptions {
  bn?: BatchNormOptions;
}

/** The variables of ReLU → Conv → BN. */
export interface ReluConvBnParams {
  conv: ConvParams;
  bn: BatchNormParams;
}

/** Create ReLU → Conv → BN (torch's ReLUConvBN; NB201's nor_conv with `bias: true` during search). */
export function reluConvBnParams(store: ParamStore, name: string, o: ReluConvBnOptions): ReluConvBnParams {
  return {
    conv: convParams(store, `${name}.conv`, o),
    bn: batchNormParams(store, `${name}.bn`, o.cout, o.bn),
  };
}

/** ReLU → Conv → BN. */
export function reluConvBn(p: ReluConvBnParams, x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  return tf.tidy(() => convBn(p, relu(x), mode));
}

/**
 * Conv → BN of an already activated input. In train mode with batch statistics and no affine BN (every
 * search-cell conv), on backends with fused kernels, it is one op whose tape keeps only its input and
 * output: the conv output never outlives the forward pass, which halves a supernet's memory. The conv
 * bias is exactly cancelled by BN: it is not added to the tensor, only to the mean the running estimate
 * sees, and its gradient is exactly zero (PyTorch computes ~0). Filter gradients are skipped (zeros)
 * inside `withoutWeightGradients` (./gradientScope.ts).
 */
export function convBn(p: ReluConvBnParams, r: tf.Tensor4D, mode: Mode): tf.Tensor4D {
  const fusable = mode === "train" && !p.conv.depthwise && p.conv.dilation === 1 && !p.bn.gamma &&
    jsKernelsActive();
  if (!fusable) return tf.tidy(() => batchNorm(p.bn, conv(p.conv, r), mode));
  checkConvInput(p.conv, r);
  const { filter, bias, stride, padding } = p.conv;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [padding, padding],
    [padding, padding],
    [0, 0],
  ];
  const attrs = { strides: stride, pad, dilations: 1, dataFormat: "NHWC" };
  const running = p.bn.runningMean && p.bn.runningVar
    ? { mean: p.bn.runningMean, variance: p.bn.runningVar, momentum: p.bn.momentum }
    : undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, f, b] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor | undefined];
    const [xhat, invStd] = batchStatsForward(tf.conv2d(x, f, stride, pad), p.bn.eps, running, b);
    save([x, f, xhat, invStd]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor, [xs, fs, xh, inv]: tf.Tensor[]) => {
        const dConv = batchStatsBackward(dy, xh, inv) as tf.Tensor4D;
        const grads = conv2dGradConfig.gradFunc(dConv, [xs, fs], attrs) as Record<string, () => tf.Tensor>;
        const df = weightGradientsWanted() ? grads.filter() : tf.zerosLike(fs);
        return b ? [grads.x(), df, tf.zerosLike(b)] : [grads.x(), df];
      },
    };
  });
  return (bias ? op(r, filter, bias) : op(r, filter)) as tf.Tensor4D;
}
