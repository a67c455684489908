/**
 * SA-DARTS: a method plus the Smooth Activation loss, without weight decay on α (the paper removes it
 * when SA is used). `saDarts` is DARTS so composed; `snasSa` is SNAS so composed (the paper's
 * "SNAS + SA" row of Table 6).
 * @module
 */
import { smoothActivation } from "../regularizers/smoothActivation.ts";
import { darts } from "./darts.ts";
import { checkMethod, type MethodOptions, type SearchMethod } from "./method.ts";
import { snas } from "./snas.ts";

/**
 * `m` with L_SA (options `nu`, `mu`, `lambda`) added to its regularizers and α's weight decay removed,
 * unless `o.archOptimizer.weightDecay` asks for one.
 */
export function withSmoothActivation(
  m: SearchMethod,
  o: MethodOptions = {},
  name = `${m.name}-sa`,
): SearchMethod {
  return checkMethod({
    ...m,
    name,
    regularizers: [...m.regularizers, smoothActivation({ nu: o.nu, mu: o.mu, lambda: o.lambda })],
    archOptimizer: { ...m.archOptimizer, weightDecay: o.archOptimizer?.weightDecay ?? 0 },
  });
}

/** SA-DARTS (default ν = 1: λ_e · mean(α), λ_e = (epoch + 1) / 5). */
export function saDarts(o: MethodOptions = {}): SearchMethod {
  return withSmoothActivation(darts(o, "sa"), o, "sa");
}

/** SNAS + SA. */
export function snasSa(o: MethodOptions = {}): SearchMethod {
  return withSmoothActivation(snas(o, "snas-sa"), o, "snas-sa");
}
