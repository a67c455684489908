/**
 * Beta-DARTS' Beta-Decay regularization (SPECS §4): L_β = λ(epoch) · mean over edges of
 * logsumexp(α_edge), on raw α. Its gradient is λ · softmax(α_edge) / N_e: it pulls the largest weights
 * down hardest, keeping β = softmax(α) of an edge close together.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import type { Regularizer } from "./regularizer.ts";
import { asSchedule, betaSchedule, type Strength, strengthAt } from "./schedules.ts";

/** Options of L_β. */
export interface BetaDecayOptions {
  /** λ (default `betaSchedule()`: 0.5 · epoch, 0-based). */
  lambda?: Strength;
}

/** The Beta-Decay regularizer. */
export function betaDecay(o: BetaDecayOptions = {}): Regularizer {
  const who = "beta decay";
  const schedule = asSchedule(who, o.lambda ?? betaSchedule());
  return {
    name: "beta",
    loss: (alpha, epoch) =>
      tf.mul(tf.mean(tf.logSumExp(alpha, 1)), strengthAt(who, schedule, epoch)) as tf.Scalar,
  };
}
