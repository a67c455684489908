/**
 * The DARTS CNN cell space's pure parts (quark0/darts `cnn/`; SPECS §2.2–2.3, §3, §5, §11): the edge
 * topology, genotypes in DARTS' own Python form, the published genotypes, the derive rule (with
 * PC-DARTS' edge weights) and the statistics a search records per epoch. No tensors.
 *
 * A cell has two inputs, `c_{k-2}` and `c_{k-1}` (the outputs of the two previous cells), and 4
 * intermediate nodes; node i sums one mixed op per earlier state (2 + i inputs), 14 edges in all, in
 * node-major order: node 0 ← c_{k-2}, c_{k-1} (edges 0–1); node 1 ← c_{k-2}, c_{k-1}, node 0 (2–4);
 * node 2 (5–8); node 3 (9–13). A genotype names an input by its index among the states:
 * 0 = c_{k-2}, 1 = c_{k-1}, 2 + j = node j. The cell's output `c_{k}` concatenates nodes 0–3
 * (states 2–5, DARTS' `concat`).
 *
 * Edge labels, for tables (the `edge` column of `alpha.csv`) and legends: `n<node><-<input>` with inputs
 * written `c_{k-2}`, `c_{k-1}`, `n0` … `n3`, e.g. `n0<-c_{k-2}`, `n3<-n1`. The `n` keeps them apart from
 * genotype indices (in a genotype, input 2 is node 0); the braces are those of DARTS' figures. No label
 * holds a comma, quote or space, so a CSV needs no quoting.
 * @module
 */
import { didYouMean } from "../search/didYouMean.ts";
import { dartsEdges, nodeEdgeRanges } from "../supernet/dartsTopology.ts";
import { closestEdge as closestRow, softmaxRows } from "../metrics/architecture.ts";
import {
  DARTS_CELL_TYPES,
  DARTS_EDGE_COUNT,
  DARTS_KNOWN_OPS,
  type DartsCellType,
  type DartsOpTable,
  resolveOpTable,
} from "./dartsSpaces.ts";

export * from "./dartsSpaces.ts";

// ---------------------------------------------------------------------------------------------------
// Topology

/** Number of intermediate nodes of a DARTS cell. */
export const DARTS_NODES = 4;

/** Names of the states a genotype's input index points at: c_{k-2}, c_{k-1}, n0 … n3. */
export const DARTS_STATE_NAMES: readonly string[] = ["c_{k-2}", "c_{k-1}", "n0", "n1", "n2", "n3"];

/** An edge of a DARTS cell: intermediate node `node` receives a mixed op of state `input`. */
export interface DartsEdge {
  /** Position in α's rows (0–13). */
  readonly index: number;
  /** The receiving intermediate node (0–3). */
  readonly node: number;
  /** The state it reads, as a genotype's input index: 0 = c_{k-2}, 1 = c_{k-1}, 2 + j = node j. */
  readonly input: number;
  /** Its label, e.g. `n1<-c_{k-1}` (see the module's doc). */
  readonly label: string;
}

/** Per node, the [start, end) rows of its incoming edges: [0, 2], [2, 5], [5, 9], [9, 14]. */
const NODE_ROWS = nodeEdgeRanges(DARTS_NODES);

/** Row offset of node `node`'s first edge: 0, 2, 5, 9. */
const nodeOffset = (node: number) => NODE_ROWS[node][0];

/** The 14 edges in α's row order (node-major; within a node, by input index): the supernet's. */
export const DARTS_EDGES: readonly DartsEdge[] = dartsEdges(DARTS_NODES).map(({ from, to }, index) => ({
  index,
  node: to,
  input: from,
  label: `n${to}<-${DARTS_STATE_NAMES[from]}`,
}));

/**
 * The row of the edge into intermediate node `node` (0–3) from state `input` (0 = c_{k-2}, 1 = c_{k-1},
 * 2 + j = node j, below 2 + node).
 */
export function dartsEdgeIndex(node: number, input: number): number {
  if (!Number.isInteger(node) || node < 0 || node >= DARTS_NODES) {
    throw new Error(`dartsEdgeIndex: node ${node} does not exist: intermediate nodes are 0 to 3`);
  }
  if (!Number.isInteger(input) || input < 0 || input >= node + 2) {
    throw new Error(
      `dartsEdgeIndex: node ${node} has no input ${input}: its inputs are ${inputChoices(node)}`,
    );
  }
  return nodeOffset(node) + input;
}

