/**
 * Second-order DARTS: the unrolled α step of DARTS' `architect.py` (`unrolled=True`; xautodl's DARTS-V2
 * does the same), on the same {@link FirstOrderStepper} as the first-order step. With
 * w' = w − ξ·(momentum·buf + ∇w L_train(w, α) + wd·w), the α gradient is
 *
 *   ∇α L_val(w', α) − ξ · ∇²_{α,w} L_train(w, α) · ∇w' L_val(w', α),
 *
 * the Hessian-vector product taken as a central difference of ∇α L_train at w ± ε·∇w' L_val(w', α),
 * ε = 0.01 / ‖∇w' L_val(w', α)‖ (SPECS §2.4).
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { withoutWeightGradients } from "../ops/gradientScope.ts";
import type { Optimizer } from "./optimizers.ts";
import { type Batch, type FirstOrderStepper, type HalfStepResult, scoredLoss } from "./step.ts";

/** Settings of the unrolled α step. */
export interface SecondOrderOptions {
  /**
   * ξ, the learning rate of the virtual weight step; DARTS passes the weight optimizer's current
   * learning rate (`eta = lr` in train_search.py). ξ = 0 gives the first-order α gradient.
   */
  xi: number;
  /** The weight optimizer's momentum (DARTS' `network_momentum`). */
  momentum: number;
  /** The weight optimizer's L2 weight decay (DARTS' `network_weight_decay`). */
  weightDecay: number;
  /**
   * The weight optimizer's momentum buffers, one per weight in `s.weights.vars` order (e.g.
   * {@link momentumBuffersOf}); absent means zeros, as architect.py when the optimizer has no state yet.
   * Read only.
   */
  momentumBuffers?: readonly tf.Tensor[];
  /**
   * BN running statistics of the model (its buffers). architect.py evaluates L_val(w') on a fresh copy
   * of the network (`model.new()`), so that forward leaves the real model's running statistics alone:
   * given these, they are put back bit for bit after it. Without them, that forward updates them too.
   */
  runningStats?: readonly tf.Variable[];
  /** The numerator of ε (architect.py's `r`, default 0.01). */
  r?: number;
}

/**
 * One unrolled (second-order) α step, as DARTS' `Architect._backward_step_unrolled` followed by its
 * α optimizer step:
 * 1. virtual step w' = w − ξ·(momentum·buf + ∇w L_train(w, α) + wd·w), without gradient clipping;
 * 2. at w': dα = ∇α (L_val(w', α) + regularizer(α)) and dw' = ∇w' L_val(w', α) (the regularizer, a
 *    function of α only, is added as in the first-order step; vanilla DARTS has none);
 * 3. ε = r / ‖dw'‖ (global L2 norm), implicit = (∇α L_train(w + ε·dw') − ∇α L_train(w − ε·dw')) / 2ε,
 *    at the original w shifted (architect.py's `_hessian_vector_product`);
 * 4. w is restored bit for bit (the original tensors are assigned back, not w' + ξ·(…)), then one step
 *    of `s.arch.optimizer` with dα − ξ·implicit.
 *
 * The training-batch forwards run as the "weights" pass (so a seeded sampler draws the same noise for
 * all three and the difference quotient compares like with like), the validation forward as "alpha".
 * If ‖dw'‖ = 0 the implicit term is 0 (ε is computed from max(‖dw'‖, 1e-30) so nothing becomes NaN).
 *
 * BN running statistics: every forward here runs in train mode and, in this codebase's BN, updates the
 * running estimates, as PyTorch does. As in architect.py, the three training-batch forwards (at w,
 * w + ε·dw', w − ε·dw') update them; the validation forward at w' does not when
 * `o.runningStats` is given (architect.py runs it on a discarded copy of the model), and does otherwise.
 *
 * Returns the validation batch's loss (regularizer excluded) and score sum **at w'**: the
 * loss architect.py backpropagates and xautodl's DARTS-V2 logs as the arch loss. Leaks no tensor; on an
 * exception the weights are still restored.
 */
