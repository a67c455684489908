/**
 * One first-order bi-level search step: α on a validation batch (plus any α regularizer), then the
 * weights on a training batch with global-norm gradient clipping. Gradients are taken only for the
 * variables each step owns, and fused ops skip their weight gradients in the α step. Each half reports
 * its batch's cross-entropy and number of correct predictions, read from the forward pass it already
 * made (one device read per half).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { correctCount, crossEntropy } from "./loss.ts";
import { withoutWeightGradients } from "../ops/gradientScope.ts";
import type { Optimizer } from "./optimizers.ts";

/** A labelled batch: NHWC images and integer labels. */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

/** Which half of a step a forward pass belongs to (stochastic samplers draw fresh noise for each). */
export type StepPass = "alpha" | "weights";

/** What a first-order step needs: the model as logits of a batch, and who owns which variables. */
export interface FirstOrderStepper {
  /** Logits of `x` in train mode with the current α, for the given half of the step. */
  logits: (x: tf.Tensor4D, pass: StepPass) => tf.Tensor2D;
  arch: { vars: tf.Variable[]; optimizer: Optimizer; regularizer?: () => tf.Scalar };
  weights: { vars: tf.Variable[]; optimizer: Optimizer; gradClip?: number };
}

/** What one half-step saw on its batch (before its update). */
export interface HalfStepResult {
  /** Mean cross-entropy of the batch (the α regularizer excluded). */
  loss: number;
  /** Correct top-1 predictions in the batch. */
  correct: number;
  /** Images in the batch. */
  count: number;
}

/** Losses of one step. */
export interface StepLosses {
  /** The α step on the validation batch; absent when the step skipped α (warm-up). */
  arch?: HalfStepResult;
  /** The weight step on the training batch. */
  weights: HalfStepResult;
}

function update(
  vars: tf.Variable[],
  optimizer: Optimizer,
  batch: Batch,
  logits: (x: tf.Tensor4D) => tf.Tensor2D,
  extra?: () => tf.Scalar,
  clip?: number,
  weights = true,
): HalfStepResult {
  let stats: tf.Tensor | undefined;
  const loss = () => {
    const z = logits(batch.x);
    const ce = crossEntropy(z, batch.y);
    stats = tf.keep(tf.stack([ce, correctCount(z, batch.y)]));
    return extra ? tf.add(ce, extra()) as tf.Scalar : ce;
  };
  tf.tidy(() => {
    const { grads } = weights
      ? tf.variableGrads(loss, vars)
      : withoutWeightGradients(() => tf.variableGrads(loss, vars));
    optimizer.step(vars.map((v) => grads[v.name]), { maxGradNorm: clip });
  });
  const [ce, correct] = stats!.dataSync();
  stats!.dispose();
  return { loss: ce, correct, count: batch.y.shape[0] };
}

/** The α half: one optimizer step of α on `valid` (cross-entropy plus the regularizer). */
export function archStep(s: FirstOrderStepper, valid: Batch): HalfStepResult {
  return update(
    s.arch.vars,
    s.arch.optimizer,
    valid,
    (x) => s.logits(x, "alpha"),
    s.arch.regularizer,
    undefined,
    false,
  );
}

/** The weight half: one optimizer step of the weights on `train`, gradients clipped. */
export function weightStep(s: FirstOrderStepper, train: Batch): HalfStepResult {
  return update(
    s.weights.vars,
    s.weights.optimizer,
    train,
    (x) => s.logits(x, "weights"),
    undefined,
    s.weights.gradClip,
  );
}

/**
 * α step on `valid` (skipped when `updateArch` is false, e.g. during warm-up), then weight step on
 * `train`. Leaks no tensor.
 */
export function firstOrderStep(
  s: FirstOrderStepper,
  train: Batch,
  valid: Batch,
  updateArch = true,
): StepLosses {
  const arch = updateArch ? archStep(s, valid) : undefined;
  return { arch, weights: weightStep(s, train) };
}