/** The edge at α row `index` (0–13), or with label `label` (e.g. `n2<-n0`). */
export function dartsEdge(which: number | string): DartsEdge {
  if (typeof which === "number") {
    const e = DARTS_EDGES[which];
    if (!Number.isInteger(which) || e === undefined) {
      throw new Error(`dartsEdge: no edge ${which}: a DARTS cell's edges are 0 to 13`);
    }
    return e;
  }
  const e = DARTS_EDGES.find((d) => d.label === which);
  if (e === undefined) {
    const close = didYouMean(which, DARTS_EDGES.map((d) => d.label));
    throw new Error(
      `dartsEdge: no edge labelled "${which}"${close ? ` (did you mean "${close}"?)` : ""}: labels are ` +
        `n<node><-<input>, e.g. ${DARTS_EDGES[0].label}, ${DARTS_EDGES[13].label}`,
    );
  }
  return e;
}

function inputChoices(node: number): string {
  return DARTS_STATE_NAMES.slice(0, node + 2).map((name, i) => `${i} (${name})`).join(", ");
}

// ---------------------------------------------------------------------------------------------------
// Genotypes

/** One kept edge of a derived cell: its op and its input (a state index, as in DARTS' genotypes). */
export type DartsGene = readonly [op: string, input: number];

/**
 * A derived DARTS architecture, as DARTS' `Genotype` namedtuple: per cell type two (op, input) pairs per
 * intermediate node (8, node by node), and the states concatenated into the cell's output.
 */
export interface DartsGenotype {
  readonly normal: readonly DartsGene[];
  readonly normalConcat: readonly number[];
  readonly reduce: readonly DartsGene[];
  readonly reduceConcat: readonly number[];
}

/** The concat of every derived DARTS cell: nodes 0–3 (states 2–5). */
export const DARTS_CONCAT: readonly number[] = [2, 3, 4, 5];

/** Options of {@link parseDartsGenotype} and {@link checkDartsGenotype}. */
export interface DartsGenotypeOptions {
  /**
   * Also check the genotype against a space (a name of `DARTS_SPACE_NAMES` or a table): each kept op must
   * be among the ops of its edge. Default: any op of `DARTS_KNOWN_OPS` on any edge.
   */
  space?: string | DartsOpTable;
}

const CONCAT_FIELD = { normal: "normalConcat", reduce: "reduceConcat" } as const;

/**
 * Check that `g` is a DARTS-space genotype and return it: 8 (op, input) pairs per cell, pair k belongs to
 * node ⌊k/2⌋ and reads a state before it, a node's two inputs differ, every op is known (never `none`,
 * which DARTS' derive never keeps) and, with `o.space`, among its edge's ops; each concat is a non-empty
 * list of distinct states (0–5). `who` starts the error messages.
 */
