/**
 * 3x3 pooling with PyTorch's symmetric padding. Average pooling excludes the padded zeros from the
 * count (count_include_pad = False, as NB201 and DARTS use it); max pooling pads with −∞.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { convolve } from "../backend/kernels/convolve.ts";
import { jsKernelsActive, runJsKernel } from "../backend/kernels/jsKernel.ts";
import { avgPool3Kernel, maxPoolGradKernel } from "../backend/kernels/poolKernels.ts";

/** Window size, stride and symmetric padding of a pooling layer. */
export interface PoolOptions {
  kernel?: number;
  stride?: number;
  /** Default (kernel − 1)/2. */
  padding?: number;
}

function resolve(o: PoolOptions): [number, number, number] {
  const { kernel = 3, stride = 1 } = o;
  return [kernel, stride, o.padding ?? (kernel - 1) / 2];
}

/** Constant tensors by key and backend, kept across steps (created once per shape). */
const constants = new Map<string, tf.Tensor>();
function cachedConstant<T extends tf.Tensor>(key: string, make: () => T): T {
  const k = `${tf.getBackend()}:${key}`;
  let t = constants.get(k);
  if (!t) constants.set(k, t = tf.keep(tf.tidy(make)));
  return t as T;
}

/**
 * Average pooling, count_include_pad = False: a depthwise convolution with a filter of ones, times
 * 1 / (number of valid pixels in each window). Same values as tf.avgPool, but its gradient is a
 * depthwise convolution too, where wasm's AvgPoolGrad kernel is ~10x slower.
 */
export function avgPool(x: tf.Tensor4D, o: PoolOptions = {}): tf.Tensor4D {
  const [k, s, p] = resolve(o);
  if (k === 3 && s === 1 && p === 1 && jsKernelsActive()) {
    // NB201's avg_pool_3x3: one fused kernel each way (the pooling is linear: nothing to save).
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: runJsKernel(avgPool3Kernel, [args[0] as tf.Tensor], { pre: false })[0],
      gradFunc: (dy: tf.Tensor) => runJsKernel(avgPool3Kernel, [dy], { pre: true })[0],
    }));
    return op(x) as tf.Tensor4D;
  }
  const [, h, w, c] = x.shape;
  const ones = cachedConstant(`ones:${k}:${c}`, () => tf.ones([k, k, c, 1]) as tf.Tensor4D);
  const inverseCount = cachedConstant(`count:${h}:${w}:${k}:${s}:${p}`, () => {
    const count = convolve(tf.ones([1, h, w, 1]), tf.ones([k, k, 1, 1]), {
      strides: s,
      padding: p,
      depthwise: true,
    });
    return tf.reciprocal(count) as tf.Tensor4D;
  });
  return tf.tidy(() => tf.mul(convolve(x, ones, { strides: s, padding: p, depthwise: true }), inverseCount));
}

/**
 * Max pooling. On wasm and cpu its gradient is our kernel: tfjs-backend-wasm's MaxPoolGrad starts its
 * search at the smallest positive float instead of −∞, so windows of values ≤ 0 route the gradient to
 * the wrong pixel (see ../backend/kernels/poolKernels.ts).
 */
export function maxPool(x: tf.Tensor4D, o: PoolOptions = {}): tf.Tensor4D {
  const [kernel, stride, padding] = resolve(o);
  if (!jsKernelsActive()) return tf.maxPool(x, kernel, stride, padding);
  const attrs = { kernel, stride, padding };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.maxPool(input, kernel, stride, padding),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) =>
        runJsKernel(maxPoolGradKernel, [dy, saved], attrs)[0],
    };
  });
  return op(x) as tf.Tensor4D;
}
