/**
 * The paper's §6.6 check that β ranks ops the way the benchmark does: on a derived cell, replace the op
 * of one edge by each candidate in decreasing β order (the other edges keep their argmax) and look every
 * resulting cell up in NAS-Bench-201.
 * @module
 */
import pl from "../deps/polars.ts";
import { softmaxRows } from "../metrics/architecture.ts";
import { deriveNb201, edgeName, genotypeToString, NB201_EDGES, NB201_OPS } from "../spaces/nb201.ts";
import type { Nb201Table } from "./nb201.ts";

/**
 * One row per edge × op: `edge`, `rank` (1 = the largest β on that edge, the derived op), `op`, `beta`,
 * the cell with that op on that edge (`cell`) and its `cifar10`, `cifar100`, `imagenet16` test accuracies.
 */
export function opSwapTable(
  alpha: readonly (readonly number[])[],
  table: Nb201Table,
  ops: readonly string[] = NB201_OPS,
): pl.DataFrame {
  const derived = deriveNb201(alpha, ops);
  const beta = softmaxRows(alpha);
  const rows = NB201_EDGES.flatMap((e, i) => {
    const order = ops.map((_, k) => k).sort((a, b) => beta[i][b] - beta[i][a]);
    return order.map((k, r) => {
      const cell = [...derived];
      cell[i] = ops[k] as typeof cell[number];
      const acc = table.accuracy(cell);
      return {
        edge: edgeName(e),
        rank: r + 1,
        op: ops[k],
        beta: beta[i][k],
        cell: genotypeToString(cell),
        cifar10: acc.cifar10,
        cifar100: acc.cifar100,
        imagenet16: acc.imagenet16,
      };
    });
  });
  return pl.DataFrame(rows).withColumns(pl.col("rank").cast(pl.Int64));
}
