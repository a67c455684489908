/**
 * The dominant eigenvalue of a loss's Hessian with respect to some variables (RobustDARTS' signal: the
 * largest eigenvalue of ∇²_α L_valid grows as DARTS heads for a collapse), by power iteration on
 * Hessian-vector products. The products are central finite differences of gradients,
 * Hv ≈ (∇L(x + εv) − ∇L(x − εv)) / 2ε, as DARTS' architect forms its Hessian-vector product: tfjs'
 * gradients of gradients drop terms for ops like softmax (see DESIGN.md), so no nested gradients.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";

/** Options of {@link dominantHessianEigenvalue}. */
export interface HessianEigenOptions {
  /** Power-iteration steps at most (default 20). */
  iterations?: number;
  /** Stop when the estimate moves by less than this fraction of itself (default 1e-3). */
  tolerance?: number;
  /** Step of the finite differences along the unit vector v (default 1e-2, on variables of order 1). */
  epsilon?: number;
  /** Seed of the start vector (default 0). */
  seed?: number;
}

/** The estimate: the eigenvalue of largest magnitude, its unit eigenvector, and the steps it took. */
export interface HessianEigen {
  value: number;
  /** The eigenvector, one array per variable (unit length over all of them). */
  vector: Float64Array[];
  iterations: number;
}

/** The gradient of `loss` in every variable, as float64 arrays (its tensors disposed). */
function gradientsAt(loss: () => tf.Scalar, vars: readonly tf.Variable[]): Float64Array[] {
  const { value, grads } = tf.variableGrads(loss, [...vars]);
  value.dispose();
  const out = vars.map((v) => Float64Array.from(grads[v.name].dataSync()));
  for (const g of Object.values(grads)) g.dispose();
  return out;
}

/** A deterministic normal vector per variable (Box–Muller over a 32-bit LCG seeded by `seed`). */
function startVector(sizes: readonly number[], seed: number): Float64Array[] {
  let s = (seed * 2654435761 + 12345) >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return sizes.map((n) =>
    Float64Array.from(
      { length: n },
      () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
    )
  );
}

const dot = (a: Float64Array[], b: Float64Array[]) =>
  a.reduce((s, x, i) => s + x.reduce((t, xv, j) => t + xv * b[i][j], 0), 0);

/**
 * The dominant eigenvalue of ∇²`loss` with respect to `vars` at their current values (restored after).
 * `loss` must be deterministic (the same batch, no sampling, no running-statistics updates).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs";
 * import { dominantHessianEigenvalue } from "./hessian.ts";
 * await tf.setBackend("cpu");
 * // L = x0² + 3 x1² + x0 x1: Hessian [[2, 1], [1, 6]], eigenvalues 4 ± √5.
 * const x = tf.variable(tf.tensor1d([0.3, -0.2]));
 * const loss = () => tf.tidy(() => {
 *   const [a, b] = tf.unstack(x);
 *   return tf.addN([tf.square(a), tf.mul(3, tf.square(b)), tf.mul(a, b)]) as tf.Scalar;
 * });
 * const { value } = dominantHessianEigenvalue(loss, [x]);
 * console.assert(Math.abs(value - (4 + Math.sqrt(5))) < 1e-3, value);
 * ```
 */
export function dominantHessianEigenvalue(
  loss: () => tf.Scalar,
  vars: readonly tf.Variable[],
  options: HessianEigenOptions = {},
): HessianEigen {
  const { iterations = 20, tolerance = 1e-3, epsilon = 1e-2, seed = 0 } = options;
  if (!(Number.isInteger(iterations) && iterations >= 1)) {
    throw new Error(`hessian: iterations must be an integer ≥ 1, got ${iterations}`);
  }
  if (!(epsilon > 0)) throw new Error(`hessian: epsilon must be > 0, got ${epsilon}`);
  const origin = vars.map((v) => tf.keep(v.clone()));
  const shift = (v: Float64Array[], scale: number) =>
    vars.forEach((x, i) => {
      const moved = tf.tidy(() =>
        tf.add(origin[i], tf.tensor(Float32Array.from(v[i], (e) => e * scale), x.shape))
      );
      x.assign(moved); // the variable shares moved's data, which outlives the tensor object
      moved.dispose();
    });
  const hvp = (v: Float64Array[]) => {
    shift(v, epsilon);
    const plus = gradientsAt(loss, vars);
    shift(v, -epsilon);
    const minus = gradientsAt(loss, vars);
    return plus.map((p, i) => p.map((pv, j) => (pv - minus[i][j]) / (2 * epsilon)));
  };
  try {
    let v = startVector(vars.map((x) => x.size), seed);
    const normalize = (w: Float64Array[]) => {
      const n = Math.sqrt(dot(w, w));
      if (!(n > 0)) return undefined;
      return w.map((x) => x.map((e) => e / n));
    };
    v = normalize(v)!;
    let value = 0;
    let steps = 0;
    for (; steps < iterations; steps++) {
      const w = hvp(v);
      const next = dot(v, w); // Rayleigh quotient of the unit v
      const unit = normalize(w);
      const converged = steps > 0 && Math.abs(next - value) <= tolerance * Math.abs(next);
      value = next;
      if (!unit) break; // Hv = 0: v is in the null space, the estimate is 0
      v = unit;
      if (converged) {
        steps++;
        break;
      }
    }
    return { value, vector: v, iterations: steps };
  } finally {
    vars.forEach((x, i) => x.assign(origin[i]));
    origin.forEach((t) => t.dispose());
  }
}
