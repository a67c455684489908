/**
 * The candidate operations of the DARTS CNN cell space and of its variants, as data: one op list per edge
 * (14 edges, DARTS' node-major order, see `darts.ts`), separately for the normal and the reduction cell,
 * in α's column order. Pure: no tensors.
 *
 * | name | every edge (normal and reduce) | source |
 * |---|---|---|
 * | `darts` | the 8 PRIMITIVES: none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5 | quark0/darts `cnn/genotypes.py` |
 * | `s1` | two ops, chosen per edge and per cell type (RobustDARTS' S1) | Beta-DARTS `sota/cnn/spaces.py` (SPECS §5) |
 * | `s2` | skip_connect, sep_conv_3x3 | idem |
 * | `s3` | none, skip_connect, sep_conv_3x3 | idem |
 * | `s4` | noise, sep_conv_3x3 | idem |
 * | `s5` | the PRIMITIVES without none (Beta-DARTS' default DARTS space) | idem |
 * | `darts-3op` | sep_conv_3x3, skip_connect, avg_pool_3x3 (the SA-DARTS paper's reduced space, §2.2 and Fig. 5) | the paper |
 *
 * @module
 */
import { didYouMean } from "../search/didYouMean.ts";

/** DARTS' PRIMITIVES in their order (α's column order in the `darts` space), as `cnn/genotypes.py`. */
export const DARTS_PRIMITIVES = [
  "none",
  "max_pool_3x3",
  "avg_pool_3x3",
  "skip_connect",
  "sep_conv_3x3",
  "sep_conv_5x5",
  "dil_conv_3x3",
  "dil_conv_5x5",
] as const;
/** One of DARTS' PRIMITIVES. */
export type DartsPrimitive = typeof DARTS_PRIMITIVES[number];

/**
 * Every op a DARTS-space cell may hold: the PRIMITIVES and RobustDARTS' `noise` (S4: fresh N(0, 1) noise
 * of the input's shape, SPECS §5).
 */
export const DARTS_KNOWN_OPS = [...DARTS_PRIMITIVES, "noise"] as const;
/** An op of {@link DARTS_KNOWN_OPS}. */
export type DartsKnownOp = typeof DARTS_KNOWN_OPS[number];

/** The two cell types of the DARTS space. */
export const DARTS_CELL_TYPES = ["normal", "reduce"] as const;
/** `normal` or `reduce` (the reduction cell), as DARTS' `Genotype` fields name them. */
export type DartsCellType = typeof DARTS_CELL_TYPES[number];

/** Number of edges of a DARTS cell (4 intermediate nodes with 2, 3, 4, 5 inputs). */
export const DARTS_EDGE_COUNT = 14;

/**
 * The candidate ops of a space: per cell type, one list per edge (14, in DARTS' edge order), each in α's
 * column order. Lists may differ between edges (S1) but, as α is a matrix, have one length per cell.
 */
export interface DartsOpTable {
  readonly normal: readonly (readonly string[])[];
  readonly reduce: readonly (readonly string[])[];
}

const every = (ops: readonly string[]): DartsOpTable => ({
  normal: Array.from({ length: DARTS_EDGE_COUNT }, () => ops),
  reduce: Array.from({ length: DARTS_EDGE_COUNT }, () => ops),
});

/** RobustDARTS' S1 (SPECS §5 table; `primitives_1` of Beta-DARTS' `sota/cnn/spaces.py`). */
const S1: DartsOpTable = {
  normal: [
    ["skip_connect", "dil_conv_3x3"],
    ["skip_connect", "dil_conv_5x5"],
    ["skip_connect", "dil_conv_5x5"],
    ["skip_connect", "sep_conv_3x3"],
    ["skip_connect", "dil_conv_3x3"],
    ["max_pool_3x3", "skip_connect"],
    ["skip_connect", "sep_conv_3x3"],
    ["skip_connect", "sep_conv_3x3"],
    ["skip_connect", "dil_conv_3x3"],
    ["skip_connect", "sep_conv_3x3"],
    ["max_pool_3x3", "skip_connect"],
    ["skip_connect", "dil_conv_3x3"],
    ["dil_conv_3x3", "dil_conv_5x5"],
    ["dil_conv_3x3", "dil_conv_5x5"],
  ],
  reduce: [
    ["max_pool_3x3", "avg_pool_3x3"],
    ["max_pool_3x3", "dil_conv_3x3"],
    ["max_pool_3x3", "avg_pool_3x3"],
    ["max_pool_3x3", "avg_pool_3x3"],
    ["skip_connect", "dil_conv_5x5"],
    ["max_pool_3x3", "avg_pool_3x3"],
    ["max_pool_3x3", "sep_conv_3x3"],
    ["skip_connect", "dil_conv_3x3"],
    ["skip_connect", "dil_conv_5x5"],
    ["max_pool_3x3", "avg_pool_3x3"],
    ["max_pool_3x3", "avg_pool_3x3"],
    ["skip_connect", "dil_conv_5x5"],
    ["skip_connect", "dil_conv_5x5"],
    ["skip_connect", "dil_conv_5x5"],
  ],
};

