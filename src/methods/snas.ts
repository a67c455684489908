/**
 * SNAS as DrNAS' NB201 code runs it (SPECS §6): DARTS' bi-level first-order loop and settings with soft
 * Gumbel-softmax weights, τ linear from 10 to 1 over the epochs.
 * @module
 */
import { gumbel } from "../samplers/gumbel.ts";
import { darts } from "./darts.ts";
import { checkMethod, type MethodOptions, type SearchMethod } from "./method.ts";

/** SNAS (options: `tauMax`, `tauMin`, `epochs` of the τ schedule, `sampleInEval`); `name` as for `darts`. */
export function snas(o: MethodOptions = {}, name = "snas"): SearchMethod {
  const { tauMax, tauMin, epochs, sampleInEval } = o;
  return checkMethod({
    ...darts(o, name),
    sampler: gumbel({ tauMax, tauMin, epochs, sampleInEval }),
  });
}
