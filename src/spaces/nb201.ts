/**
 * The NAS-Bench-201 cell space: 4 nodes, 6 edges (every j < i), 5 candidate operations per edge.
 * Genotype strings follow the benchmark: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
 * @module
 */

/** Candidate operations, in α's column order. */
export const NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"] as const;
/** A NAS-Bench-201 operation name. */
export type Nb201Op = typeof NB201_OPS[number];

/** An edge of the cell: node `to` receives `op(node from)`. */
export interface Edge {
  from: number;
  to: number;
}

/** The 6 edges in α's row order: 1←0, 2←0, 2←1, 3←0, 3←1, 3←2. */
export const NB201_EDGES: readonly Edge[] = [
  { from: 0, to: 1 },
  { from: 0, to: 2 },
  { from: 1, to: 2 },
  { from: 0, to: 3 },
  { from: 1, to: 3 },
  { from: 2, to: 3 },
];

/** Number of nodes of a cell (node 0 is the input, node 3 the output). */
export const NB201_NODES = 4;

/** A label such as `2<-1` for an edge. */
export function edgeName(e: Edge): string {
  return `${e.to}<-${e.from}`;
}

/** Check that `name` is a NAS-Bench-201 operation. */
export function checkNb201Op(name: string): Nb201Op {
  if ((NB201_OPS as readonly string[]).includes(name)) return name as Nb201Op;
  throw new Error(`unknown NAS-Bench-201 operation "${name}": choose one of ${NB201_OPS.join(", ")}`);
}

/** The benchmark's string of a cell given its 6 ops in edge order. */
export function genotypeToString(ops: readonly string[]): string {
  if (ops.length !== NB201_EDGES.length) {
    throw new Error(`a NAS-Bench-201 cell has 6 edges, got ${ops.length} ops`);
  }
  const groups: string[] = [];
  for (let node = 1; node < NB201_NODES; node++) {
    const items = NB201_EDGES.map((e, k) => [e, k] as const).filter(([e]) => e.to === node)
      .map(([e, k]) => `${checkNb201Op(ops[k])}~${e.from}`);
    groups.push(`|${items.join("|")}|`);
  }
  return groups.join("+");
}

/** The 6 ops (edge order) of a benchmark cell string; throws on a malformed string. */
export function parseGenotype(s: string): Nb201Op[] {
  const groups = s.split("+");
  const fail = (why: string) => new Error(`not a NAS-Bench-201 cell string (${why}): "${s}"`);
  if (groups.length !== NB201_NODES - 1) throw fail(`expected 3 groups joined by '+', got ${groups.length}`);
  const ops: Nb201Op[] = [];
  groups.forEach((g, i) => {
    if (!g.startsWith("|") || !g.endsWith("|")) throw fail(`group ${i + 1} must start and end with '|'`);
    const items = g.slice(1, -1).split("|");
    if (items.length !== i + 1) throw fail(`node ${i + 1} needs ${i + 1} inputs, got ${items.length}`);
    items.forEach((item, j) => {
      const [op, from] = item.split("~");
      if (from !== String(j)) throw fail(`input ${j} of node ${i + 1} is "${item}"`);
      try {
        ops.push(checkNb201Op(op));
      } catch (e) {
        throw fail((e as Error).message);
      }
    });
  });
  return ops;
}

/** Index of the largest value (first on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The derived cell: per edge, argmax over all candidate ops, `none` included (xautodl's rule; NB201
 * keeps all 6 edges). `alpha` has one row per edge and one column per op of `ops`.
 */
export function deriveNb201(
  alpha: readonly (readonly number[])[],
  ops: readonly string[] = NB201_OPS,
): Nb201Op[] {
  if (alpha.length !== NB201_EDGES.length) throw new Error(`α needs 6 rows (edges), got ${alpha.length}`);
  return alpha.map((row) => {
    if (row.length !== ops.length) {
      throw new Error(`α rows need ${ops.length} columns (ops), got ${row.length}`);
    }
    return checkNb201Op(ops[argmax(row)]);
  });
}