export function checkDartsGenotype(
  g: DartsGenotype,
  o: DartsGenotypeOptions = {},
  who = "checkDartsGenotype",
): DartsGenotype {
  const space = o.space === undefined ? undefined : resolveOpTable(o.space);
  const fail = (why: string) => new Error(`${who}: ${why}`);
  if (typeof g !== "object" || g === null) {
    throw fail("give a genotype { normal, normalConcat, reduce, reduceConcat }");
  }
  for (const cell of DARTS_CELL_TYPES) {
    const genes = g[cell];
    if (!Array.isArray(genes)) throw fail(`no ${cell} cell: give its 8 (op, input) pairs as "${cell}"`);
    if (genes.length !== 2 * DARTS_NODES) {
      throw fail(
        `the ${cell} cell has ${genes.length} (op, input) pairs: a DARTS-space cell has 4 nodes × 2 inputs ` +
          "= 8 (a genotype of another space, such as NASNet's or AmoebaNet's 5-node cells, does not fit)",
      );
    }
    const seen = new Map<string, number>();
    genes.forEach((gene: unknown, k) => {
      const node = k >> 1;
      const where = `${cell} cell, pair ${k} (node ${node})`;
      if (
        !Array.isArray(gene) || gene.length !== 2 || typeof gene[0] !== "string" ||
        !Number.isInteger(gene[1])
      ) {
        throw fail(
          `${where}: ${JSON.stringify(gene)} is not an (op, input) pair such as ["sep_conv_3x3", 0]`,
        );
      }
      const [op, input] = gene as [string, number];
      if (input < 0 || input >= node + 2) {
        throw fail(
          `${where}: input ${input} is out of range: node ${node} reads ${inputChoices(node)}`,
        );
      }
      const other = seen.get(`${node}/${input}`);
      if (other !== undefined) {
        throw fail(
          `${where}: node ${node} reads input ${input} twice (pairs ${other} and ${k}): DARTS keeps two ` +
            "different incoming edges per node",
        );
      }
      seen.set(`${node}/${input}`, k);
      if (op === "none") {
        throw fail(
          `${where}: op "none" on input ${input}: DARTS' derive never keeps none (a zero edge); choose ` +
            "another op",
        );
      }
      if (!(DARTS_KNOWN_OPS as readonly string[]).includes(op)) {
        const close = didYouMean(op, DARTS_KNOWN_OPS);
        throw fail(
          `${where}: unknown op "${op}"${close ? ` (did you mean "${close}"?)` : ""}: a DARTS-space cell ` +
            `holds ${DARTS_KNOWN_OPS.filter((k) => k !== "none").join(", ")}`,
        );
      }
      if (space) {
        const edge = DARTS_EDGES[dartsEdgeIndex(node, input)];
        const ops = space.table[cell][edge.index];
        if (!ops.includes(op)) {
          throw fail(
            `${where}: "${op}" is not an op of space "${space.name}" on ${cell} edge ${edge.index} ` +
              `(${edge.label}), whose ops are ${ops.join(", ")}: is this a genotype of another space?`,
          );
        }
      }
    });
    const concat = g[CONCAT_FIELD[cell]];
    if (
      !Array.isArray(concat) || concat.length === 0 ||
      concat.some((s, i) => !Number.isInteger(s) || s < 0 || s > DARTS_NODES + 1 || concat.indexOf(s) !== i)
    ) {
      throw fail(
        `${CONCAT_FIELD[cell]} ${JSON.stringify(concat)}: give distinct states 0–5 (DARTS: [2, 3, 4, 5])`,
      );
    }
  }
  return g;
}

/**
 * The genotype in DARTS' own Python form, as `print(genotype)` writes it and `cnn/genotypes.py` holds it:
 * `Genotype(normal=[('sep_conv_3x3', 0), …], normal_concat=[2, 3, 4, 5], reduce=[…], reduce_concat=[2,
 * 3, 4, 5])`. Checked first ({@link checkDartsGenotype}).
 */
export function formatDartsGenotype(g: DartsGenotype): string {
  checkDartsGenotype(g, {}, "formatDartsGenotype");
  const genes = (list: readonly DartsGene[]) => `[${list.map(([op, i]) => `('${op}', ${i})`).join(", ")}]`;
  const ints = (list: readonly number[]) => `[${list.join(", ")}]`;
  return `Genotype(normal=${genes(g.normal)}, normal_concat=${ints(g.normalConcat)}, ` +
    `reduce=${genes(g.reduce)}, reduce_concat=${ints(g.reduceConcat)})`;
}

/**
 * A genotype from DARTS' Python form, as printed by a search or pasted from a `genotypes.py`:
 * `Genotype(normal=[('op', input), …], normal_concat=[2, 3, 4, 5], reduce=[…], reduce_concat=[…])`.
 * Accepted too: a leading assignment (`DARTS_V2 = `), `range(2, 6)` or `list(range(2, 6))` for a concat,
 * double quotes, pairs in brackets, whitespace, newlines, trailing commas and `#` comments anywhere
 * between tokens, positional fields in namedtuple order. A string that does not parse is an error giving
 * the character offset, line and column, and what was expected there; a genotype that parses but does not
 * fit the space is refused by {@link checkDartsGenotype} (with `o.space`, against that space's ops).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDartsGenotype, parseDartsGenotype } from "./darts.ts";
 * const text = `DARTS_V2 = Genotype(
 *   normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),
 *           ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)],
 *   normal_concat=range(2, 6),
 *   reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
 *           ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
 *   reduce_concat=range(2, 6))`;
 * const g = parseDartsGenotype(text, { space: "darts" });
 * assert.deepEqual(g.normal[7], ["dil_conv_3x3", 2]); // node 3 reads node 0
 * assert.deepEqual(g.reduceConcat, [2, 3, 4, 5]);
 * assert.deepEqual(parseDartsGenotype(formatDartsGenotype(g)), g);
 * assert.throws(() => parseDartsGenotype("Genotype(normal=[('sep_conv_3x3' 0)])"), /offset 33 .*expected ","/);
 * assert.throws(() => parseDartsGenotype(text, { space: "s2" }), /not an op of space "s2"/);
 * ```
 */
