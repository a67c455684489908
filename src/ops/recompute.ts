/**
 * Gradient checkpointing (Chen et al. 2016, "Training deep nets with sublinear memory cost"): a block of
 * a network computed in a training pass without keeping its intermediate tensors; the backward pass runs
 * the block again from its saved inputs and differentiates that. A supernet whose every cell is such a
 * block holds one cell's activations at a time instead of all of them, for about one more forward pass.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { withRunningStatsFrozen } from "./batchNorm.ts";

/** The engine's gradient tape, which a nested gradient computation replaces (see `recomputed`). */
interface TapeState {
  state: { activeTape: unknown };
}

/**
 * `block(inputs)`, differentiable in `inputs` and in `variables` (the trainable variables `block` reads),
 * keeping only `inputs` for the backward pass. There `block` runs again with batch norm's running
 * statistics frozen (the forward pass updated them once) and is differentiated; so `block` must be a
 * function of its inputs and variables only, with any randomness drawn from fixed seeds. Gradients equal
 * those of the stored pass, but the gradient of a tensor that several blocks read (α, say) adds up per
 * block first: equal to rounding, not bit for bit.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs"; // registers the gradients (Sum's, Square's) that tfjs-core lacks
 * import { recomputed } from "./recompute.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(3));
 * const f = (x: tf.Tensor) => tf.sum(recomputed(([a]) => tf.mul(tf.square(a), w), [x], [w]));
 * const { grads } = tf.variableGrads(() => f(tf.tensor1d([1, 2])) as tf.Scalar, [w]);
 * if (grads[w.name].dataSync()[0] !== 5) throw new Error("d/dw Σ x² w = Σ x² = 5");
 * ```
 */
export function recomputed(
  block: (inputs: tf.Tensor[]) => tf.Tensor,
  inputs: readonly tf.Tensor[],
  variables: readonly tf.Variable[],
): tf.Tensor {
  const n = inputs.length;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    save(args.slice(0, n) as tf.Tensor[]);
    // customGrad's forward runs with the tape off: none of the block's intermediates is recorded.
    const value = block(args.slice(0, n) as tf.Tensor[]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const targets = [...saved, ...variables];
        // A gradient computation inside a backward pass sets the engine's tape to null when it ends, and
        // the outer one then reads it to free its saved tensors: put the outer tape back.
        const engine = tf.engine() as unknown as TapeState;
        const outerTape = engine.state.activeTape;
        try {
          const { value: again, grads } = withRunningStatsFrozen(() =>
            tf.engine().gradients(() => block(saved), targets, dy, true)
          );
          again.dispose();
          return grads.map((g, i) => g ?? tf.zerosLike(targets[i]));
        } finally {
          engine.state.activeTape = outerTape;
        }
      },
    };
  });
  return f(...inputs, ...variables);
}
