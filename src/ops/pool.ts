/**
 * 3x3 pooling with PyTorch's symmetric padding. Average pooling excludes the padded zeros from the
 * count (count_include_pad = False, as NB201 and DARTS use it); max pooling pads with −∞.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

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

/** Average pooling, count_include_pad = False. */
export function avgPool(x: tf.Tensor4D, o: PoolOptions = {}): tf.Tensor4D {
  const [k, s, p] = resolve(o);
  return tf.avgPool(x, k, s, p);
}

/** Max pooling. */
export function maxPool(x: tf.Tensor4D, o: PoolOptions = {}): tf.Tensor4D {
  const [k, s, p] = resolve(o);
  return tf.maxPool(x, k, s, p);
}
