/**
 * Small deterministic frames shaped like a search's history (no search run): `alpha.csv` (epoch × edge ×
 * op) and `metrics.csv` (one row per epoch), one run or several tagged by method and seed.
 * @module
 */
import pl from "../../src/deps/polars.ts";
import { NB201_EDGES, NB201_OPS } from "../../src/spaces/nb201.ts";

type Row = Record<string, unknown>;

function softmax(a: number[]): number[] {
  const m = Math.max(...a);
  const e = a.map((v) => Math.exp(v - m));
  const z = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / z);
}

/** α of one run: op k on edge j drifts by `drift(op index, edge index, epoch)`. */
function alphaRows(epochs: number, drift: (k: number, j: number, epoch: number) => number): Row[] {
  const rows: Row[] = [];
  for (let epoch = 0; epoch <= epochs; epoch++) {
    NB201_EDGES.forEach((e, j) => {
      const alpha = NB201_OPS.map((_, k) => drift(k, j, epoch));
      const beta = softmax(alpha);
      NB201_OPS.forEach((op, k) =>
        rows.push({ epoch, edge: `${e.to}<-${e.from}`, op, alpha: alpha[k], beta: beta[k] })
      );
    });
  }
  return rows;
}

/** The quickstart's shape: one short run whose β barely leave 1/5 (tick labels such as "0.2000"). */
export function quickstartAlpha(): pl.DataFrame {
  return pl.DataFrame(alphaRows(4, (k, j, epoch) => 1e-3 * (k - 2) * epoch * (1 + 0.1 * j)));
}

/** Two methods × two seeds over 6 epochs: skip_connect takes over under darts, not under sa. */
export function runs(): { alpha: pl.DataFrame; metrics: pl.DataFrame } {
  const alpha: Row[] = [];
  const metrics: Row[] = [];
  for (const method of ["darts", "sa"]) {
    for (const seed of [0, 1]) {
      const skip = method === "darts" ? 0.12 : 0.03;
      alpha.push(
        ...alphaRows(
          6,
          (k, j, epoch) => (k === 1 ? skip * epoch : 0.02 * (k - 2) * epoch) + 0.01 * seed * (j - k),
        )
          .map((r) => ({ method, seed, ...r })),
      );
      for (let epoch = 0; epoch <= 6; epoch++) {
        metrics.push({
          method,
          seed,
          epoch,
          cifar10: method === "darts" ? 90 - 4 * epoch + seed : 91 + 0.4 * epoch + seed,
          skipEdges: method === "darts" ? Math.min(6, epoch) : 1,
          alphaMean: (method === "darts" ? 0.01 : 0.002) * epoch,
          alphaMedian: (method === "darts" ? -0.004 : 0.001) * epoch,
          alphaStd: (method === "darts" ? 0.03 : 0.01) * epoch,
          minTop2Gap: epoch === 0 ? null : (method === "darts" ? 4.7e-3 : 2e-2) * 0.5 ** epoch * (1 + seed),
        });
      }
    }
  }
  return { alpha: pl.DataFrame(alpha), metrics: pl.DataFrame(metrics) };
}

/** Notebook 04's labels: DARTS runs labelled by their α offset, given as 0, -0.5, -1, -2, -5. */
export function offsetRuns(): pl.DataFrame {
  const rows: Row[] = [];
  for (const offset of [0, -0.5, -1, -2, -5]) {
    for (let epoch = 0; epoch <= 3; epoch++) {
      rows.push({
        method: `init ${offset}`,
        seed: 0,
        epoch,
        skipEdges: Math.max(0, epoch + Math.round(offset / 2)),
      });
    }
  }
  return pl.DataFrame(rows);
}

/** An `opSwapTable`-shaped frame: per edge, the NB201 accuracy of the cell with its rank-r op swapped in. */
export function swaps(): pl.DataFrame {
  const rows: Row[] = [];
  NB201_EDGES.forEach((e, j) => {
    for (let rank = 1; rank <= NB201_OPS.length; rank++) {
      rows.push({
        edge: `${e.to}<-${e.from}`,
        rank,
        op: NB201_OPS[(j + rank) % NB201_OPS.length],
        cifar100: 70 - 3 * (rank - 1) - 0.5 * j + (rank === 3 ? 1 : 0),
      });
    }
  });
  return pl.DataFrame(rows);
}

/** A derived cell with a none edge. */
export const CELL = "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|";
