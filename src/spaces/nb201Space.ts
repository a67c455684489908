/**
 * NAS-Bench-201 as a search space of the loop: one α [6 edges, ops], xautodl's supernet, argmax per
 * edge, and per epoch the derived cell's benchmark accuracies (the NB201 table), skip and none edges,
 * and α's statistics. Under PC-DARTS' partial channels, a β [6 edges, 1] of edge scores too, normalized
 * per node (../supernet/nb201.ts); the derived cell is the same (β scales all of an edge's ops alike).
 * @module
 */
import { CLASSIFICATION } from "../tasks/classification.ts";
import { loadNb201, type Nb201Table } from "../benchmarks/nb201.ts";
import { alphaStats, closestEdge, softmaxRows } from "../metrics/architecture.ts";
import * as tf from "../deps/tfjs_core.ts";
import { createNb201Supernet, nb201EdgeSoftmax, nb201Forward } from "../supernet/nb201.ts";
import { deriveNb201, edgeName, genotypeToString, NB201_EDGES, NB201_OPS } from "./nb201.ts";
import { boolean, integer } from "../search/valueChecks.ts";
import { archTable, type ArchValues, type SearchSpace, type SpacePreset, type SpaceRun } from "./space.ts";

/** The NB201 supernet's shape in a config. */
export type Nb201ModelConfig = {
  channels: number;
  cellsPerStage: number;
  /** Affine BN in the cells (false during search in every reference). */
  affine: boolean;
  trackRunningStats: boolean;
};

/** The columns NB201 adds to each epoch's record (`metrics.csv`), in column order. */
export type Nb201Record = {
  /** The derived cell (the benchmark's string). */
  cell: string;
  /** Its NB201 test accuracies (%, 200 epochs), named as `Nb201Accuracy` names them. */
  cifar10: number;
  cifar100: number;
  imagenet16: number;
  /** Share of all NB201 cells worse than the derived one on CIFAR-10 (%). */
  cifar10Percentile: number;
  /** Edges of the derived cell that are skip_connect / none. */
  skipEdges: number;
  noneEdges: number;
  /** Mean, median and standard deviation of α over every edge and op. */
  alphaMean: number;
  alphaMedian: number;
  alphaStd: number;
  /** The smallest gap between an edge's two largest β, and that edge ("to<-from"). */
  minTop2Gap: number;
  closestEdge: string;
};

const SEARCH_MODEL: Nb201ModelConfig = {
  channels: 16,
  cellsPerStage: 5,
  affine: false,
  trackRunningStats: true,
};
const NO_AUGMENT = { augment: false, cutout: 0, splitSeed: 0 };

/** NB201's presets: the same code path at three scales. */
export const NB201_PRESETS: Readonly<Record<string, Readonly<SpacePreset<Nb201ModelConfig>>>> = {
  smoke: {
    description: "seconds: C=4, N=1, 512 shipped images pooled to 8x8, batch 32, 3 epochs (tests)",
    epochs: 3,
    model: { ...SEARCH_MODEL, channels: 4, cellsPerStage: 1 },
    data: { format: "sadarts", limit: 512, downsample: 1, batchSize: 32, ...NO_AUGMENT },
    evaluate: true,
  },
  cpu: {
    description:
      "minutes: C=8, N=2, the shipped 10k CIFAR-10 images at 16x16 split 5k/5k, batch 64, 20 epochs",
    epochs: 20,
    model: { ...SEARCH_MODEL, channels: 8, cellsPerStage: 2 },
    data: { format: "sadarts", downsample: 0, batchSize: 64, ...NO_AUGMENT },
    evaluate: true,
  },
  paper: {
    description: "the paper's setting (SPECS §1.5): C=16, N=5, full CIFAR-10 32x32 split 25k/25k, " +
      "batch 64, pad-4 crop + flip, 50 epochs; needs a GPU and the official CIFAR-10 binaries",
    epochs: 50,
    model: SEARCH_MODEL,
    data: { format: "cifar10", downsample: 0, batchSize: 64, ...NO_AUGMENT, augment: true },
    evaluate: true,
  },
};

/** Upper bounds on the model's counts, against typos (far beyond any real supernet). */
const MODEL_BOUNDS = { channels: 1024, cellsPerStage: 100 };

/** The architecture parameters' names: op scores, and (partial channels) edge scores. */
const ALPHA = "alpha";
const BETA = "beta";

/** Per node, the softmax of its incoming edges' scores (NB201_EDGES order: each node's edges together). */
function edgeWeightRows(beta: readonly (readonly number[])[]): number[][] {
  const out: number[][] = [];
  for (const to of [1, 2, 3]) {
    const ks = NB201_EDGES.flatMap((e, k) => e.to === to ? [k] : []);
    const [weights] = softmaxRows([ks.map((k) => beta[k][0])]);
    ks.forEach((k, i) => out[k] = [weights[i]]);
  }
  return out;
}

const rowsOf = (arch: ArchValues) => arch[ALPHA] as number[][];

