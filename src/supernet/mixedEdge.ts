/**
 * The DARTS relaxation: an edge computes ō(x) = Σ_o w_o · o(x), a node sums its incoming edges, with
 * the per-op weights w given from outside (softmax, Gumbel or Dirichlet samples, possibly times an edge
 * weight), so any sampler plugs in. A node's whole sum Σ_edges Σ_ops is one fused mixed sum.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { jsKernelsActive, runJsKernel } from "../backend/kernels/jsKernel.ts";
import { mixedSumGradKernel, mixedSumKernel } from "../backend/kernels/mixedSumKernels.ts";

/** A candidate operation applied to the edge's input; `null` is the `none` op (always zero). */
export type Candidate = ((x: tf.Tensor4D) => tf.Tensor4D) | null;

/** One term of a mixed sum: `tensor` scaled by the weight at flat index `weight`. */
export interface MixedTerm {
  weight: number;
  tensor: tf.Tensor4D;
}

/**
 * Σ_k w[term_k.weight] · term_k.tensor, differentiable in `w` (flat, any length) and in every tensor.
 * Zeros of `shape` when there is no term. Fused into one kernel each way on wasm and cpu.
 */
export function mixedSum(
  w: tf.Tensor1D,
  terms: readonly MixedTerm[],
  shape: tf.Tensor4D["shape"],
): tf.Tensor4D {
  if (terms.length === 0) return tf.zeros(shape);
  const index = terms.map((t) => t.weight);
  for (const i of index) {
    if (!Number.isInteger(i) || i < 0 || i >= w.size) {
      throw new Error(`mixed sum: weight index ${i} outside w`);
    }
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [wv, ...ts] = args as tf.Tensor[];
    save([wv, ...ts]);
    const value = jsKernelsActive()
      ? runJsKernel(mixedSumKernel, [wv, ...ts], { index })[0]
      : composedSum(wv, ts, index);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ws, ...tsSaved] = saved;
        if (jsKernelsActive()) return runJsKernel(mixedSumGradKernel, [dy, ws, ...tsSaved], { index });
        const dw = tf.stack(tsSaved.map((t) => tf.sum(tf.mul(dy, t))));
        const scatter = tf.scatterND(tf.tensor2d(index, [index.length, 1], "int32"), dw, [ws.size]);
        return [scatter, ...index.map((i) => tf.mul(dy, tf.slice(ws, i, 1)))];
      },
    };
  });
  return f(w, ...terms.map((t) => t.tensor)) as tf.Tensor4D;
}

function composedSum(w: tf.Tensor, ts: tf.Tensor[], index: number[]): tf.Tensor {
  const products = ts.map((t, k) => tf.mul(t, tf.slice(w, index[k], 1)));
  return products.length === 1 ? products[0] : tf.addN(products);
}

/** One mixed edge, Σ_o w_o · o(x), with `weights` [ops]. `none` (null) contributes zero and is skipped. */
export function mixedEdge(
  candidates: readonly Candidate[],
  x: tf.Tensor4D,
  weights: tf.Tensor1D,
): tf.Tensor4D {
  if (candidates.length !== weights.size) {
    throw new Error(`mixed edge: ${candidates.length} candidates but ${weights.size} weights`);
  }
  const terms = candidates.flatMap((op, i) => (op ? [{ weight: i, tensor: op(x) }] : []));
  return mixedSum(weights, terms, x.shape);
}
