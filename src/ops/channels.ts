/**
 * Concatenating and splitting along channels (NHWC), with PC-DARTS' channel shuffle folded into the
 * concatenation. On wasm and cpu one pass each way (../backend/kernels/channelKernels.ts); elsewhere
 * `tf.concat`, `tf.split` and a transpose.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { channelConcatKernel, channelSplitKernel } from "../backend/kernels/channelKernels.ts";
import { jsKernelsActive, runJsKernel } from "../backend/kernels/jsKernel.ts";
import { channelShuffle } from "./darts.ts";

let gradientsRegistered = false;
function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: channelConcatKernel.name,
    gradFunc: (dy, _saved, attrs) => {
      const { groups, sizes } = attrs as unknown as { groups: number; sizes: number[] };
      const part = (i: number) =>
        runJsKernel(channelSplitKernel, [dy as tf.Tensor], { sizes, groups, part: i })[0];
      return Object.fromEntries(sizes.map((_, i) => [`in${i}`, () => part(i)]));
    },
  });
  tf.registerGradient({
    kernelName: channelSplitKernel.name,
    gradFunc: (dys, _saved, attrs) => {
      const { groups } = attrs as unknown as { groups: number };
      const parts = dys as tf.Tensor[];
      const sizes = parts.map((t) => t.shape[3] as number);
      return { in0: () => runJsKernel(channelConcatKernel, parts, { groups, sizes })[0] };
    },
  });
}

/**
 * channel_shuffle(concat(xs, channels), groups): PC-DARTS merges a node's mixed channels and bypassed
 * channels this way (`groups` = K); groups 1 (the default) is a plain concatenation.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { concatChannels } from "./channels.ts";
 * const y = concatChannels([tf.zeros([1, 2, 2, 1]), tf.ones([1, 2, 2, 3])], 2);
 * console.assert(y.shape[3] === 4);
 * ```
 */
export function concatChannels(xs: tf.Tensor4D[], groups = 1): tf.Tensor4D {
  if (xs.length === 1 && groups === 1) return xs[0];
  if (!jsKernelsActive()) return channelShuffle(tf.concat(xs, 3), groups);
  registerGradients();
  return runJsKernel(channelConcatKernel, xs, { groups, sizes: xs.map((x) => x.shape[3]) })[0] as tf.Tensor4D;
}

/** `tf.split(x, sizes, 3)`: the channels of `x` in consecutive parts of `sizes` channels. */
export function splitChannels(x: tf.Tensor4D, sizes: number[]): tf.Tensor4D[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== x.shape[3]) {
    throw new Error(
      `splitChannels: sizes [${sizes}] add up to ${total}, not the input's ${x.shape[3]} channels`,
    );
  }
  if (!jsKernelsActive()) return tf.split(x, sizes, 3) as tf.Tensor4D[];
  registerGradients();
  return runJsKernel(channelSplitKernel, [x], { sizes, groups: 1, part: -1 }) as tf.Tensor4D[];
}
