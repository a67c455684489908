/**
 * The shape of SA-DARTS' loss term as a function of one α (the paper's Fig. 9): for each (μ, ν) the
 * summand of L_SA and its slope, computed by the regularizer's own {@link smoothActivationTerm} and
 * tfjs' gradient, so the figure shows what a search optimizes, not a re-typed formula.
 * @module
 */
import pl from "../deps/polars.ts";
import * as tf from "../deps/tfjs_core.ts";
import { smoothActivationTerm } from "../regularizers/smoothActivation.ts";

/** One (μ, ν) setting of L_SA. */
export interface SaShapeSetting {
  /** Its name in the frame (default `ν=<nu> μ=<mu>`). */
  label?: string;
  /** Negative slope ν ∈ [0, 1] (default 1). */
  nu?: number;
  /** Smoothness μ ≥ 0 (default 1). */
  mu?: number;
}

/** Options of {@link smoothActivationShapes}. */
export interface SaShapeOptions {
  /** The α range drawn (default [-3, 3]: searched α stay within it on NB201). */
  domain?: [number, number];
  /** Samples over the range (default 241: a step of 0.025 on the default range), at least 2. */
  points?: number;
}

/** The paper's Fig. 9 settings, in its order (μ = 0 drawn at ν = 0.25, its λ = epoch/2 example). */
export const FIG9_SETTINGS: readonly SaShapeSetting[] = [
  { label: "ν = 1", nu: 1 },
  { label: "μ = 1e6, ν = 0.25", mu: 1e6, nu: 0.25 },
  { label: "μ = 1e6, ν = 0.75", mu: 1e6, nu: 0.75 },
  { label: "μ = 1/√2, ν = 0 (GELU)", mu: Math.SQRT1_2, nu: 0 },
  { label: "μ = 1, ν = 0.25", mu: 1, nu: 0.25 },
  { label: "μ = 0, ν = 0.25", mu: 0, nu: 0.25 },
];

/**
 * A long frame with one row per setting and α sample: `setting`, `alpha`, `term` (the summand of L_SA
 * at that α, without λ_e) and `slope` (its derivative: how hard the α step pushes that α down).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs";
 * import { smoothActivationShapes } from "./saShapes.ts";
 * await tf.setBackend("cpu");
 * const f = smoothActivationShapes([{ label: "mean", nu: 1 }], { domain: [-1, 1], points: 3 });
 * console.assert(f.height === 3 && (f.getColumn("slope").toArray() as number[]).every((s) => Math.abs(s - 1) < 1e-6));
 * ```
 */
export function smoothActivationShapes(
  settings: readonly SaShapeSetting[] = FIG9_SETTINGS,
  o: SaShapeOptions = {},
): pl.DataFrame {
  const [lo, hi] = o.domain ?? [-3, 3];
  const points = o.points ?? 241;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new Error(
      `smoothActivationShapes: domain must be two finite numbers, low < high, got [${lo}, ${hi}]`,
    );
  }
  if (!Number.isInteger(points) || points < 2) {
    throw new Error(`smoothActivationShapes: points must be an integer ≥ 2, got ${points}`);
  }
  if (settings.length === 0) throw new Error("smoothActivationShapes: give at least one (μ, ν) setting");
  const alphas = Array.from({ length: points }, (_, i) => lo + (hi - lo) * i / (points - 1));
  const rows = settings.flatMap((s) => {
    const label = s.label ?? `ν=${s.nu ?? 1} μ=${s.mu ?? 1}`;
    const [term, slope] = tf.tidy(() => {
      const a = tf.tensor1d(alphas);
      const f = (x: tf.Tensor) => smoothActivationTerm(x, s);
      return [f(a).arraySync() as number[], tf.grad(f)(a).arraySync() as number[]];
    });
    return alphas.map((alpha, i) => ({ setting: label, alpha, term: term[i], slope: slope[i] }));
  });
  return pl.DataFrame(rows);
}
