/**
 * DrNAS on NB201 (SPECS §7): DARTS' loop and settings with Dirichlet(ELU(α) + 1) weights. DrNAS' default
 * regularization (`--reg_type l2`) is Adam's weight decay 1e-3 on α, which DARTS' settings already have;
 * its KL variant is not implemented.
 * @module
 */
import { dirichlet } from "../samplers/dirichlet.ts";
import { darts } from "./darts.ts";
import { checkMethod, type MethodOptions, type SearchMethod } from "./method.ts";

/** DrNAS (option: `sampleInEval`). */
export function drnas(o: MethodOptions = {}): SearchMethod {
  return checkMethod({ ...darts(o, "drnas"), sampler: dirichlet({ sampleInEval: o.sampleInEval }) });
}
