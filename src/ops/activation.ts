/**
 * ReLU whose gradient is one fused kernel on wasm and cpu (tfjs' own is Step, Cast and Multiply).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { reluGradKernel } from "../backend/kernels/activationKernels.ts";
import { jsKernelsActive, runJsKernel } from "../backend/kernels/jsKernel.ts";

/** max(x, 0). */
export function relu<T extends tf.Tensor>(x: T): T {
  if (!jsKernelsActive()) return tf.relu(x);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.relu(input),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => runJsKernel(reluGradKernel, [dy, saved], {})[0],
    };
  });
  return op(x) as T;
}
