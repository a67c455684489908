/**
 * The topology of a DARTS cell: which state each edge reads and which node it feeds, and each node's
 * range of incoming edges, in α's row order. Plain data (no tensors): the supernet, the genotypes, the
 * derive rule and the drawings all count edges from here.
 * @module
 */

/** An edge of a cell: intermediate node `to` (0-based) receives a mixed op of state `from`. */
export interface DartsEdge {
  /** 0 and 1 are the cell's inputs s0 = c_{k−2} and s1 = c_{k−1}; 2 + i is intermediate node i. */
  from: number;
  /** The intermediate node, 0 … steps − 1. */
  to: number;
}

/**
 * The edges of a cell with `steps` intermediate nodes, in α's row order (node-major, SPECS §2.2): node 0
 * from s0, s1 (edges 0–1); node 1 from s0, s1, n0 (2–4); node 2 (5–8); node 3 (9–13).
 */
export function dartsEdges(steps = 4): DartsEdge[] {
  const edges: DartsEdge[] = [];
  for (let to = 0; to < steps; to++) for (let from = 0; from < 2 + to; from++) edges.push({ from, to });
  return edges;
}

/** Per node, the [start, end) range of its incoming edges in row order: [0,2], [2,5], [5,9], [9,14]. */
export function nodeEdgeRanges(steps = 4): [number, number][] {
  const ranges: [number, number][] = [];
  for (let to = 0, start = 0; to < steps; start += 2 + to, to++) ranges.push([start, start + 2 + to]);
  return ranges;
}
