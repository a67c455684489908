/**
 * A hint for fused ops: whether gradients with respect to network weights are wanted. tfjs' custom
 * gradients are computed for every input at once, so without the hint the α step of a search would
 * also pay for every conv filter gradient (about a third of the backward pass) only to discard it.
 * @module
 */

let wanted = true;

/**
 * Run `f` (typically a gradient computation with respect to α only) with weight gradients off: fused
 * ops then return zeros as the gradients of their weights. Do not differentiate weights inside.
 */
export function withoutWeightGradients<T>(f: () => T): T {
  const before = wanted;
  wanted = false;
  try {
    return f();
  } finally {
    wanted = before;
  }
}

/** Whether fused ops must compute gradients with respect to their weights. */
export function weightGradientsWanted(): boolean {
  return wanted;
}