/** The NAS-Bench-201 space. */
export const NB201_SPACE: SearchSpace<Nb201ModelConfig> = {
  name: "nb201",
  description: "NAS-Bench-201: 4-node cells, 6 edges, 5 ops; derived cells looked up in the benchmark",
  presets: NB201_PRESETS,
  cellsOption: "cellsPerStage",
  comparisonColumns: ["cifar10", "cifar100", "imagenet16", "skipEdges", "minTop2Gap"],
  modelChecks: {
    channels: (n, v) => integer(n, v, 1, MODEL_BOUNDS.channels),
    cellsPerStage: (n, v) => integer(n, v, 1, MODEL_BOUNDS.cellsPerStage),
    affine: boolean,
    trackRunningStats: boolean,
  },
  ops: NB201_OPS,
  check({ model, partialChannels = 1 }) {
    if (model.channels % partialChannels !== 0) {
      throw new Error(
        `partialChannels (PC-DARTS' K) ${partialChannels} does not divide the nb201 space's ${model.channels} ` +
          `channels (C; the later stages have 2C and 4C): choose a K that divides ${model.channels}`,
      );
    }
  },
  open({ model, benchmark, partialChannels }): SpaceRun {
    NB201_SPACE.check({ model, partialChannels });
    const partial = partialChannels !== undefined && partialChannels > 1;
    const table = (benchmark as Nb201Table | undefined) ?? loadNb201();
    const ops = NB201_OPS;
    const derive = (arch: ArchValues) => deriveNb201(rowsOf(arch), ops);
    const rows = NB201_EDGES.map(edgeName);
    const archParams = [
      { name: ALPHA, role: "ops" as const, rows, columns: NB201_EDGES.map(() => ops) },
      ...(partial ? [{ name: BETA, role: "edges" as const, rows, columns: rows.map(() => ["edge"]) }] : []),
    ];
    return {
      benchmark: table,
      archParams,
      task: CLASSIFICATION,
      createSupernet(store, input) {
        const net = createNb201Supernet(store, {
          ...model,
          ...input,
          ops,
          partialChannels: partialChannels ?? 1,
        });
        return {
          store,
          forward: (x, weights, mode) =>
            nb201Forward(
              net,
              x,
              weights[ALPHA],
              mode,
              partial ? nb201EdgeSoftmax(tf.reshape(weights[BETA], [-1]) as tf.Tensor1D) : undefined,
            ),
        };
      },
      derive: (arch) => genotypeToString(derive(arch)),
      record(arch): Nb201Record {
        const alpha = rowsOf(arch);
        const cell = derive(arch);
        const acc = table.accuracy(cell);
        const stats = alphaStats(alpha);
        const closest = closestEdge(softmaxRows(alpha));
        return {
          cell: genotypeToString(cell),
          cifar10: acc.cifar10,
          cifar100: acc.cifar100,
          imagenet16: acc.imagenet16,
          cifar10Percentile: table.percentile(cell),
          skipEdges: cell.filter((op) => op === "skip_connect").length,
          noneEdges: cell.filter((op) => op === "none").length,
          alphaMean: stats.mean,
          alphaMedian: stats.median,
          alphaStd: stats.std,
          minTop2Gap: closest.gap,
          closestEdge: edgeName(NB201_EDGES[closest.edge]),
        };
      },
      alphaRows: (epoch, arch) =>
        archTable(
          epoch,
          archParams,
          arch,
          (spec, v) => spec.role === "ops" ? softmaxRows(v) : edgeWeightRows(v),
        ),
      summary: (last, arch) => ({
        cifar10: last.cifar10,
        cifar100: last.cifar100,
        imagenet16: last.imagenet16,
        cifar10Percentile: last.cifar10Percentile,
        cifar10Rank: table.rank(last.cell as string),
        skipEdges: last.skipEdges,
        alpha: rowsOf(arch).map((r) => [...r]),
        ...(partial ? { beta: arch[BETA].map((r) => [...r]) } : {}),
        ops: [...ops],
        edges: NB201_EDGES.map(edgeName),
      }),
      describe(cell) {
        try {
          return `NB201 CIFAR-10 ${table.accuracy(cell).cifar10.toFixed(2)}%`;
        } catch {
          return undefined; // a cell outside the table: nothing to add
        }
      },
      epochHighlights: (r) => [`NB201 C10 ${(r.cifar10 as number).toFixed(2)}%`, `skip ${r.skipEdges}`],
      report(s) {
        const pct = (x: unknown) => `${(x as number).toFixed(2)}%`;
        return [
          `NAS-Bench-201 test accuracy: CIFAR-10 ${pct(s.cifar10)}, CIFAR-100 ${pct(s.cifar100)}, ` +
          `ImageNet16-120 ${pct(s.imagenet16)}`,
          `CIFAR-10 rank ${s.cifar10Rank} of 15625 (percentile ${
            (s.cifar10Percentile as number).toFixed(2)
          }), ` +
          `${s.skipEdges} skip_connect edge(s)`,
        ];
      },
    };
  },
};
