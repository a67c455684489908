/**
 * The loss landscape of a searched supernet over its architecture parameters (the paper's Fig. 5, after
 * Li et al. 2018): the validation loss and accuracy at α* + x·d₁ + y·d₂ on a grid, d₁ and d₂ random
 * directions normalized row by row to α*'s rows (the filter normalization of Li et al. applied to α, one
 * edge per "filter"), and a number for flatness: the mean loss rise over the grid points within a radius.
 * The supernet's weights stay those of the search's checkpoint.
 *
 * Rows are centred first: adding a constant to a row leaves softmax(α_row) unchanged, and SA-DARTS moves
 * every α down by a common amount (eq. 8's gradient is the same for every entry), so a direction scaled
 * to a raw row's norm would grow with that offset and draw SA's landscape sharper for a reason that does
 * not change the supernet. A direction row has mean 0 and the norm of its α* row minus that row's mean.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { batches, type ImageSet, nb201Split } from "../data/pipeline.ts";
import { loadSearchData } from "../data/searchData.ts";
import { loadCheckpoint } from "../runs/checkpoint.ts";
import { canonicalJson, runPaths } from "../runs/runFolder.ts";
import { checkSearchConfig, type SearchConfig } from "../search/config.ts";
import { buildSearchModel, evalSums, type SearchModel, type SearchState } from "../search/search.ts";
import { spaceByName } from "../spaces/mod.ts";

/** A search restored from its run folder's checkpoint: the model at its last epoch and its data. */
export interface RestoredSearch extends SearchModel {
  state: SearchState;
  data: ImageSet;
  /** The train / α halves (image indices). */
  split: { train: Int32Array; valid: Int32Array };
  /** Epochs the checkpoint holds. */
  epochsDone: number;
  /** Free the model's tensors. */
  dispose(): void;
}

/**
 * The supernet and architecture parameters of `config`'s run in `folder`, from its checkpoint.bin (the
 * run's config must be the one recorded there). Shipped records keep no checkpoint: the error says so.
 */
export async function restoreSearch(
  config: SearchConfig,
  folder: string,
  options: { data?: ImageSet; benchmark?: unknown } = {},
): Promise<RestoredSearch> {
  const method = checkSearchConfig(config);
  const path = runPaths(folder).checkpoint;
  const checkpoint = await loadCheckpoint<{ config?: SearchConfig; epochsDone: number }>(path);
  if (!checkpoint) {
    throw new Error(
      `${path} does not exist: the supernet's weights are only in a run folder's checkpoint (shipped records ` +
        `keep none); run the search there first (deno task search --config ${folder}/config.json --out ${folder} --resume)`,
    );
  }
  if (checkpoint.state.config && canonicalJson(checkpoint.state.config) !== canonicalJson(config)) {
    for (const t of Object.values(checkpoint.tensors)) t.dispose();
    throw new Error(`${path} holds another config's run: give the config of ${folder}/config.json`);
  }
  const space = spaceByName(config.space).open({
    model: config.model,
    benchmark: options.benchmark,
    partialChannels: method.partialChannels,
  });
  const data = options.data ?? await loadSearchData(config.data);
  const built = buildSearchModel(config, method, space, data);
  const dispose = () => {
    built.store.dispose();
    built.archStore.dispose();
  };
  try {
    const assign = (v: tf.Variable, key: string) => {
      const t = checkpoint.tensors[key];
      if (!t) throw new Error(`${path} has no tensor ${key}: is it a checkpoint of this space?`);
      if (t.shape.join() !== v.shape.join()) {
        throw new Error(`${path}: ${key} is [${t.shape}], the model's is [${v.shape}]`);
      }
      v.assign(t);
    };
    for (const [name, v] of Object.entries(built.arch)) assign(v, `arch/${name}`);
    for (const [name, v] of built.net.store.entries()) assign(v, `w/${name}`);
  } catch (e) {
    dispose();
    throw e;
  } finally {
    for (const t of Object.values(checkpoint.tensors)) t.dispose();
  }
  return {
    ...built,
    state: { config, method, space, net: built.net, arch: built.arch },
    data,
    split: nb201Split(data.count, config.data.splitSeed),
    epochsDone: checkpoint.state.epochsDone,
    dispose,
  };
}

