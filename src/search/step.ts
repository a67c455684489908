/**
 * One first-order bi-level search step: α on a validation batch (plus any α regularizer), then the
 * weights on a training batch with global-norm gradient clipping. Gradients are taken only for the
 * variables each step owns, and fused ops skip their weight gradients in the α step. Each half reports
 * its batch's loss and score sum under the space's task, read from the forward pass it already made
 * (one device read per half).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { withoutWeightGradients } from "../ops/gradientScope.ts";
import type { Task } from "../tasks/task.ts";
import type { Optimizer } from "./optimizers.ts";

/** A batch: NHWC inputs and what the task scores the output against (classification: integer labels). */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor;
}

/** Which half of a step a forward pass belongs to (stochastic samplers draw fresh noise for each). */
export type StepPass = "alpha" | "weights";

/** What a first-order step needs: the model's output for a batch, its task, and who owns which variables. */
export interface FirstOrderStepper {
  /** The output for `x` in train mode with the current α, for the given half of the step. */
  output: (x: tf.Tensor4D, pass: StepPass) => tf.Tensor;
  /** The loss both halves minimize and the score they report. */
  task: Task;
  arch: { vars: tf.Variable[]; optimizer: Optimizer; regularizer?: () => tf.Scalar };
  weights: { vars: tf.Variable[]; optimizer: Optimizer; gradClip?: number };
}

/** What one half-step saw on its batch (before its update). */
export interface HalfStepResult {
  /** The task's mean loss on the batch (the α regularizer excluded). */
  loss: number;
  /** The sum of the task's per-example score over the batch (classification: 100 per correct). */
  scoreSum: number;
  /** Examples in the batch. */
  count: number;
}

/** Losses of one step. */
export interface StepLosses {
  /** The α step on the validation batch; absent when the step skipped α (warm-up). */
  arch?: HalfStepResult;
  /** The weight step on the training batch. */
  weights: HalfStepResult;
}

/**
 * The objective of a half-step on `batch` (the task's loss, plus `extra`), keeping its loss and score
 * sum for `result()`, which reads them (one device read) and frees them; `dispose()` frees them unread.
 */
export function scoredLoss(
  s: FirstOrderStepper,
  batch: Batch,
  pass: StepPass,
  extra?: () => tf.Scalar,
): { loss: () => tf.Scalar; result: () => HalfStepResult; dispose: () => void } {
  let stats: tf.Tensor | undefined;
  return {
    loss: () => {
      const out = s.output(batch.x, pass);
      const loss = s.task.loss(out, batch.y);
      stats = tf.keep(tf.stack([loss, s.task.scoreSum(out, batch.y)]));
      return extra ? tf.add(loss, extra()) as tf.Scalar : loss;
    },
    result: () => {
      const [loss, scoreSum] = stats!.dataSync();
      stats!.dispose();
      return { loss, scoreSum, count: batch.y.shape[0] };
    },
    dispose: () => stats?.dispose(),
  };
}

function update(
  s: FirstOrderStepper,
  pass: StepPass,
  batch: Batch,
  { vars, optimizer, extra, clip }: {
    vars: tf.Variable[];
    optimizer: Optimizer;
    extra?: () => tf.Scalar;
    clip?: number;
  },
): HalfStepResult {
  const objective = scoredLoss(s, batch, pass, extra);
  try {
    tf.tidy(() => {
      const { grads } = pass === "weights"
        ? tf.variableGrads(objective.loss, vars)
        : withoutWeightGradients(() => tf.variableGrads(objective.loss, vars));
      optimizer.step(vars.map((v) => grads[v.name]), { maxGradNorm: clip });
    });
  } catch (e) {
    objective.dispose();
    throw e;
  }
  return objective.result();
}

/** The α half: one optimizer step of α on `valid` (the task's loss plus the regularizer). */
export function archStep(s: FirstOrderStepper, valid: Batch): HalfStepResult {
  return update(s, "alpha", valid, {
    vars: s.arch.vars,
    optimizer: s.arch.optimizer,
    extra: s.arch.regularizer,
  });
}

/** The weight half: one optimizer step of the weights on `train`, gradients clipped. */
export function weightStep(s: FirstOrderStepper, train: Batch): HalfStepResult {
  return update(s, "weights", train, {
    vars: s.weights.vars,
    optimizer: s.weights.optimizer,
    clip: s.weights.gradClip,
  });
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