export function secondOrderArchStep(
  s: FirstOrderStepper,
  train: Batch,
  valid: Batch,
  o: SecondOrderOptions,
): HalfStepResult {
  const { xi, momentum, weightDecay, momentumBuffers, runningStats, r = 0.01 } = o;
  const weights = s.weights.vars;
  const arch = s.arch.vars;
  if (momentumBuffers && momentumBuffers.length !== weights.length) {
    throw new Error(
      `secondOrderArchStep: ${momentumBuffers.length} momentum buffers for ${weights.length} weights`,
    );
  }
  const trainLoss = () => s.task.loss(s.output(train.x, "weights"), train.y);
  const validLoss = scoredLoss(s, valid, "alpha", s.arch.regularizer);
  // The weights' own tensors (tf.clone shares the data): assigning them back restores w exactly.
  const saved = weights.map((v) => tf.clone(v));
  try {
    tf.tidy(() => {
      // 1. The virtual step (architect.py's _compute_unrolled_model).
      const { grads: gTrain } = tf.variableGrads(trainLoss, weights);
      weights.forEach((v, i) => {
        let d: tf.Tensor = gTrain[v.name];
        if (weightDecay) d = tf.add(d, tf.mul(saved[i], weightDecay));
        if (momentum && momentumBuffers) d = tf.add(tf.mul(momentumBuffers[i], momentum), d);
        v.assign(tf.sub(saved[i], tf.mul(d, xi)));
      });

      // 2. Gradients of the validation loss at w'.
      const statsBefore = runningStats?.map((b) => tf.clone(b));
      const { grads } = tf.variableGrads(validLoss.loss, [...arch, ...weights]);
      runningStats?.forEach((b, i) => b.assign(statsBefore![i]));
      const dW = weights.map((v) => grads[v.name]);

      // 3. The Hessian-vector product by central differences around the original w.
      const norm = tf.sqrt(tf.addN(dW.map((g) => tf.sum(tf.square(g)))));
      const eps = tf.div(r, tf.maximum(norm, 1e-30));
      const archGradAt = (sign: 1 | -1) => {
        const step = sign > 0 ? eps : tf.neg(eps);
        weights.forEach((v, i) => v.assign(tf.add(saved[i], tf.mul(dW[i], step))));
        return withoutWeightGradients(() => tf.variableGrads(trainLoss, arch)).grads;
      };
      const plus = archGradAt(1);
      const minus = archGradAt(-1);
      weights.forEach((v, i) => v.assign(saved[i]));

      // 4. dα − ξ·implicit, one α optimizer step.
      const twoEps = tf.mul(eps, 2);
      const g = arch.map((v) => {
        const implicit = tf.div(tf.sub(plus[v.name], minus[v.name]), twoEps);
        return tf.sub(grads[v.name], tf.mul(implicit, xi));
      });
      s.arch.optimizer.step(g);
    });
  } catch (e) {
    validLoss.dispose(); // kept past the tidy for the result that will not come
    throw e;
  } finally {
    // Normally a no-op (already restored); after an exception it undoes the virtual or shifted step.
    weights.forEach((v, i) => {
      if (v.dataId !== saved[i].dataId) v.assign(saved[i]);
    });
    saved.forEach((t) => t.dispose());
  }
  return validLoss.result();
}

/**
 * The momentum buffers of an optimizer made by `sgd` (its state's `momentum.0`, `momentum.1`, …, the
 * optimizer's own variables: do not dispose them), or undefined when its state has none (e.g. Adam).
 * The fresh tensors `state()` builds besides them (such as `started`) are disposed here. Before the
 * optimizer's first step the buffers are zeros, which is what architect.py uses then.
 */
export function momentumBuffersOf(optimizer: Optimizer): tf.Tensor[] | undefined {
  const state = optimizer.state();
  const buffers: tf.Tensor[] = [];
  for (let i = 0; `momentum.${i}` in state; i++) buffers.push(state[`momentum.${i}`]);
  // Slots are variables that the optimizer keeps; everything else in a state is made for the caller.
  for (const t of Object.values(state)) if (!(t instanceof tf.Variable)) t.dispose();
  return buffers.length ? buffers : undefined;
}
