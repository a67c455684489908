/**
 * One first-order bi-level search step: α on a validation batch (plus any α regularizer), then the
 * weights on a training batch with global-norm gradient clipping. Gradients are taken only for the
 * variables each step owns, and fused ops skip their weight gradients in the α step.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { crossEntropy } from "./loss.ts";
import { withoutWeightGradients } from "../ops/gradientScope.ts";
import type { Optimizer } from "./optimizers.ts";

/** A labelled batch: NHWC images and integer labels. */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

/** What a first-order step needs: the model as logits of a batch, and who owns which variables. */
export interface FirstOrderStepper {
  /** Logits of `x` in train mode with the current α. */
  logits: (x: tf.Tensor4D) => tf.Tensor2D;
  arch: { vars: tf.Variable[]; optimizer: Optimizer; regularizer?: () => tf.Scalar };
  weights: { vars: tf.Variable[]; optimizer: Optimizer; gradClip?: number };
}

/** Losses of one step (validation loss includes the α regularizer when there is one). */
export interface StepLosses {
  validLoss: number;
  trainLoss: number;
}

function update(
  vars: tf.Variable[],
  optimizer: Optimizer,
  loss: () => tf.Scalar,
  clip?: number,
  weights = true,
): number {
  const value = tf.tidy(() => {
    const { value, grads } = weights
      ? tf.variableGrads(loss, vars)
      : withoutWeightGradients(() => tf.variableGrads(loss, vars));
    optimizer.step(vars.map((v) => grads[v.name]), { maxGradNorm: clip });
    return value;
  });
  const v = value.dataSync()[0];
  value.dispose();
  return v;
}

/** α step on `valid`, then weight step on `train`. Leaks no tensor. */
export function firstOrderStep(s: FirstOrderStepper, train: Batch, valid: Batch): StepLosses {
  const validLoss = update(
    s.arch.vars,
    s.arch.optimizer,
    () => {
      const ce = crossEntropy(s.logits(valid.x), valid.y);
      return s.arch.regularizer ? tf.add(ce, s.arch.regularizer()) as tf.Scalar : ce;
    },
    undefined,
    false,
  );
  const trainLoss = update(
    s.weights.vars,
    s.weights.optimizer,
    () => crossEntropy(s.logits(train.x), train.y),
    s.weights.gradClip,
  );
  return { validLoss, trainLoss };
}
