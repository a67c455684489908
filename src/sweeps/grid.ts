/**
 * A sweep's grid, as data: spaces × methods × method-option values × variants × seeds, expanded into the
 * search configs it runs. Which machine runs them is the executor's business (./local.ts: processes on
 * this one), never the grid's.
 * @module
 */
import {
  type MethodConfig,
  type SearchConfig,
  searchConfig,
  type SearchConfigOptions,
} from "../search/config.ts";
import { runName } from "../search/cache.ts";

/** One variant of a grid: config fields set on top of the grid's, under a label. */
export interface SweepVariant extends Omit<SearchConfigOptions, "space" | "method" | "seed" | "preset"> {
  /** The variant's name in group labels (default: its fields, e.g. `epochs=30`). */
  label?: string;
}

/** A sweep's grid: every combination of its lists is one group, and each group runs every seed. */
export interface SweepGrid {
  /** The sweep's name, for its table and messages (default `sweep`). */
  name?: string;
  /** Search spaces (default `["nb201"]`). */
  spaces?: string[];
  /** Methods (keys of `METHODS`), at least one. */
  methods: string[];
  /** Seeds each group runs, at least one. */
  seeds: number[];
  /** The preset every run starts from (default `cpu`). */
  preset?: string;
  /**
   * Method options to cross: each a list of values, e.g. `{ "nu": [0, 0.5, 1], "mu": [1e6] }` gives three
   * groups per method (default none: the methods' own settings).
   */
  methodOptions?: Record<string, unknown[]>;
  /** Config fields every run takes (epochs, data, model, method options not crossed). */
  base?: Omit<SearchConfigOptions, "space" | "method" | "seed" | "preset">;
  /** Variants crossed with the rest, e.g. two λ schedules or two supernet widths (default one: none). */
  variants?: SweepVariant[];
  /** Epochs of the comparison table (default: each run's last; e.g. `[10, 20]`). */
  tableEpochs?: number[];
}

/** One run of a sweep. */
export interface SweepRun {
  /** Its group: what it shares with the other seeds, e.g. `sa nu=0.5` (seeds are not part of it). */
  group: string;
  config: SearchConfig;
  /** Its run folder's name (`runName`): the one `deno task search` and `cachedSearch` use. */
  name: string;
}

const GRID_FIELDS = [
  "name",
  "spaces",
  "methods",
  "seeds",
  "preset",
  "methodOptions",
  "base",
  "variants",
  "tableEpochs",
];

function fail(what: string): never {
  throw new Error(`sweep grid: ${what}`);
}

function list<T>(field: string, v: unknown, check?: (x: unknown) => boolean): T[] {
  if (!Array.isArray(v) || v.length === 0) {
    fail(`"${field}" must be a non-empty list, got ${JSON.stringify(v)}`);
  }
  if (check && !v.every(check)) fail(`"${field}" has a value of the wrong type: ${JSON.stringify(v)}`);
  return v as T[];
}

/** A value as group labels show it: numbers and strings as is, objects as compact `k:v` pairs. */
function labelValue(v: unknown): string {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    return Object.entries(v).map(([k, x]) => `${k}:${labelValue(x)}`).join(",");
  }
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Every combination of the lists in `axes`, in order (the first axis varies slowest). */
function product(axes: [string, unknown[]][]): Record<string, unknown>[] {
  return axes.reduce<Record<string, unknown>[]>(
    (points, [k, values]) => points.flatMap((p) => values.map((v) => ({ ...p, [k]: v }))),
    [{}],
  );
}

function merge<T extends Record<string, unknown>>(a: T | undefined, b: T | undefined): T | undefined {
  return a === undefined ? b : b === undefined ? a : { ...a, ...b };
}

