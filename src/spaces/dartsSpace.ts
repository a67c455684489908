/**
 * The DARTS CNN space and its variants (RobustDARTS' S1–S4, Beta-DARTS' s5, the 3-op space of the
 * paper's Fig. 5) as search spaces of the loop: α_normal and α_reduce [14 edges, ops] (plus PC-DARTS'
 * edge scores β_normal and β_reduce with partial channels), the search network of `supernet/darts.ts`,
 * DARTS' derive rule, genotypes in DARTS' own Python form, and per epoch the skip_connect count of each
 * cell, α statistics per cell type and the smallest top-2 β gap. No benchmark: a genotype's accuracy
 * needs training from scratch.
 * @module
 */
import { CLASSIFICATION } from "../tasks/classification.ts";
import * as tf from "../deps/tfjs_core.ts";
import { alphaStats, softmaxRows } from "../metrics/architecture.ts";
import { nameSeed } from "../ops/params.ts";
import { boolean, integer } from "../search/valueChecks.ts";
import { createDartsSupernet, dartsForward, edgeSoftmax } from "../supernet/darts.ts";
import {
  countDartsOp,
  DARTS_EDGES,
  type DartsAlpha,
  dartsEpochStats,
  formatDartsGenotype,
  parseDartsGenotype,
  pcDartsEdgeWeights,
} from "./darts.ts";
import { DARTS_CELL_TYPES, type DartsCellType, type DartsOpTable, dartsOpTable } from "./dartsSpaces.ts";
import {
  type ArchParamSpec,
  archTable,
  type ArchValues,
  type SearchSpace,
  type SpacePreset,
  type SpaceRun,
} from "./space.ts";

/** The DARTS search network's shape in a config. */
export type DartsModelConfig = {
  /** C of the first cells (doubles at each reduction). */
  channels: number;
  /** Cells; reductions at ⌊layers/3⌋ and ⌊2·layers/3⌋. */
  layers: number;
  /**
   * Recompute each cell's activations in the backward pass instead of keeping them (gradient
   * checkpointing): a train step then holds about a third of the memory, for ~1.3× its time; the
   * gradients equal the stored ones up to float rounding. For the paper size on wasm, whose memory ends at
   * 4 GiB. Default false.
   */
  recompute?: boolean;
};

const NO_AUGMENT = { augment: false, cutout: 0, splitSeed: 0 };

/** The DARTS-space presets (SPECS §2.4: the optimizer settings are the methods', as on NB201). */
export const DARTS_PRESETS: Readonly<Record<string, Readonly<SpacePreset<DartsModelConfig>>>> = {
  smoke: {
    description: "seconds: C=4, 3 cells, 512 shipped images pooled to 8x8, batch 32, 3 epochs (tests)",
    epochs: 3,
    model: { channels: 4, layers: 3 },
    data: { format: "sadarts", limit: 512, downsample: 1, batchSize: 32, ...NO_AUGMENT },
    evaluate: true,
  },
  cpu: {
    description:
      "minutes: C=8, 5 cells, the shipped 10k CIFAR-10 images at 16x16 split 5k/5k, batch 64, 20 epochs",
    epochs: 20,
    model: { channels: 8, layers: 5 },
    data: { format: "sadarts", downsample: 0, batchSize: 64, ...NO_AUGMENT },
    evaluate: true,
  },
  paper: {
    description: "DARTS' setting (SPECS §2.4): C=16, 8 cells, full CIFAR-10 32x32 split 25k/25k, batch 64, " +
      "pad-4 crop + flip, 50 epochs; needs a GPU and the official CIFAR-10 binaries (on wasm, whose memory " +
      "ends at 4 GiB, add --recompute)",
    epochs: 50,
    model: { channels: 16, layers: 8 },
    data: { format: "cifar10", downsample: 0, batchSize: 64, ...NO_AUGMENT, augment: true },
    evaluate: true,
  },
};

/** Upper bounds on the model's counts, against typos (far beyond any real supernet). */
const MODEL_BOUNDS = { channels: 1024, layers: 100 };