export function parseDartsGenotype(text: string, o: DartsGenotypeOptions = {}): DartsGenotype {
  if (typeof text !== "string") {
    throw new Error(
      `parseDartsGenotype: give a string such as "Genotype(normal=[…], …)", got ${typeof text}`,
    );
  }
  const fields = new GenotypeParser(text).parse();
  const g: DartsGenotype = {
    normal: fields.normal as DartsGene[],
    normalConcat: fields.normal_concat as number[],
    reduce: fields.reduce as DartsGene[],
    reduceConcat: fields.reduce_concat as number[],
  };
  return checkDartsGenotype(g, o, "parseDartsGenotype");
}

/** The namedtuple's fields in order, and what each holds. */
const PY_FIELDS = ["normal", "normal_concat", "reduce", "reduce_concat"] as const;
type PyField = typeof PY_FIELDS[number];

/** A recursive-descent parser of the subset of Python that DARTS' genotypes are written in. */
class GenotypeParser {
  private at = 0;

  constructor(private readonly text: string) {}

  parse(): Record<PyField, unknown> {
    this.skip();
    // An optional assignment: NAME = Genotype(...)
    const start = this.at;
    const name = this.identifier();
    this.skip();
    if (name !== undefined && this.peek() === "=") {
      this.at++;
      this.skip();
    } else this.at = start;
    const calleeStart = this.at;
    const callee = this.identifier();
    if (callee === undefined || !/(^|\.)Genotype$/.test(callee)) {
      this.at = calleeStart;
      const published = callee !== undefined && Object.hasOwn(DARTS_GENOTYPES, callee);
      this.fail(
        '"Genotype("' +
          (published
            ? ` (${callee} is a published genotype: dartsGenotypeByName("${callee}") gives it)`
            : ""),
      );
    }
    this.skip();
    this.expect("(");
    const fields: Partial<Record<PyField, unknown>> = {};
    let positional = 0;
    let keywords = false;
    for (;;) {
      this.skip();
      if (this.peek() === ")") break;
      const argStart = this.at;
      const key = this.identifier();
      this.skip();
      let field: PyField;
      if (key !== undefined && this.peek() === "=" && this.text[this.at + 1] !== "=") {
        if (!(PY_FIELDS as readonly string[]).includes(key)) {
          this.at = argStart;
          const close = didYouMean(key, PY_FIELDS);
          this.fail(
            `a field of Genotype (${PY_FIELDS.join(", ")})${close ? `; did you mean "${close}"?` : ""}`,
          );
        }
        field = key as PyField;
        this.at++;
        this.skip();
        keywords = true;
      } else {
        this.at = argStart;
        if (keywords) this.fail("a keyword argument (name=value): positional fields come first");
        if (positional >= PY_FIELDS.length) this.fail('")": Genotype has 4 fields');
        field = PY_FIELDS[positional++];
      }
      if (fields[field] !== undefined) {
        this.at = argStart;
        this.fail(`a field other than "${field}", which is already given`);
      }
      fields[field] = field.endsWith("_concat") ? this.concat() : this.genes();
      this.skip();
      if (this.peek() === ",") {
        this.at++;
        continue;
      }
      if (this.peek() !== ")") this.fail('"," or ")" after a field of Genotype');
    }
    const missing = PY_FIELDS.filter((f) => fields[f] === undefined);
    if (missing.length) {
      this.fail(`the field${missing.length > 1 ? "s" : ""} ${missing.join(", ")} before ")"`);
    }
    this.at++;
    this.skip();
    if (this.peek() === ";") this.at++;
    this.skip();
    if (this.at < this.text.length) this.fail("the end of the genotype (one Genotype(...) per string)");
    return fields as Record<PyField, unknown>;
  }

  /** A list of (op, input) pairs: [('op', 0), ...]; pairs may be tuples or lists. */
  private genes(): [string, number][] {
    this.expect("[", "a list of (op, input) pairs");
    const out: [string, number][] = [];
    for (;;) {
      this.skip();
      if (this.peek() === "]") break;
      const open = this.peek();
      if (open !== "(" && open !== "[") this.fail(`an (op, input) pair such as ('sep_conv_3x3', 0), or "]"`);
      this.at++;
      this.skip();
      const op = this.string();
      this.skip();
      this.expect(",");
      this.skip();
      const input = this.integer();
      this.skip();
      if (this.peek() === ",") {
        this.at++;
        this.skip();
      }
      this.expect(open === "(" ? ")" : "]", `"${open === "(" ? ")" : "]"}" closing the pair`);
      out.push([op, input]);
      this.skip();
      if (this.peek() === ",") {
        this.at++;
        continue;
      }
      if (this.peek() !== "]") this.fail('"," or "]" after a pair');
    }
    this.at++;
    return out;
  }