/** The names of the spaces in {@link DARTS_OP_TABLES}. */
export const DARTS_SPACE_NAMES = ["darts", "s1", "s2", "s3", "s4", "s5", "darts-3op"] as const;
/** A name of {@link DARTS_SPACE_NAMES}. */
export type DartsSpaceName = typeof DARTS_SPACE_NAMES[number];

/** Every DARTS-type space's op table, by name (see the module's table). */
export const DARTS_OP_TABLES: Readonly<Record<DartsSpaceName, DartsOpTable>> = {
  darts: every(DARTS_PRIMITIVES),
  s1: S1,
  s2: every(["skip_connect", "sep_conv_3x3"]),
  s3: every(["none", "skip_connect", "sep_conv_3x3"]),
  s4: every(["noise", "sep_conv_3x3"]),
  s5: every(DARTS_PRIMITIVES.filter((op) => op !== "none")),
  "darts-3op": every(["sep_conv_3x3", "skip_connect", "avg_pool_3x3"]),
};

/**
 * The op table of the space called `name`; an unknown name is an error listing the spaces and the
 * closest one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dartsOpTable } from "./dartsSpaces.ts";
 * const s1 = dartsOpTable("s1");
 * assert.deepEqual(s1.normal[0], ["skip_connect", "dil_conv_3x3"]);
 * assert.deepEqual(s1.reduce[0], ["max_pool_3x3", "avg_pool_3x3"]);
 * assert.throws(() => dartsOpTable("S6"), /unknown DARTS search space "S6" \(did you mean "s1"\?\)/);
 * ```
 */
export function dartsOpTable(name: string): DartsOpTable {
  if (Object.hasOwn(DARTS_OP_TABLES, name)) return DARTS_OP_TABLES[name as DartsSpaceName];
  const close = didYouMean(name, DARTS_SPACE_NAMES);
  throw new Error(
    `unknown DARTS search space "${name}"${close ? ` (did you mean "${close}"?)` : ""}: choose one of ` +
      DARTS_SPACE_NAMES.join(", "),
  );
}

/**
 * A space given by name or as a table, checked ({@link validateOpTable}), with the name messages use
 * (`"custom"` for an unnamed table).
 */
export function resolveOpTable(space: string | DartsOpTable): { name: string; table: DartsOpTable } {
  if (typeof space === "string") return { name: space, table: dartsOpTable(space) };
  return { name: "custom", table: validateOpTable("custom", space) };
}

/**
 * Check a space's op table and return it: both cell types, 14 edges each, every op one of
 * {@link DARTS_KNOWN_OPS} and at most once per edge, one list length per cell type (α is a matrix). An
 * error names the space, the cell type, the edge and the op.
 */
export function validateOpTable(name: string, table: DartsOpTable): DartsOpTable {
  const fail = (why: string) => new Error(`DARTS search space "${name}": ${why}`);
  if (typeof table !== "object" || table === null) {
    throw fail("its op table must be an object { normal: string[][], reduce: string[][] }");
  }
  for (const cell of DARTS_CELL_TYPES) {
    const rows = (table as unknown as Record<string, unknown>)[cell];
    if (!Array.isArray(rows)) throw fail(`no ${cell} cell: give 14 op lists (one per edge) as "${cell}"`);
    if (rows.length !== DARTS_EDGE_COUNT) {
      throw fail(`the ${cell} cell has ${rows.length} op lists: give one per edge, 14`);
    }
    rows.forEach((ops: unknown, edge) => {
      if (!Array.isArray(ops) || ops.length === 0) {
        throw fail(`${cell} cell, edge ${edge}: give a non-empty list of op names`);
      }
      ops.forEach((op: unknown, k) => {
        if (typeof op !== "string" || !(DARTS_KNOWN_OPS as readonly string[]).includes(op)) {
          const close = typeof op === "string" ? didYouMean(op, DARTS_KNOWN_OPS) : undefined;
          throw fail(
            `${cell} cell, edge ${edge}: unknown op ${JSON.stringify(op)}` +
              `${close ? ` (did you mean "${close}"?)` : ""}: choose among ${DARTS_KNOWN_OPS.join(", ")}`,
          );
        }
        if (ops.indexOf(op) !== k) throw fail(`${cell} cell, edge ${edge}: op "${op}" is listed twice`);
      });
      if (ops.length !== rows[0].length) {
        throw fail(
          `${cell} cell, edge ${edge} has ${ops.length} ops and edge 0 has ${rows[0].length}: α is a ` +
            "matrix, so give every edge of a cell the same number of ops",
        );
      }
    });
  }
  return table;
}