/**
 * The runs of `grid`, groups in grid order (space, method, method options, variant), seeds within each;
 * every config is validated here (an unknown method, option or preset fails before anything runs).
 * @example
 * ```ts
 * import { expandGrid } from "./grid.ts";
 * const runs = expandGrid({ methods: ["sa"], seeds: [0, 1], preset: "smoke", methodOptions: { nu: [0, 1] } });
 * console.assert(runs.length === 4);
 * console.assert(runs[0].group === "sa nu=0" && runs[3].group === "sa nu=1" && runs[3].config.seed === 1);
 * ```
 */
export function expandGrid(grid: SweepGrid): SweepRun[] {
  if (grid === null || typeof grid !== "object" || Array.isArray(grid)) fail("must be a JSON object");
  const unknown = Object.keys(grid).filter((k) => !GRID_FIELDS.includes(k));
  if (unknown.length) {
    fail(`unknown field(s) ${unknown.map((k) => `"${k}"`).join(", ")}: use ${GRID_FIELDS.join(", ")}`);
  }
  const spaces = grid.spaces === undefined
    ? [undefined]
    : list<string>("spaces", grid.spaces, (x) => typeof x === "string");
  const methods = list<string>("methods", grid.methods, (x) => typeof x === "string");
  const seeds = list<number>("seeds", grid.seeds, (x) => Number.isInteger(x) && (x as number) >= 0);
  if (new Set(seeds).size !== seeds.length) fail(`"seeds" repeats a seed: ${JSON.stringify(seeds)}`);
  const axes = Object.entries(grid.methodOptions ?? {}).map((
    [k, v],
  ) => [k, list(`methodOptions.${k}`, v)]) as [
    string,
    unknown[],
  ][];
  const variants = grid.variants === undefined ? [undefined] : list<SweepVariant>("variants", grid.variants);
  if (grid.tableEpochs !== undefined) {
    list("tableEpochs", grid.tableEpochs, (x) => Number.isInteger(x) && (x as number) >= 0);
  }
  const runs: SweepRun[] = [];
  const groups = new Set<string>();
  for (const space of spaces) {
    for (const method of methods) {
      for (const point of product(axes)) {
        for (const variant of variants) {
          const { label, ...fields } = variant ?? {};
          const group = [
            ...(spaces.length > 1 && space ? [space] : []),
            method,
            ...Object.entries(point).map(([k, v]) => `${k}=${labelValue(v)}`),
            ...(variant
              ? [label ?? Object.entries(fields).map(([k, v]) => `${k}=${labelValue(v)}`).join(" ")]
              : []),
          ].join(" ");
          if (groups.has(group)) fail(`two groups are both "${group}": give the variants distinct labels`);
          groups.add(group);
          for (const seed of seeds) {
            const options: SearchConfigOptions = {
              ...grid.base,
              ...fields,
              model: merge(grid.base?.model, fields.model),
              data: merge(grid.base?.data, fields.data),
              methodOptions: {
                ...grid.base?.methodOptions,
                ...fields.methodOptions,
                ...point,
              } as MethodConfig,
              ...(space ? { space } : {}),
              method,
              seed,
              preset: grid.preset ?? "cpu",
            };
            for (const k of ["model", "data"] as const) if (options[k] === undefined) delete options[k];
            let config: SearchConfig;
            try {
              config = searchConfig(options);
            } catch (e) {
              fail(`group "${group}", seed ${seed}: ${(e as Error).message}`);
            }
            runs.push({ group, config, name: runName(config) });
          }
        }
      }
    }
  }
  const names = new Map<string, string>();
  for (const r of runs) {
    const other = names.get(r.name);
    if (other !== undefined) {
      fail(`groups "${other}" and "${r.group}" are the same config (run ${r.name}): drop one`);
    }
    names.set(r.name, r.group);
  }
  return runs;
}

/** Read a grid from a JSON file, with errors that name the file. */
export async function loadGrid(path: string): Promise<SweepGrid> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`sweep grid ${path}: cannot read it (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text) as SweepGrid;
  } catch (e) {
    throw new Error(`sweep grid ${path}: not valid JSON (${(e as Error).message})`);
  }
}
