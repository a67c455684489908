/**
 * SA-DARTS' Smooth Activation loss (paper eq. 7), the method's one idea:
 *
 *   L_SA = λ_e / (N_o · N_e) · Σ_ij [(1 + ν) α_ij + (1 − ν) α_ij · erf(μ (1 − ν) α_ij)] / 2
 *
 * a smooth maxout of (α, να) per architecture parameter, averaged over all N_e edges × N_o ops, on raw α
 * (not softmax(α)). μ → ∞ gives Leaky ReLU with negative slope ν; μ = 1/√2, ν = 0 gives GELU; ν = 1
 * (or μ = 0, up to the factor (1 + ν)/2) reduces it to λ_e · mean(α) (eq. 8, the default). Its
 * gradient pushes every α down, larger α harder when ν < 1.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import type { Regularizer } from "./regularizer.ts";
import { asSchedule, saSchedule, type Strength, strengthAt } from "./schedules.ts";

/** Options of L_SA (defaults: eq. 8 with the paper's λ_e = epoch / 5). */
export interface SmoothActivationOptions {
  /** Negative slope ν ∈ [0, 1] (default 1: the mean of α). */
  nu?: number;
  /** Smoothness μ ≥ 0 (default 1; no effect when ν = 1). */
  mu?: number;
  /** λ_e (default `saSchedule()`: (epoch + 1) / 5 on the 0-based epoch). */
  lambda?: Strength;
}

/** The L_SA regularizer. */
export function smoothActivation(o: SmoothActivationOptions = {}): Regularizer {
  const who = "smooth activation";
  const { nu = 1, mu = 1 } = o;
  if (!(nu >= 0 && nu <= 1)) throw new Error(`${who}: ν must be in [0, 1], got ${nu}`);
  if (!(mu >= 0) || !Number.isFinite(mu)) throw new Error(`${who}: μ must be a finite number ≥ 0, got ${mu}`);
  const schedule = asSchedule(who, o.lambda ?? saSchedule());
  const k = mu * (1 - nu);
  return {
    name: "sa",
    loss(alpha, epoch) {
      const lambda = strengthAt(who, schedule, epoch);
      // ν = 1 or μ = 0 leaves no erf term: skip it rather than multiply by zero.
      const term = k === 0
        ? tf.mul(alpha, (1 + nu) / 2)
        : tf.mul(tf.add(tf.mul(alpha, 1 + nu), tf.mul(tf.mul(alpha, 1 - nu), tf.erf(tf.mul(alpha, k)))), 0.5);
      return tf.mul(tf.mean(term), lambda) as tf.Scalar;
    },
  };
}