/** The name of a cell type's op scores (α) and edge scores (PC-DARTS' β). */
const alphaName = (type: DartsCellType) => `alpha_${type}`;
const betaName = (type: DartsCellType) => `beta_${type}`;
const EDGE_COLUMN = ["edge"];

/** The rows of a DARTS run's architecture values: α per cell type, and β when partial channels are on. */
function dartsAlpha(arch: ArchValues): DartsAlpha {
  return { normal: arch.alpha_normal as number[][], reduce: arch.alpha_reduce as number[][] };
}

/** Per-node softmax of a cell type's edge scores (stored as a [14, 1] matrix). */
function edgeWeights(arch: ArchValues, type: DartsCellType): number[] {
  return pcDartsEdgeWeights(arch[betaName(type)].map((row) => row[0]));
}

/** A DARTS-family space with the op lists of `table` on its edges. */
function dartsFamilySpace(
  name: string,
  description: string,
  table: DartsOpTable,
): SearchSpace<DartsModelConfig> {
  const ops = [...new Set(DARTS_CELL_TYPES.flatMap((t) => table[t].flat()))];
  const space: SearchSpace<DartsModelConfig> = {
    name,
    description,
    presets: DARTS_PRESETS,
    cellsOption: "layers",
    comparisonColumns: ["normalSkips", "reduceSkips", "minTop2Gap"],
    modelChecks: {
      channels: (n, v) => integer(n, v, 1, MODEL_BOUNDS.channels),
      layers: (n, v) => integer(n, v, 3, MODEL_BOUNDS.layers),
      recompute: (n, v) => v === undefined || boolean(n, v),
    },
    ops,
    check({ model, partialChannels = 1 }) {
      // The cells' C: channels, doubled at each of the two reductions.
      for (const c of [model.channels, 2 * model.channels, 4 * model.channels]) {
        if (c % partialChannels !== 0) {
          throw new Error(
            `partialChannels (PC-DARTS' K) ${partialChannels} does not divide the ${c} channels of the ${name} ` +
              `space's cells (C = ${model.channels}, doubled at each reduction): choose a K that divides ${model.channels}`,
          );
        }
      }
    },
    open({ model, partialChannels }): SpaceRun {
      space.check({ model, partialChannels });
      const partial = partialChannels !== undefined && partialChannels > 1;
      const rows = DARTS_EDGES.map((e) => e.label);
      const archParams: ArchParamSpec[] = [
        ...DARTS_CELL_TYPES.map((t) => ({
          name: alphaName(t),
          role: "ops" as const,
          rows,
          columns: table[t],
        })),
        ...(partial
          ? DARTS_CELL_TYPES.map((t) => ({
            name: betaName(t),
            role: "edges" as const,
            rows,
            columns: rows.map(() => EDGE_COLUMN),
          }))
          : []),
      ];
      const derive = (arch: ArchValues) =>
        dartsEpochStats(dartsAlpha(arch), {
          space: table,
          edgeWeights: partial
            ? { normal: edgeWeights(arch, "normal"), reduce: edgeWeights(arch, "reduce") }
            : undefined,
        });
      return {
        archParams,
        task: CLASSIFICATION,
        createSupernet(store, input) {
          const net = createDartsSupernet(store, {
            channels: model.channels,
            layers: model.layers,
            recompute: model.recompute,
            ...input,
            ops: { normal: table.normal, reduce: table.reduce },
            partialChannels: partialChannels ?? 1,
          });
          const cellWeights = (w: Readonly<Record<string, tf.Tensor2D>>, t: DartsCellType) => ({
            ops: w[alphaName(t)],
            edges: partial ? edgeSoftmax(tf.reshape(w[betaName(t)], [-1]) as tf.Tensor1D) : undefined,
          });
          return {
            store,
            forward: (x, w, mode, ctx) =>
              dartsForward(
                net,
                x,
                { normal: cellWeights(w, "normal"), reduce: cellWeights(w, "reduce") },
                mode,
                {
                  // The noise op (S4) draws from the run's seed and the step's place in the search.
                  noiseSeed: ctx &&
                    nameSeed(
                      ctx.seed,
                      `noise/${ctx.epoch}/${ctx.step}/${ctx.draw ?? 0}/${ctx.training ? 1 : 0}`,
                    ),
                },
              ),
          };
        },
        derive: (arch) => formatDartsGenotype(derive(arch).genotype),
        record(arch) {
          const s = derive(arch);
          const stats = (t: DartsCellType) => {
            const a = alphaStats(arch[alphaName(t)]);
            const top = softmaxRows(arch[alphaName(t)]).map((r) => Math.max(...r));
            return { mean: a.mean, std: a.std, betaMax: top.reduce((x, y) => x + y, 0) / top.length };
          };
          const normal = stats("normal");
          const reduce = stats("reduce");
          return {
            cell: formatDartsGenotype(s.genotype),
            normalSkips: s.normalSkips,
            reduceSkips: s.reduceSkips,
            alphaNormalMean: normal.mean,
            alphaNormalStd: normal.std,
            betaNormalMax: normal.betaMax,
            alphaReduceMean: reduce.mean,
            alphaReduceStd: reduce.std,
            betaReduceMax: reduce.betaMax,
            minTop2Gap: s.minTop2Gap,
            closestEdge: s.closestEdge,
          };
        },
        alphaRows: (epoch, arch) =>
          // β of an edge score is its weight among the node's incoming edges (≥ 2 parameters: rows named).
          archTable(epoch, archParams, arch, (spec, values) =>
            spec.role === "ops"
              ? softmaxRows(values)
              : pcDartsEdgeWeights(values.map((r) =>
                r[0]
              )).map((w) => [w])),
        summary: (last, arch) => ({
          normalSkips: last.normalSkips,
          reduceSkips: last.reduceSkips,
          arch: Object.fromEntries(archParams.map((p) => [p.name, arch[p.name].map((r) => [...r])])),
        }),
        describe(cell) {
          try {
            const skips = countDartsOp(parseDartsGenotype(cell, { space: table }));
            return `skip_connect ×${skips.normal} normal, ×${skips.reduce} reduce`;
          } catch {
            return undefined; // not a genotype of this space: nothing to add
          }
        },
        epochHighlights: (r) => [`skip ${r.normalSkips} normal, ${r.reduceSkips} reduce`],
        report: (
          s,
        ) => [
          `skip_connect kept: ${s.normalSkips} in the normal cell, ${s.reduceSkips} in the reduction cell`,
        ],
      };
    },
  };
  return space;
}

