/**
 * DrNAS on NB201: per forward, per edge, the op weights are one draw from Dirichlet(β) with
 * concentration β = ELU(α) + 1 (> 0), reparameterised so the α step gets a pathwise gradient
 * (torch's `Dirichlet(β).rsample()`).
 *
 * tfjs has no Dirichlet and its Gamma sampler takes one scalar shape and has no gradient, so a draw is
 * built from Gamma variables: z_k ~ Gamma(β_k, 1) independently, weights = z / Σz. The gradient is the
 * exact implicit reparameterisation gradient of each Gamma draw (Figurnov, Mohamed & Mnih 2018):
 * holding the CDF value u = P(β, z) fixed, dz/dβ = −(∂P/∂β)(z; β) / p(z; β), P the regularised lower
 * incomplete gamma function and p the Gamma density; the normalisation z / Σz is differentiated by tfjs.
 * This is an unbiased pathwise gradient of the Dirichlet sample (the expectation of its gradient is the
 * gradient of the expectation); it is not term-for-term torch's `_dirichlet_grad`, which transports
 * differently. The only approximation is numerical: ∂P/∂β is a central difference in β of log P (or
 * log Q = log(1 − P)) computed in float64, accurate to about 1e-8 relative, far below float32 noise.
 *
 * Everything is computed in log space (log z, then softmax per row = z / Σz) so that small
 * concentrations, whose Gamma draws underflow float32 (and float64 for β ≲ 0.003), still give weights
 * that sum to 1. The draws and their gradients are computed in JavaScript float64 on the α values:
 * α has 30 entries on NB201.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { type Sampler, standardNormal, uniformStream } from "./sampler.ts";

/** Options of the Dirichlet sampler. */
export interface DirichletOptions {
  /**
   * Sample in evaluation passes too (default true, as the reference, whose forward always samples);
   * false uses the Dirichlet mean β / Σβ there.
   */
  sampleInEval?: boolean;
}

const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7: about 1e-15 relative). */
export function logGammaFunction(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGammaFunction(1 - x);
  x -= 1;
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_TERMS = 100_000;

/** Σ_n z^n / (a(a+1)…(a+n)), so that P(a, z) = sum · z^a e^(−z) / Γ(a). Converges for every z. */
function lowerSeries(a: number, z: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_TERMS; n++) {
    term *= z / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum;
}

/** Continued fraction (modified Lentz) h, so that Q(a, z) = h · z^a e^(−z) / Γ(a); for z ≥ a + 1. */
function upperFraction(a: number, z: number): number {
  let b = z + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_TERMS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/** Whether P(a, z) is computed from its series (else Q from its continued fraction). */
const useSeries = (a: number, z: number) => z < a + 1;

/** The regularised lower incomplete gamma function P(a, z) = γ(a, z) / Γ(a), the Gamma(a, 1) CDF. */
export function regularizedGammaP(a: number, z: number): number {
  if (z <= 0) return 0;
  const logE = a * Math.log(z) - z - logGammaFunction(a);
  return useSeries(a, z) ? lowerSeries(a, z) * Math.exp(logE) : 1 - upperFraction(a, z) * Math.exp(logE);
}

/**
 * One draw of log z, z ~ Gamma(a, 1): Marsaglia–Tsang for a ≥ 1, and for a < 1 the boost
 * Gamma(a) = Gamma(a + 1) · U^(1/a), taken in log space so it never underflows.
 */
export function gammaLogDraw(a: number, uniform: () => number): number {
  if (!(a > 0) || !Number.isFinite(a)) throw new Error(`Gamma draw: shape must be > 0, got ${a}`);
  if (a < 1) return gammaLogDraw(a + 1, uniform) + Math.log(uniform()) / a;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(uniform);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (Math.log(uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d) + Math.log(v);
  }
}

/**
 * d(log z)/da of a Gamma(a, 1) draw z = exp(logZ) at a fixed CDF value (the implicit reparameterisation
 * gradient divided by z): −(∂P/∂a) / (p(z) · z). With E = z^a e^(−z) / Γ(a) = p(z) · z, P = S · E
 * (series) or Q = h · E (fraction), this is −S · ∂log P/∂a, or h · ∂log Q/∂a; the log-derivatives are
 * central differences in a at fixed z. Returns 0 where the numbers give out (never seen for 1e-4 ≤ a ≤ 1e3).
 */
export function gammaLogDrawGradient(logZ: number, a: number): number {
  const z = Math.exp(logZ);
  const series = useSeries(a, z);
  const logTail = (s: number) =>
    Math.log(series ? lowerSeries(s, z) : upperFraction(s, z)) + s * logZ - z - logGammaFunction(s);
  const h = 1e-5 * a;
  const dLog = (logTail(a + h) - logTail(a - h)) / (2 * h);
  const g = series ? -lowerSeries(a, z) * dLog : upperFraction(a, z) * dLog;
  return Number.isFinite(g) ? g : 0;
}

/** The concentration ELU(α) + 1, positive for every α. */
export function concentration(alpha: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.elu(alpha), 1);
}

/** log z with z_k ~ Gamma(c_k, 1) elementwise, with the implicit reparameterisation gradient in c. */
function logGammaSample(c: tf.Tensor2D, uniform: () => number): tf.Tensor2D {
  const shape = c.dataSync();
  const logZ = new Float32Array(shape.length);
  const slope = new Float32Array(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const lz = gammaLogDraw(shape[i], uniform);
    logZ[i] = lz;
    slope[i] = gammaLogDrawGradient(lz, shape[i]);
  }
  const sample = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const s = tf.tensor2d(slope, c.shape);
    save([s]);
    return {
      value: tf.tensor2d(logZ, c.shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0])],
    };
  });
  return sample(c) as tf.Tensor2D;
}

/** The Dirichlet sampler: same context (seed, epoch, step, draw), same weights. */
export function dirichlet(options: DirichletOptions = {}): Sampler {
  const { sampleInEval = true } = options;
  return {
    name: "dirichlet",
    weights(alpha, ctx) {
      const c = concentration(alpha);
      if (!ctx.training && !sampleInEval) return tf.div(c, tf.sum(c, 1, true));
      // z / Σz as a softmax of log z: the same value, and no underflow for small concentrations.
      return tf.softmax(logGammaSample(c, uniformStream("dirichlet", ctx)));
    },
  };
}
