/**
 * SNAS as DrNAS' NB201 code runs it (`--method snas`): per forward, per edge, a soft Gumbel-softmax
 * sample softmax((α + g) / τ) with g = −log(−log U) (torch's `F.gumbel_softmax(α, τ, hard=False)`),
 * in both the α and the weight step. τ falls linearly from tau_max to tau_min over the epochs
 * (SPECS §6, DR row). The official SNAS code differs (single-level updates, τ from 1 to 0.03 over 150
 * epochs): that is a different search loop, not a different sampler.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { type Sampler, uniformStream } from "./sampler.ts";

/** Options of the Gumbel-softmax sampler (defaults: DrNAS' NB201 SNAS, over our 50 epochs). */
export interface GumbelOptions {
  /** Temperature in epoch 0 (default 10). */
  tauMax?: number;
  /** Temperature the schedule ends at, and the floor after it (default 1). */
  tauMin?: number;
  /** Epochs the temperature takes to fall from tauMax to tauMin (default 50, the paper's search length). */
  epochs?: number;
  /**
   * Sample in evaluation passes too (default true, as the reference, whose forward always samples);
   * false uses softmax(α) there.
   */
  sampleInEval?: boolean;
}

function checked(o: GumbelOptions): Required<GumbelOptions> {
  const { tauMax = 10, tauMin = 1, epochs = 50, sampleInEval = true } = o;
  if (!(tauMin > 0) || !Number.isFinite(tauMin)) throw new Error(`gumbel: tauMin must be > 0, got ${tauMin}`);
  if (!(tauMax >= tauMin) || !Number.isFinite(tauMax)) {
    throw new Error(`gumbel: tauMax must be ≥ tauMin (${tauMin}), got ${tauMax}`);
  }
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new Error(`gumbel: epochs must be an integer ≥ 1, got ${epochs}`);
  }
  return { tauMax, tauMin, epochs, sampleInEval };
}

/**
 * The temperature of 0-based `epoch`: τ = tauMax − (tauMax − tauMin) · epoch / epochs, as DrNAS (τ starts
 * at tauMax and drops by (tauMax − tauMin)/epochs after each epoch), never below tauMin.
 */
export function gumbelTau(epoch: number, options: GumbelOptions = {}): number {
  const { tauMax, tauMin, epochs } = checked(options);
  return Math.max(tauMin, tauMax - (tauMax - tauMin) * epoch / epochs);
}

/** The soft Gumbel-softmax sampler: same context (seed, epoch, step, draw), same weights. */
export function gumbel(options: GumbelOptions = {}): Sampler {
  const o = checked(options);
  return {
    name: "gumbel",
    weights(alpha, ctx) {
      if (!ctx.training && !o.sampleInEval) return tf.softmax(alpha);
      const uniform = uniformStream("gumbel", ctx);
      const g = new Float32Array(alpha.size);
      for (let i = 0; i < g.length; i++) g[i] = -Math.log(-Math.log(uniform()));
      const tau = gumbelTau(ctx.epoch, o);
      return tf.softmax(tf.div(tf.add(alpha, tf.tensor2d(g, alpha.shape)), tau));
    },
  };
}
