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

const WHO = "smooth activation";

function checkShape(o: SmoothActivationOptions): { nu: number; mu: number } {
  const { nu = 1, mu = 1 } = o;
  if (!(nu >= 0 && nu <= 1)) throw new Error(`${WHO}: ν must be in [0, 1], got ${nu}`);
  if (!(mu >= 0) || !Number.isFinite(mu)) throw new Error(`${WHO}: μ must be a finite number ≥ 0, got ${mu}`);
  return { nu, mu };
}

/**
 * The summand of L_SA per architecture parameter, elementwise and without λ_e:
 * [(1 + ν) α + (1 − ν) α · erf(μ (1 − ν) α)] / 2. The paper's Fig. 9 draws it against α.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs";
 * import { smoothActivationTerm } from "./smoothActivation.ts";
 * await tf.setBackend("cpu");
 * // Leaky ReLU with slope ν = 0.25 when μ → ∞: α for α > 0, 0.25 α below.
 * const t = smoothActivationTerm(tf.tensor1d([-2, 3]), { nu: 0.25, mu: 1e6 }).dataSync();
 * console.assert(Math.abs(t[0] + 0.5) < 1e-6 && Math.abs(t[1] - 3) < 1e-6);
 * ```
 */
export function smoothActivationTerm<T extends tf.Tensor>(
  alpha: T,
  o: Pick<SmoothActivationOptions, "nu" | "mu"> = {},
): T {
  const { nu, mu } = checkShape(o);
  const k = mu * (1 - nu);
  // ν = 1 or μ = 0 leaves no erf term: skip it rather than multiply by zero.
  return (k === 0 ? tf.mul(alpha, (1 + nu) / 2) : tf.mul(
    tf.add(tf.mul(alpha, 1 + nu), tf.mul(tf.mul(alpha, 1 - nu), tf.erf(tf.mul(alpha, k)))),
    0.5,
  )) as T;
}

/** The L_SA regularizer: λ_e times the mean of {@link smoothActivationTerm} over α. */
export function smoothActivation(o: SmoothActivationOptions = {}): Regularizer {
  const shape = checkShape(o);
  const schedule = asSchedule(WHO, o.lambda ?? saSchedule());
  return {
    name: "sa",
    loss(alpha, epoch) {
      const lambda = strengthAt(WHO, schedule, epoch);
      return tf.mul(tf.mean(smoothActivationTerm(alpha, shape)), lambda) as tf.Scalar;
    },
  };
}