  /** A concat: [2, 3, 4, 5], (2, 3, 4, 5), range(2, 6), range(6) or list(range(...)). */
  private concat(): number[] {
    const start = this.at;
    const name = this.identifier();
    if (name === "list") {
      this.skip();
      this.expect("(");
      this.skip();
      const inner = this.concat();
      this.skip();
      this.expect(")");
      return inner;
    }
    if (name === "range") {
      this.skip();
      this.expect("(");
      this.skip();
      const a = this.integer();
      this.skip();
      let [lo, hi] = [0, a];
      if (this.peek() === ",") {
        this.at++;
        this.skip();
        if (this.peek() !== ")") {
          lo = a;
          hi = this.integer();
          this.skip();
          if (this.peek() === ",") {
            this.at++;
            this.skip();
          }
        }
      }
      this.expect(")", '")" closing range( (range with a step is not taken)');
      return Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
    }
    if (name !== undefined) {
      this.at = start;
      this.fail("a concat: a list of states such as [2, 3, 4, 5], or range(2, 6)");
    }
    const open = this.peek();
    if (open !== "[" && open !== "(") {
      this.fail("a concat: a list of states such as [2, 3, 4, 5], or range(2, 6)");
    }
    const close = open === "[" ? "]" : ")";
    this.at++;
    const out: number[] = [];
    for (;;) {
      this.skip();
      if (this.peek() === close) break;
      out.push(this.integer());
      this.skip();
      if (this.peek() === ",") {
        this.at++;
        continue;
      }
      if (this.peek() !== close) this.fail(`"," or "${close}" in the concat`);
    }
    this.at++;
    return out;
  }

  private string(): string {
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') this.fail("an op name in quotes, such as 'sep_conv_3x3'");
    const start = this.at + 1;
    const end = this.text.indexOf(quote, start);
    const newline = this.text.indexOf("\n", start);
    if (end < 0 || (newline >= 0 && newline < end)) this.fail(`the op name's closing ${quote}`);
    this.at = end + 1;
    return this.text.slice(start, end);
  }

  private integer(): number {
    const m = /^[-+]?\d+/.exec(this.text.slice(this.at));
    if (!m) this.fail("an integer (a state index)");
    this.at += m![0].length;
    return Number(m![0]);
  }

  private identifier(): string | undefined {
    const m = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(this.text.slice(this.at));
    if (!m) return undefined;
    this.at += m[0].length;
    return m[0];
  }

  private peek(): string | undefined {
    return this.text[this.at];
  }

  private expect(token: string, what = `"${token}"`): void {
    if (this.peek() !== token) this.fail(what);
    this.at++;
  }

  /** Whitespace, newlines (and Python's line continuations) and `#` comments. */
  private skip(): void {
    for (;;) {
      const c = this.text[this.at];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\\" || c === "\f") this.at++;
      else if (c === "#") {
        while (this.at < this.text.length && this.text[this.at] !== "\n") this.at++;
      } else return;
    }
  }

