/**
 * Optimizers with PyTorch's exact update rules (torch.optim.SGD and Adam with L2 weight decay), whose
 * state is plain named tensors so checkpoints can save and restore it bit for bit.
 * tfjs' own optimizers have no weight decay and put Adam's ε elsewhere.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { jsKernelsActive, runJsKernel } from "../backend/kernels/jsKernel.ts";
import { sgdStepKernel } from "../backend/kernels/optimizerKernels.ts";

/** An optimizer over a fixed list of variables. */
export interface Optimizer {
  /**
   * Apply one update from gradients (same order as the variables); disposes nothing it was given.
   * `maxGradNorm` first scales the gradients to that global L2 norm at most (torch's clip_grad_norm_).
   */
  step(grads: readonly tf.Tensor[], options?: StepOptions): void;
  /** Learning rate used by the next step (schedules set it per epoch). */
  lr: number;
  /** State tensors by name, for checkpoints. */
  state(): Record<string, tf.Tensor>;
  /** Restore state saved by `state()`. */
  load(state: Record<string, tf.Tensor>): void;
  dispose(): void;
}

/** Options of one optimizer step. */
export interface StepOptions {
  maxGradNorm?: number;
}

/** Gradients clipped to `maxGradNorm` when given (inside the caller's tidy). */
function clipped(grads: readonly tf.Tensor[], options?: StepOptions): readonly tf.Tensor[] {
  return options?.maxGradNorm !== undefined ? clipByGlobalNorm(grads, options.maxGradNorm).grads : grads;
}

/** torch.optim.SGD options. */
export interface SgdOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

function slots(vars: readonly tf.Variable[]): tf.Variable[] {
  return vars.map((v) => {
    const zeros = tf.zerosLike(v);
    const slot = tf.variable(zeros, false); // shares the buffer; the tensor itself must still go
    zeros.dispose();
    return slot;
  });
}

function restore(target: tf.Variable[], prefix: string, state: Record<string, tf.Tensor>): void {
  target.forEach((s, i) => {
    const t = state[`${prefix}.${i}`];
    if (!t) throw new Error(`optimizer state lacks "${prefix}.${i}"`);
    s.assign(t);
  });
}

function named(prefix: string, ts: readonly tf.Tensor[]): Record<string, tf.Tensor> {
  return Object.fromEntries(ts.map((t, i) => [`${prefix}.${i}`, t]));
}

/** SGD with momentum, L2 weight decay and optional Nesterov, as torch.optim.SGD (dampening 0). */
export function sgd(vars: readonly tf.Variable[], o: SgdOptions): Optimizer {
  const { momentum = 0, weightDecay = 0, nesterov = false } = o;
  const buf = slots(vars);
  let started = false;
  return {
    lr: o.lr,
    step(grads, options) {
      const lr = this.lr;
      tf.tidy(() => {
        if (jsKernelsActive()) {
          // One fused kernel for clipping and the whole update (see sgdStepKernel).
          const attrs = { lr, momentum, weightDecay, nesterov, started, maxNorm: options?.maxGradNorm ?? 0 };
          const outs = runJsKernel(sgdStepKernel, [...vars, ...grads, ...buf], attrs);
          vars.forEach((p, i) => p.assign(outs[i]));
          buf.forEach((b, i) => b.assign(outs[vars.length + i]));
          return;
        }
        const gs = clipped(grads, options);
        vars.forEach((p, i) => {
          let g = weightDecay ? tf.add(gs[i], tf.mul(p, weightDecay)) : gs[i];
          if (momentum) {
            // torch starts the buffer at the first gradient, not at momentum · 0 + g: the same value.
            const b = started ? tf.add(tf.mul(buf[i], momentum), g) : g;
            buf[i].assign(b);
            g = nesterov ? tf.add(g, tf.mul(b, momentum)) : b;
          }
          p.assign(tf.sub(p, tf.mul(g, lr)));
        });
      });
      started = true;
    },
    state: () => ({ ...named("momentum", buf), started: tf.scalar(started ? 1 : 0) }),
    load(state) {
      restore(buf, "momentum", state);
      started = (state.started?.dataSync()[0] ?? 0) === 1;
    },
    dispose: () => buf.forEach((b) => b.dispose()),
  };
}

/** torch.optim.Adam options (weight decay is L2 added to the gradient, as in torch.optim.Adam). */
export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Adam as torch.optim.Adam. */
export function adam(vars: readonly tf.Variable[], o: AdamOptions): Optimizer {
  const { betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = o;
  const m = slots(vars);
  const v = slots(vars);
  let t = 0;
  return {
    lr: o.lr,
    step(grads, options) {
      t += 1;
      const lr = this.lr;
      const c1 = 1 - b1 ** t;
      const c2 = Math.sqrt(1 - b2 ** t);
      tf.tidy(() => {
        const gs = clipped(grads, options);
        vars.forEach((p, i) => {
          const g = weightDecay ? tf.add(gs[i], tf.mul(p, weightDecay)) : gs[i];
          m[i].assign(tf.add(tf.mul(m[i], b1), tf.mul(g, 1 - b1)));
          v[i].assign(tf.add(tf.mul(v[i], b2), tf.mul(tf.square(g), 1 - b2)));
          const denom = tf.add(tf.div(tf.sqrt(v[i]), c2), eps);
          p.assign(tf.sub(p, tf.mul(tf.div(m[i], denom), lr / c1)));
        });
      });
    },
    state: () => ({ ...named("m", m), ...named("v", v), t: tf.scalar(t) }),
    load(state) {
      restore(m, "m", state);
      restore(v, "v", state);
      t = state.t?.dataSync()[0] ?? 0;
    },
    dispose: () => [...m, ...v].forEach((s) => s.dispose()),
  };
}

/**
 * Scale gradients so that their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_,
 * with its 1e-6 in the denominator). Returns the new gradients and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { grads: grads.map((g) => tf.mul(g, coef)), norm };
  }) as { grads: tf.Tensor[]; norm: tf.Scalar };
}
