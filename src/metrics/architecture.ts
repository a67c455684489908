/**
 * Statistics of architecture weights, on plain arrays (one row per edge, one column per op): what the
 * paper plots and tabulates per epoch (Fig. 2–3, Table 1).
 * @module
 */

/** Row-wise softmax: β of every edge. */
export function softmaxRows(alpha: readonly (readonly number[])[]): number[][] {
  return alpha.map((row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

/** Mean, median and (population) standard deviation of every α. */
export function alphaStats(
  alpha: readonly (readonly number[])[],
): { mean: number; median: number; std: number } {
  const all = alpha.flat().sort((a, b) => a - b);
  if (all.length === 0) throw new Error("alphaStats: no α values");
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  const mid = all.length >> 1;
  const median = all.length % 2 ? all[mid] : (all[mid - 1] + all[mid]) / 2;
  const std = Math.sqrt(all.reduce((a, v) => a + (v - mean) ** 2, 0) / all.length);
  return { mean, median, std };
}

/** The gap between the two largest β of each edge. */
export function top2Gaps(beta: readonly (readonly number[])[]): number[] {
  return beta.map((row) => {
    if (row.length < 2) throw new Error("top2Gaps: an edge needs at least two ops");
    const [a, b] = [...row].sort((x, y) => y - x);
    return a - b;
  });
}

/** The smallest top-2 β gap over edges, and its edge (Table 1's "closest edge"). */
export function closestEdge(beta: readonly (readonly number[])[]): { edge: number; gap: number } {
  const gaps = top2Gaps(beta);
  const edge = gaps.indexOf(Math.min(...gaps));
  return { edge, gap: gaps[edge] };
}