/** The DARTS-family spaces, by name. */
export const DARTS_FAMILY_SPACES: Readonly<Record<string, SearchSpace<DartsModelConfig>>> = {
  darts: dartsFamilySpace(
    "darts",
    "DARTS CNN: 14 edges per cell, 8 ops, normal and reduction cells",
    dartsOpTable("darts"),
  ),
  s1: dartsFamilySpace(
    "s1",
    "RobustDARTS S1: DARTS cells, each edge its own pair of ops",
    dartsOpTable("s1"),
  ),
  s2: dartsFamilySpace(
    "s2",
    "RobustDARTS S2: DARTS cells, {skip_connect, sep_conv_3x3} on every edge",
    dartsOpTable("s2"),
  ),
  s3: dartsFamilySpace(
    "s3",
    "RobustDARTS S3: DARTS cells, {none, skip_connect, sep_conv_3x3} on every edge",
    dartsOpTable("s3"),
  ),
  s4: dartsFamilySpace(
    "s4",
    "RobustDARTS S4: DARTS cells, {noise, sep_conv_3x3} on every edge",
    dartsOpTable("s4"),
  ),
  "darts-3op": dartsFamilySpace(
    "darts-3op",
    "the paper's Fig. 5 space: DARTS cells, {sep_conv_3x3, skip_connect, avg_pool_3x3} on every edge",
    dartsOpTable("darts-3op"),
  ),
};
