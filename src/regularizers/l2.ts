/**
 * An explicit L2 penalty λ · Σ α² (the "L2" the paper's Fig. 2 and 3 write for DARTS).
 *
 * What DARTS runs in practice is not this loss but Adam's (coupled) weight decay 1e-3 on α
 * (`SearchMethod.archOptimizer.weightDecay`), which adds wd · α to the gradient before Adam's moments:
 * the same gradient as this loss with λ = wd / 2. The methods use the weight decay, as the reference
 * code does; this loss is for experiments that want the penalty in the loss (and in its logged value).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import type { Regularizer } from "./regularizer.ts";
import { asSchedule, type Strength, strengthAt } from "./schedules.ts";

/** Options of the L2 penalty. */
export interface L2PenaltyOptions {
  /** λ (default 5e-4: the gradient of Adam's weight decay 1e-3). */
  lambda?: Strength;
}

/** λ · Σ α². */
export function l2Penalty(o: L2PenaltyOptions = {}): Regularizer {
  const who = "l2 penalty";
  const schedule = asSchedule(who, o.lambda ?? 5e-4);
  return {
    name: "l2",
    loss: (alpha, epoch) => tf.mul(tf.sum(tf.square(alpha)), strengthAt(who, schedule, epoch)) as tf.Scalar,
  };
}
