/**
 * What a sampler is: the map from architecture parameters α [edges, ops] to the op weights a supernet
 * mixes with, and the seeded noise stochastic samplers draw from. The derived architecture never
 * depends on the sampler: it is argmax of α per edge (`deriveNb201`), which is also the argmax of
 * softmax(α) and of the Dirichlet mean (ELU(α) + 1 is increasing).
 * @module
 */
import type * as tf from "../deps/tfjs_core.ts";
import { nameSeed } from "../ops/params.ts";

/** Where in the search a forward pass is: fixes the noise of stochastic samplers. */
export interface SamplerContext {
  /** Epoch of the search, 0-based (the loop's index, as for every schedule of a search). */
  epoch: number;
  /** Step within the epoch, 0-based. */
  step: number;
  /** Seed of the run. */
  seed: number;
  /** A search-step forward (true) or an evaluation pass (false). */
  training: boolean;
  /**
   * Which forward pass of this step (e.g. 0 for the α step, 1 for the weight step), default 0: the
   * reference implementations draw fresh noise in every forward, so two passes of one step must not
   * share it.
   */
  draw?: number;
  /**
   * Which architecture parameter the weights are for, when a space has several (DARTS' α_normal and
   * α_reduce): each draws its own noise. Absent: the stream of a space's first (NB201: only) parameter.
   */
  param?: string;
}

/** Op weights from α: each row of the result is a distribution over the ops of that edge. */
export interface Sampler {
  readonly name: string;
  /** Weights [edges, ops] from α [edges, ops]; differentiable in α. Call inside the caller's tidy. */
  weights(alpha: tf.Tensor2D, ctx: SamplerContext): tf.Tensor2D;
}

/**
 * A uniform stream on (0, 1), never 0 or 1 (Gumbel and Gamma draws take logarithms of it), fixed by
 * (sampler name, seed, epoch, step, draw, param) only: same context, same noise, on any backend, whatever ran
 * before. Drawn in JavaScript float64 because tfjs' seeded ops cannot give per-element Gamma draws.
 */
export function uniformStream(name: string, ctx: SamplerContext): () => number {
  const { epoch, step, seed, draw = 0, param } = ctx;
  for (const [k, v] of [["epoch", epoch], ["step", step], ["draw", draw]] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`sampler ${name}: ${k} must be an integer ≥ 0, got ${v}`);
    }
  }
  // mulberry32, seeded by a hash of the whole context: consecutive steps get unrelated streams.
  let state = nameSeed(seed, `${name}/${epoch}/${step}/${draw}${param === undefined ? "" : `/${param}`}`);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** A standard normal draw from a uniform stream (Box–Muller, one value per call). */
export function standardNormal(uniform: () => number): number {
  return Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
