/**
 * Beta-DARTS: DARTS plus the Beta-Decay loss λ(epoch) · mean logsumexp(α_edge); α's weight decay is kept
 * (SPECS §4).
 * @module
 */
import { betaDecay } from "../regularizers/beta.ts";
import { darts } from "./darts.ts";
import { checkMethod, type MethodOptions, type SearchMethod } from "./method.ts";

/** Beta-DARTS (options: `lambda`, default 0.5 · epoch). */
export function betaDarts(o: MethodOptions = {}): SearchMethod {
  return checkMethod({ ...darts(o, "beta"), regularizers: [betaDecay({ lambda: o.lambda })] });
}
