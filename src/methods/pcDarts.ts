/**
 * PC-DARTS' partial channel connections as a composition: 1/K of each edge's channels through the mixed
 * op, the rest bypassed, and per-node edge normalization (the space adds the edge scores β when K > 1).
 * `pcDarts` is DARTS so composed, `sacDarts` SA-DARTS (SAC-DARTS, the paper's best method; SA acts on
 * α only, not on β) and `pcBeta` Beta-DARTS.
 *
 * PC-DARTS' own DARTS-space schedule (SPECS §3: 15 warm-up epochs of 50, batch 256, weights' lr 0.1
 * cosine to 0, α's Adam lr 6e-4) is not the default here, so a method compares with the others on the
 * same settings; pass `warmupEpochs`, `weightOptimizer` and `archOptimizer` to run it.
 * @module
 */
import { betaDarts } from "./betaDarts.ts";
import { darts } from "./darts.ts";
import { checkMethod, type MethodOptions, type SearchMethod } from "./method.ts";
import { saDarts } from "./saDarts.ts";

/** PC-DARTS' K (SPECS §3). */
export const PC_DARTS_K = 4;

/** `m` with partial channels: K = `o.partialChannels` (default {@link PC_DARTS_K}). */
export function withPartialChannels(
  m: SearchMethod,
  o: MethodOptions = {},
  name = `pc-${m.name}`,
): SearchMethod {
  return checkMethod({ ...m, name, partialChannels: o.partialChannels ?? PC_DARTS_K });
}

/** PC-DARTS (first order): DARTS with partial channels and edge normalization. */
export function pcDarts(o: MethodOptions = {}): SearchMethod {
  return withPartialChannels(darts(o, "pc-darts"), o, "pc-darts");
}

/** SAC-DARTS: SA-DARTS with partial channels (the SA term on α only). */
export function sacDarts(o: MethodOptions = {}): SearchMethod {
  return withPartialChannels(saDarts(o), o, "sac");
}

/** PC + Beta (Table 6's row): Beta-DARTS with partial channels. */
export function pcBeta(o: MethodOptions = {}): SearchMethod {
  return withPartialChannels(betaDarts(o), o, "pc-beta");
}