  private fail(expected: string): never {
    const before = this.text.slice(0, this.at);
    const line = before.split("\n").length;
    const column = this.at - before.lastIndexOf("\n");
    const found = this.at >= this.text.length
      ? "the end of the string"
      : JSON.stringify(this.text.slice(this.at, this.at + 12)) + (this.at + 12 < this.text.length ? "…" : "");
    throw new Error(
      `parseDartsGenotype: not a DARTS genotype: at offset ${this.at} (line ${line}, column ${column}) ` +
        `expected ${expected}, found ${found}: pass DARTS' form Genotype(normal=[('op', input), ...], ` +
        `normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Published genotypes (SPECS §11)

const concat = DARTS_CONCAT;

/**
 * Published DARTS-space genotypes (SPECS §11), as their repositories' `genotypes.py` hold them:
 * `DARTS_V1` (first order) and `DARTS_V2` (second order) of quark0/darts `cnn/genotypes.py` (CIFAR-10
 * test error 3.00 ± 0.14 and 2.76 ± 0.09 %), `PC_DARTS` (`PC_DARTS_cifar` of yuhuixu1993/PC-DARTS
 * `genotypes.py`, 2.57 ± 0.07 %).
 */
export const DARTS_GENOTYPES: Readonly<Record<"DARTS_V1" | "DARTS_V2" | "PC_DARTS", DartsGenotype>> = {
  DARTS_V1: {
    normal: [
      ["sep_conv_3x3", 1],
      ["sep_conv_3x3", 0],
      ["skip_connect", 0],
      ["sep_conv_3x3", 1],
      ["skip_connect", 0],
      ["sep_conv_3x3", 1],
      ["sep_conv_3x3", 0],
      ["skip_connect", 2],
    ],
    normalConcat: concat,
    reduce: [
      ["max_pool_3x3", 0],
      ["max_pool_3x3", 1],
      ["skip_connect", 2],
      ["max_pool_3x3", 0],
      ["max_pool_3x3", 0],
      ["skip_connect", 2],
      ["skip_connect", 2],
      ["avg_pool_3x3", 0],
    ],
    reduceConcat: concat,
  },
  DARTS_V2: {
    normal: [
      ["sep_conv_3x3", 0],
      ["sep_conv_3x3", 1],
      ["sep_conv_3x3", 0],
      ["sep_conv_3x3", 1],
      ["sep_conv_3x3", 1],
      ["skip_connect", 0],
      ["skip_connect", 0],
      ["dil_conv_3x3", 2],
    ],
    normalConcat: concat,
    reduce: [
      ["max_pool_3x3", 0],
      ["max_pool_3x3", 1],
      ["skip_connect", 2],
      ["max_pool_3x3", 1],
      ["max_pool_3x3", 0],
      ["skip_connect", 2],
      ["skip_connect", 2],
      ["max_pool_3x3", 1],
    ],
    reduceConcat: concat,
  },
  PC_DARTS: {
    normal: [
      ["sep_conv_3x3", 1],
      ["skip_connect", 0],
      ["sep_conv_3x3", 0],
      ["dil_conv_3x3", 1],
      ["sep_conv_5x5", 0],
      ["sep_conv_3x3", 1],
      ["avg_pool_3x3", 0],
      ["dil_conv_3x3", 1],
    ],
    normalConcat: concat,
    reduce: [
      ["sep_conv_5x5", 1],
      ["max_pool_3x3", 0],
      ["sep_conv_5x5", 1],
      ["sep_conv_5x5", 2],
      ["sep_conv_3x3", 0],
      ["sep_conv_3x3", 3],
      ["sep_conv_3x3", 1],
      ["sep_conv_3x3", 2],
    ],
    reduceConcat: concat,
  },
};

/** A published genotype by name ({@link DARTS_GENOTYPES}); an unknown name lists them. */
export function dartsGenotypeByName(name: string): DartsGenotype {
  if (Object.hasOwn(DARTS_GENOTYPES, name)) return DARTS_GENOTYPES[name as keyof typeof DARTS_GENOTYPES];
  const names = Object.keys(DARTS_GENOTYPES);
  const close = didYouMean(name, names);
  throw new Error(
    `no published DARTS genotype "${name}"${close ? ` (did you mean "${close}"?)` : ""}: choose one of ` +
      `${names.join(", ")}, or parse your own with parseDartsGenotype`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Derivation

/** α of both cells: per cell type one row per edge (14), one column per op of that edge. */
export interface DartsAlpha {
  readonly normal: readonly (readonly number[])[];
  readonly reduce: readonly (readonly number[])[];
}

/** Options of {@link deriveDarts} and {@link dartsEpochStats}. */
export interface DeriveDartsOptions {
  /** The space α's columns belong to: a name of `DARTS_SPACE_NAMES` or a table (default "darts"). */
  space?: string | DartsOpTable;
  /**
   * PC-DARTS' edge weights, per cell type one per edge (14): the softmax of β over each node's incoming
   * edges, as {@link pcDartsEdgeWeights} computes it from the raw β. Each edge's op weights are
   * multiplied by its edge weight before edges are ranked (SPECS §3). Default: none (DARTS).
   */
  edgeWeights?: { readonly normal: readonly number[]; readonly reduce: readonly number[] };
}

/**
 * PC-DARTS' edge weights from its raw edge parameters β (14 per cell type): a softmax over each node's
 * incoming edges (rows 0–1, 2–4, 5–8, 9–13), as PC-DARTS' `genotype()` and forward pass compute them.
 */
export function pcDartsEdgeWeights(beta: readonly number[]): number[] {
  if (!Array.isArray(beta) || beta.length !== DARTS_EDGE_COUNT || beta.some((b) => !Number.isFinite(b))) {
    throw new Error(
      `pcDartsEdgeWeights: give 14 finite edge parameters β (one per edge), got ${describe(beta)}`,
    );
  }
  return NODE_ROWS.flatMap(([start, end]) => softmaxRows([beta.slice(start, end)])[0]);
}

/**
 * DARTS' `genotype()` for one cell (SPECS §2.3, §3, §5): W = softmax(α row) × edge weight (1 without
 * PC-DARTS' weights); per node, the incoming edges sorted by their largest W over ops other than `none`
 * (all ops where the edge's list has no `none`), the first two kept, each with its op of largest W over
 * the same ops. Ties go as in DARTS' Python: the sort is stable (of equal edges, the lower input first)
 * and the op loop keeps the first of equal weights. Pairs are in that order, two per node.
 *
 * `alpha`: 14 rows, row e with one value per op of `ops[e]`. Weights are computed in float64; PyTorch
 * computes them in float32, so values within float32 rounding of a tie may rank differently.
 */
export function deriveDartsCell(
  alpha: readonly (readonly number[])[],
  ops: readonly (readonly string[])[],
  edgeWeights?: readonly number[],
  who = "deriveDartsCell",
): DartsGene[] {
  checkRows(alpha, ops, who);
  if (edgeWeights !== undefined) {
    if (
      !Array.isArray(edgeWeights) || edgeWeights.length !== DARTS_EDGE_COUNT ||
      edgeWeights.some((w) => !Number.isFinite(w))
    ) {
      throw new Error(
        `${who}: edge weights must be 14 finite numbers (one per edge), got ${describe(edgeWeights)}`,
      );
    }
  }
  const W = softmaxRows(alpha).map((row, e) => row.map((w) => w * (edgeWeights?.[e] ?? 1)));
  const candidates = (e: number) => {
    const none = ops[e].indexOf("none");
    const ks = ops[e].map((_, k) => k).filter((k) => k !== none);
    if (ks.length === 0) {
      throw new Error(`${who}: edge ${e} (${DARTS_EDGES[e].label}) has no op but none to keep`);
    }
    return ks;
  };
  const genes: DartsGene[] = [];
  for (let node = 0; node < DARTS_NODES; node++) {
    const [start, end] = NODE_ROWS[node];
    const rows = Array.from({ length: end - start }, (_, i) => start + i);
    const score = (e: number) => Math.max(...candidates(e).map((k) => W[e][k]));
    // Array.prototype.sort is stable, as Python's sorted: equal edges keep their input order.
    const kept = rows.map((e) => ({ e, s: score(e) })).sort((a, b) => b.s - a.s).slice(0, 2);
    for (const { e } of kept) {
      let best: number | undefined;
      for (const k of candidates(e)) if (best === undefined || W[e][k] > W[e][best]) best = k;
      genes.push([ops[e][best!], DARTS_EDGES[e].input]);
    }
  }
  return genes;
}

/**
 * The derived genotype of α (both cells) in a space (default "darts"), with PC-DARTS' edge weights when
 * given: {@link deriveDartsCell} per cell type, concat [2, 3, 4, 5].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deriveDarts, formatDartsGenotype } from "./darts.ts";
 * // S2: [skip_connect, sep_conv_3x3] on every edge; sep_conv_3x3 slightly ahead everywhere.
 * const alpha = Array.from({ length: 14 }, (_, e) => [0, 0.1 + 0.01 * e]);
 * const g = deriveDarts({ normal: alpha, reduce: alpha }, { space: "s2" });
 * // Per node the two edges with the largest weight: the last two inputs (larger e).
 * assert.deepEqual(g.normal.slice(0, 4), [["sep_conv_3x3", 1], ["sep_conv_3x3", 0], ["sep_conv_3x3", 2], ["sep_conv_3x3", 1]]);
 * assert.ok(formatDartsGenotype(g).startsWith("Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0),"));
 * ```
 */
export function deriveDarts(alpha: DartsAlpha, o: DeriveDartsOptions = {}): DartsGenotype {
  const { table } = resolveOpTable(o.space ?? "darts");
  if (typeof alpha !== "object" || alpha === null) {
    throw new Error("deriveDarts: give α as { normal: number[][], reduce: number[][] } (14 rows each)");
  }
  const cell = (type: DartsCellType) =>
    deriveDartsCell(alpha[type], table[type], o.edgeWeights?.[type], `deriveDarts (${type} cell)`);
  if (
    o.edgeWeights !== undefined &&
    (typeof o.edgeWeights !== "object" || o.edgeWeights === null ||
      DARTS_CELL_TYPES.some((t) => !Array.isArray(o.edgeWeights![t])))
  ) {
    throw new Error(
      "deriveDarts: edgeWeights must be { normal: number[], reduce: number[] } (14 each, e.g. " +
        "pcDartsEdgeWeights of each cell's β)",
    );
  }
  return {
    normal: cell("normal"),
    normalConcat: DARTS_CONCAT,
    reduce: cell("reduce"),
    reduceConcat: DARTS_CONCAT,
  };
}

function checkRows(alpha: readonly (readonly number[])[], ops: readonly (readonly string[])[], who: string) {
  if (!Array.isArray(alpha) || alpha.length !== DARTS_EDGE_COUNT) {
    throw new Error(`${who}: α needs 14 rows (one per edge), got ${describe(alpha)}`);
  }
  alpha.forEach((row, e) => {
    if (!Array.isArray(row) || row.length !== ops[e].length) {
      throw new Error(
        `${who}: α row ${e} (edge ${DARTS_EDGES[e].label}) needs ${ops[e].length} values, one per op of ` +
          `its edge (${ops[e].join(", ")}), got ${describe(row)}: is α of another space?`,
      );
    }
    if (row.some((v) => !Number.isFinite(v))) {
      throw new Error(`${who}: α row ${e} (edge ${DARTS_EDGES[e].label}) holds a non-finite value: ${row}`);
    }
  });
}

function describe(v: unknown): string {
  return Array.isArray(v) ? `${v.length} entries` : v === null ? "null" : typeof v;
}

// ---------------------------------------------------------------------------------------------------
// Per-epoch statistics

/** How often `op` is kept in each cell of `g` (default skip_connect, the op of DARTS' collapse). */
export function countDartsOp(g: DartsGenotype, op = "skip_connect"): { normal: number; reduce: number } {
  const count = (genes: readonly DartsGene[]) => genes.filter(([o]) => o === op).length;
  return { normal: count(g.normal), reduce: count(g.reduce) };
}

/** What a DARTS-space search records per epoch ({@link dartsEpochStats}). */
export interface DartsEpochStats {
  /** The derived genotype. */
  genotype: DartsGenotype;
  /** skip_connect edges kept in the derived normal / reduction cell (0–8). */
  normalSkips: number;
  reduceSkips: number;
  /** Per cell type, the smallest gap between an edge's two largest β (softmax of α), and that edge's label. */
  normalMinTop2Gap: number;
  normalClosestEdge: string;
  reduceMinTop2Gap: number;
  reduceClosestEdge: string;
  /** The smaller of the two, and its edge as "<cell> <label>" (e.g. "reduce n2<-c_{k-1}"); normal first on ties. */
  minTop2Gap: number;
  closestEdge: string;
}

/**
 * The derived genotype of α and the statistics a search records per epoch: skip_connect edges kept per
 * cell, and per cell the smallest top-2 β gap over its 14 edges (β = softmax of each α row, every op
 * counted, `none` included, as for NB201; PC-DARTS' edge weights do not enter it) with its edge.
 */
export function dartsEpochStats(alpha: DartsAlpha, o: DeriveDartsOptions = {}): DartsEpochStats {
  const genotype = deriveDarts(alpha, o);
  const skips = countDartsOp(genotype);
  const gap = (type: DartsCellType) => {
    const { edge, gap } = closestRow(softmaxRows(alpha[type]));
    return { gap, edge: DARTS_EDGES[edge].label };
  };
  const normal = gap("normal");
  const reduce = gap("reduce");
  const min = reduce.gap < normal.gap ? { ...reduce, cell: "reduce" } : { ...normal, cell: "normal" };
  return {
    genotype,
    normalSkips: skips.normal,
    reduceSkips: skips.reduce,
    normalMinTop2Gap: normal.gap,
    normalClosestEdge: normal.edge,
    reduceMinTop2Gap: reduce.gap,
    reduceClosestEdge: reduce.edge,
    minTop2Gap: min.gap,
    closestEdge: `${min.cell} ${min.edge}`,
  };
}