/** A 32-bit LCG's standard normals, seeded (the directions depend on the seed alone). */
function normals(n: number, seed: number): number[] {
  let s = (seed * 2654435761 + 0x9e3779b9) >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

/**
 * A random direction shaped like `values` (rows of each parameter): each row centred (mean 0, the part
 * softmax sees) and scaled to the norm of the same row of `values` minus its mean (a constant row gives 0).
 * @example
 * ```ts
 * import { normalizedDirection } from "./landscape.ts";
 * const d = normalizedDirection({ alpha: [[3, 4], [-2, -2]] }, 1);
 * console.assert(Math.abs(Math.hypot(...d.alpha[0]) - Math.SQRT1_2) < 1e-12); // ‖[−0.5, 0.5]‖
 * console.assert(Math.abs(d.alpha[0][0] + d.alpha[0][1]) < 1e-12 && Math.hypot(...d.alpha[1]) === 0);
 * ```
 */
export function normalizedDirection(
  values: Record<string, number[][]>,
  seed: number,
): Record<string, number[][]> {
  let k = 0;
  return Object.fromEntries(
    Object.entries(values).map(([name, rows]) => [
      name,
      rows.map((row) => {
        const centred = (v: number[]) => {
          const mean = v.reduce((s, x) => s + x, 0) / v.length;
          return v.map((x) => x - mean);
        };
        const d = centred(normals(row.length, seed * 1_000_003 + k++));
        const norm = Math.hypot(...d);
        const scale = norm > 0 ? Math.hypot(...centred(row)) / norm : 0;
        return d.map((x) => x * scale);
      }),
    ]),
  );
}

/** Options of {@link archLandscape}. */
export interface LandscapeOptions {
  /** Grid points per axis, odd so that α* is one of them (default 21). */
  steps?: number;
  /** The grid spans [−radius, radius] in units of the normalized directions (default 1). */
  radius?: number;
  /** Images of the α half evaluated at each point: the first of the split (default 512). */
  images?: number;
  /** Seed of the two directions (default 0). */
  seed?: number;
  /** Called after each grid row, e.g. for progress: rows done of all. */
  onRow?: (done: number, rows: number) => void;
}

/** A landscape: the coordinates of each axis and, per point [i][j] (x = coordinates[i], y = [j]), loss and score. */
export interface Landscape {
  coordinates: number[];
  loss: number[][];
  /** The task's score (classification: accuracy in %). */
  score: number[][];
  /** The two directions, by parameter (rows as α's). */
  directions: [Record<string, number[][]>, Record<string, number[][]>];
}

/**
 * The validation loss and score of `restored`'s supernet (eval mode: BN's running statistics) over a grid
 * around its architecture parameters; α is restored afterwards.
 */
export function archLandscape(restored: RestoredSearch, options: LandscapeOptions = {}): Landscape {
  const { steps = 21, radius = 1, images = 512, seed = 0 } = options;
  if (!(Number.isInteger(steps) && steps >= 3 && steps % 2 === 1)) {
    throw new Error(`landscape: steps must be an odd integer ≥ 3 (α* in the middle), got ${steps}`);
  }
  if (!(radius > 0)) throw new Error(`landscape: radius must be > 0, got ${radius}`);
  const { state, data, split } = restored;
  const { arch, config } = state;
  const center = Object.fromEntries(Object.entries(arch).map(([k, v]) => [k, v.arraySync() as number[][]]));
  const directions: Landscape["directions"] = [
    normalizedDirection(center, seed),
    normalizedDirection(center, seed + 1),
  ];
  const indices = split.valid.subarray(0, Math.min(images, split.valid.length));
  const fixed = [
    ...batches({ ...data, indices, batchSize: config.data.batchSize, shuffle: false, dropLast: false }),
  ];
  const coordinates = Array.from({ length: steps }, (_, i) => -radius + (2 * radius * i) / (steps - 1));
  const loss: number[][] = [];
  const score: number[][] = [];
  try {
    for (const x of coordinates) {
      const lossRow: number[] = [];
      const scoreRow: number[] = [];
      for (const y of coordinates) {
        for (const [name, v] of Object.entries(arch)) {
          const moved = tf.tensor(
            center[name].map((row, r) =>
              row.map((a, c) => a + x * directions[0][name][r][c] + y * directions[1][name][r][c])
            ),
          );
          v.assign(moved);
          moved.dispose();
        }
        const sums = tf.tidy(() =>
          tf.addN(
            fixed.map((b, step) =>
              evalSums(state, b, { epoch: restored.epochsDone, step, seed: config.seed, training: false })
            ),
          )
        );
        const [l, s] = sums.dataSync();
        sums.dispose();
        lossRow.push(l / indices.length);
        scoreRow.push(s / indices.length);
      }
      loss.push(lossRow);
      score.push(scoreRow);
      options.onRow?.(loss.length, steps);
    }
  } finally {
    for (const [name, v] of Object.entries(arch)) {
      const t = tf.tensor(center[name]);
      v.assign(t);
      t.dispose();
    }
    for (const b of fixed) {
      b.x.dispose();
      b.y.dispose();
    }
  }
  return { coordinates, loss, score, directions };
}

/**
 * Flatness as a number: the mean rise of the loss over α*'s, over the grid points within `radius` of
 * α* (the centre excluded). Smaller is flatter.
 * @example
 * ```ts
 * import { flatness } from "./landscape.ts";
 * const c = [-1, 0, 1];
 * const bowl = { coordinates: c, loss: c.map((x) => c.map((y) => x * x + y * y)) };
 * console.assert(flatness(bowl, 1) === 1); // the 4 neighbours at distance 1 rise by 1
 * ```
 */
export function flatness(landscape: Pick<Landscape, "coordinates" | "loss">, radius: number): number {
  const { coordinates: c, loss } = landscape;
  const mid = (c.length - 1) / 2;
  const base = loss[mid][mid];
  let sum = 0;
  let n = 0;
  c.forEach((x, i) =>
    c.forEach((y, j) => {
      if ((i === mid && j === mid) || Math.hypot(x, y) > radius + 1e-12) return;
      sum += loss[i][j] - base;
      n++;
    })
  );
  if (n === 0) throw new Error(`flatness: no grid point within radius ${radius} but the centre`);
  return sum / n;
}
