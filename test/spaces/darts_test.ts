import assert from "node:assert/strict";
import {
  checkDartsGenotype,
  countDartsOp,
  DARTS_EDGES,
  DARTS_GENOTYPES,
  DARTS_KNOWN_OPS,
  DARTS_OP_TABLES,
  DARTS_PRIMITIVES,
  DARTS_SPACE_NAMES,
  dartsEdge,
  dartsEdgeIndex,
  dartsEpochStats,
  type DartsGenotype,
  dartsGenotypeByName,
  dartsOpTable,
  deriveDarts,
  deriveDartsCell,
  formatDartsGenotype,
  parseDartsGenotype,
  pcDartsEdgeWeights,
  validateOpTable,
} from "../../src/spaces/darts.ts";

/** DARTS_V1 and DARTS_V2 as quark0/darts `cnn/genotypes.py` holds them (one line each). */
const DARTS_V1_PY =
  "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])";
const DARTS_V2_PY =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
/** PC_DARTS_cifar as yuhuixu1993/PC-DARTS `genotypes.py` holds it (concat as `range(2, 6)`). */
const PC_DARTS_PY =
  "PC_DARTS_cifar = Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), ('dil_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), ('dil_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), ('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), ('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=range(2, 6))";

/** 14 rows of `width` zeros, with `set[e] = { column: value }` on top. */
function rows(width: number, set: Record<number, Record<number, number>> = {}): number[][] {
  return Array.from({ length: 14 }, (_, e) => {
    const row = Array.from({ length: width }, () => 0);
    for (const [k, v] of Object.entries(set[e] ?? {})) row[Number(k)] = v;
    return row;
  });
}

// PRIMITIVES' columns, for readable α.
const [NONE, MAX, AVG, SKIP, SEP3, SEP5, DIL3, DIL5] = [0, 1, 2, 3, 4, 5, 6, 7];

Deno.test("darts edges: 14 in node-major order, index ↔ (node, input), CSV-safe labels", () => {
  assert.equal(DARTS_EDGES.length, 14);
  assert.deepEqual(
    DARTS_EDGES.map((e) => [e.node, e.input]),
    [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2], [2, 3], [3, 0], [3, 1], [3, 2], [3, 3], [
      3,
      4,
    ]],
  );
  assert.deepEqual(DARTS_EDGES[0], { index: 0, node: 0, input: 0, label: "n0<-c_{k-2}" });
  assert.equal(DARTS_EDGES[4].label, "n1<-n0");
  assert.equal(DARTS_EDGES[13].label, "n3<-n2");
  for (const e of DARTS_EDGES) {
    assert.equal(dartsEdgeIndex(e.node, e.input), e.index);
    assert.equal(dartsEdge(e.index), e);
    assert.equal(dartsEdge(e.label), e);
    assert.doesNotMatch(e.label, /[,"' ]/, "no CSV quoting needed");
  }
  assert.equal(new Set(DARTS_EDGES.map((e) => e.label)).size, 14);
  assert.throws(
    () => dartsEdgeIndex(1, 3),
    /node 1 has no input 3: its inputs are 0 \(c_\{k-2\}\), 1 \(c_\{k-1\}\), 2 \(n0\)/,
  );
  assert.throws(() => dartsEdgeIndex(4, 0), /node 4 does not exist: intermediate nodes are 0 to 3/);
  assert.throws(() => dartsEdge(14), /no edge 14: a DARTS cell's edges are 0 to 13/);
  assert.throws(() => dartsEdge("n2<-n2"), /no edge labelled "n2<-n2" \(did you mean "n2<-n[01]"\?\)/);
});

Deno.test("darts op tables: every space's per-edge lists, S1 as SPECS §5's table", () => {
  assert.deepEqual(Object.keys(DARTS_OP_TABLES), [...DARTS_SPACE_NAMES]);
  for (const name of DARTS_SPACE_NAMES) {
    const t = dartsOpTable(name);
    assert.equal(validateOpTable(name, t), t);
    assert.equal(t.normal.length, 14);
    assert.equal(t.reduce.length, 14);
  }
  const every = (name: string, ops: string[]) => {
    for (const cell of ["normal", "reduce"] as const) {
      for (const list of dartsOpTable(name)[cell]) assert.deepEqual(list, ops, `${name} ${cell}`);
    }
  };
  every("darts", [...DARTS_PRIMITIVES]);
  every("s2", ["skip_connect", "sep_conv_3x3"]);
  every("s3", ["none", "skip_connect", "sep_conv_3x3"]);
  every("s4", ["noise", "sep_conv_3x3"]);
  every("s5", DARTS_PRIMITIVES.filter((op) => op !== "none"));
  every("darts-3op", ["sep_conv_3x3", "skip_connect", "avg_pool_3x3"]);
  const s1 = dartsOpTable("s1");
  // SPECS §5, column by column.
  const normal = [
    "skip_connect dil_conv_3x3",
    "skip_connect dil_conv_5x5",
    "skip_connect dil_conv_5x5",
    "skip_connect sep_conv_3x3",
    "skip_connect dil_conv_3x3",
    "max_pool_3x3 skip_connect",
    "skip_connect sep_conv_3x3",
    "skip_connect sep_conv_3x3",
    "skip_connect dil_conv_3x3",
    "skip_connect sep_conv_3x3",
    "max_pool_3x3 skip_connect",
    "skip_connect dil_conv_3x3",
    "dil_conv_3x3 dil_conv_5x5",
    "dil_conv_3x3 dil_conv_5x5",
  ];
  const reduce = [
    "max_pool_3x3 avg_pool_3x3",
    "max_pool_3x3 dil_conv_3x3",
    "max_pool_3x3 avg_pool_3x3",
    "max_pool_3x3 avg_pool_3x3",
    "skip_connect dil_conv_5x5",
    "max_pool_3x3 avg_pool_3x3",
    "max_pool_3x3 sep_conv_3x3",
    "skip_connect dil_conv_3x3",
    "skip_connect dil_conv_5x5",
    "max_pool_3x3 avg_pool_3x3",
    "max_pool_3x3 avg_pool_3x3",
    "skip_connect dil_conv_5x5",
    "skip_connect dil_conv_5x5",
    "skip_connect dil_conv_5x5",
  ];
  assert.deepEqual(s1.normal.map((l) => l.join(" ")), normal);
  assert.deepEqual(s1.reduce.map((l) => l.join(" ")), reduce);
  assert.ok(DARTS_KNOWN_OPS.includes("noise"));
});

Deno.test("darts op tables: an unknown space suggests the closest; a bad table names space, cell, edge, op", () => {
  assert.throws(
    () => dartsOpTable("darts3op"),
    /unknown DARTS search space "darts3op" \(did you mean "darts-3op"\?\): choose one of darts, s1/,
  );
  assert.throws(() => dartsOpTable("S3"), /did you mean "s3"/);
  assert.throws(() => dartsOpTable("nb201"), /unknown DARTS search space "nb201": choose one of/);
  const two = () => Array.from({ length: 14 }, () => ["skip_connect", "sep_conv_3x3"]);
  const reduce = two();
  reduce[5] = ["skip_connect", "sep_conv_7x7"];
  assert.throws(
    () => validateOpTable("mine", { normal: two(), reduce }),
    /DARTS search space "mine": reduce cell, edge 5: unknown op "sep_conv_7x7" \(did you mean "sep_conv_3x3"\?\)/,
  );
  assert.throws(
    () => validateOpTable("mine", { normal: two().slice(1), reduce: two() }),
    /normal cell has 13 op lists/,
  );
  const uneven = two();
  uneven[3] = ["skip_connect"];
  assert.throws(
    () => validateOpTable("mine", { normal: uneven, reduce: two() }),
    /normal cell, edge 3 has 1 ops and edge 0 has 2/,
  );
  const twice = two();
  twice[9] = ["skip_connect", "skip_connect"];
  assert.throws(
    () => validateOpTable("mine", { normal: two(), reduce: twice }),
    /reduce cell, edge 9: op "skip_connect" is listed twice/,
  );
  assert.throws(() => validateOpTable("mine", { normal: two() } as never), /no reduce cell/);
});

Deno.test("darts genotype: printed exactly as DARTS' genotypes.py, and parsed back", () => {
  assert.equal(formatDartsGenotype(DARTS_GENOTYPES.DARTS_V1), DARTS_V1_PY);
  assert.equal(formatDartsGenotype(DARTS_GENOTYPES.DARTS_V2), DARTS_V2_PY);
  for (const g of Object.values(DARTS_GENOTYPES)) {
    assert.deepEqual(parseDartsGenotype(formatDartsGenotype(g)), g);
  }
  const derived = deriveDarts({ normal: rows(8, { 3: { [SEP5]: 1 } }), reduce: rows(8) });
  assert.deepEqual(parseDartsGenotype(formatDartsGenotype(derived), { space: "darts" }), derived);
});

Deno.test("darts genotype: the variants people paste all parse to the same genotype", () => {
  const v2 = DARTS_GENOTYPES.DARTS_V2;
  const multiline = `DARTS_V2 = Genotype(
    normal = [
      ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),   # node 0
      ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
      ("sep_conv_3x3", 1), ("skip_connect", 0),
      ("skip_connect", 0), ("dil_conv_3x3", 2),
    ],
    normal_concat = range(2, 6),
    reduce = [
      ('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1),
      ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1),
    ],
    reduce_concat = list(range(2, 6)),
  )
  `;
  const variants = [
    DARTS_V2_PY,
    multiline,
    "  \n" + DARTS_V2_PY.replaceAll("'", '"') + " ;\n",
    DARTS_V2_PY.replaceAll("[2, 3, 4, 5]", "range(2,6)"),
    DARTS_V2_PY.replaceAll("[2, 3, 4, 5]", "(2, 3, 4, 5,)"),
    DARTS_V2_PY.replace("Genotype(", "genotypes.Genotype(").replaceAll("('", "['").replaceAll("),", "],")
      .replaceAll(")]", "]]"),
    // positional fields in namedtuple order, then a keyword
    DARTS_V2_PY.replace("normal=", "").replace("normal_concat=", "").replace("reduce=", ""),
    // keywords in another order
    `Genotype(reduce_concat=[2, 3, 4, 5], reduce=${
      DARTS_V2_PY.split("reduce=")[1].split(", reduce_concat")[0]
    }, ` +
    `normal=${DARTS_V2_PY.split("normal=")[1].split(", normal_concat")[0]}, normal_concat=[2, 3, 4, 5])`,
  ];
  for (const [i, text] of variants.entries()) {
    assert.deepEqual(parseDartsGenotype(text), v2, `variant ${i}`);
  }
});

Deno.test("darts genotype: a string that does not parse is an error saying where and what was expected", () => {
  const at = (text: string, offset: number, line: number, column: number, expected: RegExp) =>
    assert.throws(() => parseDartsGenotype(text), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(
          `^parseDartsGenotype: not a DARTS genotype: at offset ${offset} \\(line ${line}, column ${column}\\) expected `,
        ),
      );
      assert.match(e.message, expected);
      assert.match(e.message, /pass DARTS' form Genotype\(normal=/);
      return true;
    });
  at("Genotype(normal=[('sep_conv_3x3' 0)])", 33, 1, 34, /expected ",", found "0\)\]\)"/);
  at("Genotype(\n  normal=[('sep_conv_3x3', 0]\n)", 38, 2, 29, /expected "\)" closing the pair/);
  at("", 0, 1, 1, /expected "Genotype\(", found the end of the string/);
  at("genotype = {'normal': []}", 11, 1, 12, /expected "Genotype\("/);
  at("DARTS = DARTS_V2", 8, 1, 9, /dartsGenotypeByName\("DARTS_V2"\) gives it/);
  at("Genotype(normal=[('sep_conv_3x3, 0)])", 18, 1, 19, /the op name's closing '/);
  at("Genotype(normal=[('sep_conv_3x3', x)])", 34, 1, 35, /an integer \(a state index\)/);
  at("Genotype(normal=[], normal_concat=[2])", 37, 1, 38, /the fields reduce, reduce_concat before "\)"/);
  at("Genotype(nornal=[])", 9, 1, 10, /a field of Genotype .*did you mean "normal"\?/);
  at("Genotype(normal=[], normal=[])", 20, 1, 21, /a field other than "normal", which is already given/);
  at(
    "Genotype(normal=[], [2])",
    20,
    1,
    21,
    /a keyword argument \(name=value\): positional fields come first/,
  );
  at("Genotype(normal=[], normal_concat=range(2, 6, 1))", 46, 1, 47, /"\)" closing range\(/);
  at("Genotype(normal=[], normal_concat=concat)", 34, 1, 35, /a concat: a list of states/);
  at(DARTS_V2_PY + " DARTS_V1", DARTS_V2_PY.length + 1, 1, DARTS_V2_PY.length + 2, /the end of the genotype/);
  assert.throws(() => parseDartsGenotype(42 as never), /give a string/);
});

Deno.test("darts genotype: a genotype of another space is refused, naming the cell, pair, edge and op", () => {
  const NASNET = `Genotype(normal=[('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('sep_conv_5x5', 0),
    ('sep_conv_3x3', 0), ('avg_pool_3x3', 1), ('skip_connect', 0), ('avg_pool_3x3', 0), ('avg_pool_3x3', 0),
    ('sep_conv_3x3', 1), ('skip_connect', 1)], normal_concat=[2, 3, 4, 5, 6], reduce=[], reduce_concat=[4, 5, 6])`;
  assert.throws(
    () => parseDartsGenotype(NASNET),
    /the normal cell has 10 \(op, input\) pairs: a DARTS-space cell has 4 nodes × 2 inputs = 8/,
  );
  const v2 = DARTS_GENOTYPES.DARTS_V2;
  const withNormal = (i: number, gene: [string, number]): DartsGenotype => ({
    ...v2,
    normal: v2.normal.map((g, k) => (k === i ? gene : g)),
  });
  assert.throws(
    () => checkDartsGenotype(withNormal(1, ["sep_conv_3x3", 2])),
    /normal cell, pair 1 \(node 0\): input 2 is out of range: node 0 reads 0 \(c_\{k-2\}\), 1 \(c_\{k-1\}\)/,
  );
  assert.throws(
    () => checkDartsGenotype(withNormal(7, ["dil_conv_3x3", -1])),
    /pair 7 \(node 3\): input -1 is out of range/,
  );
  assert.throws(
    () => checkDartsGenotype(withNormal(3, ["sep_conv_3x3", 0])),
    /pair 3 \(node 1\): node 1 reads input 0 twice \(pairs 2 and 3\)/,
  );
  assert.throws(
    () => checkDartsGenotype(withNormal(0, ["sep_conv_7x7", 0])),
    /normal cell, pair 0 \(node 0\): unknown op "sep_conv_7x7" \(did you mean "sep_conv_3x3"\?\)/,
  );
  assert.throws(
    () => checkDartsGenotype(withNormal(0, ["none", 0])),
    /op "none" on input 0: DARTS' derive never keeps none/,
  );
  assert.throws(
    () => checkDartsGenotype(withNormal(0, ["sep_conv_3x3"] as never)),
    /is not an \(op, input\) pair/,
  );
  assert.throws(
    () => parseDartsGenotype(DARTS_V2_PY, { space: "s2" }),
    /normal cell, pair 7 \(node 3\): "dil_conv_3x3" is not an op of space "s2" on normal edge 11 \(n3<-n0\), whose ops are skip_connect, sep_conv_3x3: is this a genotype of another space\?/,
  );
  // S1's ops depend on the edge: skip_connect is an op of normal edge 0 (n0<-c_{k-2}) but not of reduce edge 0.
  const s1Ok = deriveDarts({ normal: rows(2), reduce: rows(2) }, { space: "s1" });
  assert.equal(checkDartsGenotype(s1Ok, { space: "s1" }), s1Ok);
  assert.throws(
    () => checkDartsGenotype({ ...s1Ok, reduce: s1Ok.normal }, { space: "s1" }),
    /reduce cell, pair 0 \(node 0\): "skip_connect" is not an op of space "s1" on reduce edge 0 \(n0<-c_\{k-2\}\), whose ops are max_pool_3x3, avg_pool_3x3/,
  );
  assert.throws(
    () => checkDartsGenotype({ ...v2, reduceConcat: [2, 2] }),
    /reduceConcat \[2,2\]: give distinct states 0–5/,
  );
  assert.throws(() => checkDartsGenotype({ ...v2, normalConcat: [] }), /normalConcat \[\]/);
  assert.throws(
    () => formatDartsGenotype({ ...v2, reduce: v2.reduce.slice(1) }),
    /^Error: formatDartsGenotype: the reduce cell has 7/,
  );
  assert.throws(() => parseDartsGenotype(DARTS_V2_PY, { space: "s9" }), /unknown DARTS search space "s9"/);
});

Deno.test("darts published genotypes: each parses from its repository's source to the library's entry", () => {
  assert.deepEqual(Object.keys(DARTS_GENOTYPES), ["DARTS_V1", "DARTS_V2", "PC_DARTS"]);
  assert.deepEqual(parseDartsGenotype(DARTS_V1_PY, { space: "darts" }), DARTS_GENOTYPES.DARTS_V1);
  assert.deepEqual(parseDartsGenotype(DARTS_V2_PY, { space: "darts" }), DARTS_GENOTYPES.DARTS_V2);
  assert.deepEqual(parseDartsGenotype(PC_DARTS_PY, { space: "darts" }), DARTS_GENOTYPES.PC_DARTS);
  for (const g of Object.values(DARTS_GENOTYPES)) {
    assert.deepEqual(g.normalConcat, [2, 3, 4, 5]);
    assert.deepEqual(g.reduceConcat, [2, 3, 4, 5]);
  }
  assert.deepEqual(countDartsOp(DARTS_GENOTYPES.DARTS_V1), { normal: 3, reduce: 3 });
  assert.deepEqual(countDartsOp(DARTS_GENOTYPES.DARTS_V2), { normal: 2, reduce: 3 });
  assert.deepEqual(countDartsOp(DARTS_GENOTYPES.PC_DARTS, "sep_conv_5x5"), { normal: 1, reduce: 3 });
  assert.equal(dartsGenotypeByName("PC_DARTS"), DARTS_GENOTYPES.PC_DARTS);
  assert.throws(
    () => dartsGenotypeByName("darts_v2"),
    /no published DARTS genotype "darts_v2" \(did you mean "DARTS_V2"\?\)/,
  );
});

Deno.test("darts derive: top-2 edges by largest non-none weight, argmax op, worked by hand", () => {
  const normal = rows(8, {
    // node 0: both edges kept, the stronger first; edge 1's none is largest but never chosen.
    0: { [SEP3]: 2 }, // max non-none e²/(e²+7) = 0.514
    1: { [NONE]: 5, [SKIP]: 1 }, // e/(e⁵+e+6) = 0.017
    // node 1: edge 2 uniform (1/8), edge 3 e/(e+7) = 0.280, edge 4 e^½/(e^½+7) = 0.191
    3: { [DIL5]: 1 },
    4: { [AVG]: 0.5 },
    // node 2: edges 5, 6, 7 uniform (tie: the first two inputs), edge 8's none pushes its ops down
    8: { [NONE]: 3 },
    // node 3: edge 10 e/(e+7) = 0.280 first; edge 12's two ops tie at e/(2e+6) = 0.239, the first wins
    10: { [SKIP]: 1 },
    12: { [SEP5]: 1, [DIL3]: 1 },
  });
  const reduce = rows(8, {
    1: { [DIL3]: 1 }, // node 0: edge 1 first, edge 0 (uniform: its first non-none op) second
    4: { [SEP3]: 2 }, // node 1: edge 4, then edge 2, then edge 3
    2: { [MAX]: 1 },
    // node 2 uniform: inputs 0 and 1, max_pool each. node 3: edges 11 and 13 tie, the lower input first
    11: { [AVG]: 1 },
    13: { [AVG]: 1 },
  });
  const g = deriveDarts({ normal, reduce });
  assert.deepEqual(g.normal, [
    ["sep_conv_3x3", 0],
    ["skip_connect", 1],
    ["dil_conv_5x5", 1],
    ["avg_pool_3x3", 2],
    ["max_pool_3x3", 0],
    ["max_pool_3x3", 1],
    ["skip_connect", 1],
    ["sep_conv_5x5", 3],
  ]);
  assert.deepEqual(g.reduce, [
    ["dil_conv_3x3", 1],
    ["max_pool_3x3", 0],
    ["sep_conv_3x3", 2],
    ["max_pool_3x3", 0],
    ["max_pool_3x3", 0],
    ["max_pool_3x3", 1],
    ["avg_pool_3x3", 2],
    ["avg_pool_3x3", 4],
  ]);
  assert.deepEqual(g.normalConcat, [2, 3, 4, 5]);
  assert.equal(checkDartsGenotype(g, { space: "darts" }), g);
});

Deno.test("darts derive: none is excluded only where the edge lists it; noise is an op like any other", () => {
  // S3 [none, skip_connect, sep_conv_3x3]: none's weight never counts, for edges or ops.
  const s3 = rows(3, { 0: { 0: 9, 2: 1 }, 1: { 1: 0.5 }, 2: { 0: 9 }, 3: { 2: 0.2 }, 4: { 1: 0.1 } });
  const g3 = deriveDarts({ normal: s3, reduce: s3 }, { space: "s3" });
  // node 0: edge 0 e/(e⁹+e+1) = 3e-4 vs edge 1 e^½/(e^½+2) = 0.45 → edge 1 first.
  // node 1: edge 2 1/(e⁹+2) ≈ 1e-4, edge 3 e^.2/(e^.2+2) = 0.38, edge 4 e^.1/(e^.1+2) = 0.36 → edges 3, 4.
  assert.deepEqual(g3.normal.slice(0, 4), [["skip_connect", 1], ["sep_conv_3x3", 0], ["sep_conv_3x3", 1], [
    "skip_connect",
    2,
  ]]);
  // S2 [skip_connect, sep_conv_3x3] has no none: column 0 counts like any other.
  const s2 = rows(2, { 0: { 0: 3 }, 1: { 1: 1 } });
  assert.deepEqual(deriveDarts({ normal: s2, reduce: s2 }, { space: "s2" }).normal.slice(0, 2), [[
    "skip_connect",
    0,
  ], ["sep_conv_3x3", 1]]);
  // S4 [noise, sep_conv_3x3]: noise can be kept (as Beta-DARTS' c10_s4_pcdarts keeps it).
  const s4 = rows(2, { 13: { 0: 1 } });
  const g4 = deriveDarts({ normal: s4, reduce: s4 }, { space: "s4" });
  assert.deepEqual(g4.normal[6], ["noise", 4]);
  assert.equal(checkDartsGenotype(g4, { space: "s4" }), g4);
  assert.throws(() => checkDartsGenotype(g4, { space: "s2" }), /"noise" is not an op of space "s2"/);
  // A custom table works the same way.
  const table = {
    normal: Array.from({ length: 14 }, () => ["none", "avg_pool_3x3"]),
    reduce: Array.from({ length: 14 }, () => ["none", "avg_pool_3x3"]),
  };
  assert.ok(
    deriveDarts({ normal: rows(2), reduce: rows(2) }, { space: table }).normal.every(([op]) =>
      op === "avg_pool_3x3"
    ),
  );
});

Deno.test("darts derive: PC-DARTS' edge weights (softmax of β per node) rank the edges, not the ops", () => {
  const beta = [0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const w = pcDartsEdgeWeights(beta);
  const z = 1 + 2 * Math.exp(3);
  assert.deepEqual(w.slice(0, 2), [0.5, 0.5]);
  assert.ok(Math.abs(w[2] - 1 / z) < 1e-15 && Math.abs(w[3] - Math.exp(3) / z) < 1e-15 && w[3] === w[4]);
  assert.deepEqual(w.slice(5, 9), [0.25, 0.25, 0.25, 0.25]);
  assert.ok(Math.abs(w.slice(9).reduce((a, b) => a + b, 0) - 1) < 1e-15);
  const normal = rows(8, { 2: { [SEP3]: 2 } });
  const plain = deriveDarts({ normal, reduce: rows(8) });
  // Without β: edge 2 (0.514) first, then edges 3, 4 tie at 1/8 → input 1.
  assert.deepEqual(plain.normal.slice(2, 4), [["sep_conv_3x3", 0], ["max_pool_3x3", 1]]);
  // With β: edge 2 0.514/(1+2e³) = 0.012, edges 3, 4 0.125·e³/(1+2e³) = 0.061 → inputs 1, 2.
  const pc = deriveDarts({ normal, reduce: rows(8) }, {
    edgeWeights: { normal: w, reduce: pcDartsEdgeWeights(rows(1).map(() => 0)) },
  });
  assert.deepEqual(pc.normal.slice(2, 4), [["max_pool_3x3", 1], ["max_pool_3x3", 2]]);
  assert.deepEqual(pc.normal.slice(0, 2), plain.normal.slice(0, 2));
  assert.throws(
    () => pcDartsEdgeWeights([1, 2]),
    /give 14 finite edge parameters β \(one per edge\), got 2 entries/,
  );
  assert.throws(
    () => deriveDarts({ normal, reduce: rows(8) }, { edgeWeights: { normal: w, reduce: [1] } }),
    /deriveDarts \(reduce cell\): edge weights must be 14 finite numbers \(one per edge\), got 1 entries/,
  );
  assert.throws(
    () => deriveDarts({ normal, reduce: rows(8) }, { edgeWeights: { normal: w } as never }),
    /deriveDarts: edgeWeights must be \{ normal: number\[\], reduce: number\[\] \}/,
  );
});

Deno.test("darts derive: α of the wrong shape or space is refused with the edge and its ops", () => {
  assert.throws(
    () => deriveDarts({ normal: rows(8).slice(2), reduce: rows(8) }),
    /deriveDarts \(normal cell\): α needs 14 rows \(one per edge\), got 12 entries/,
  );
  assert.throws(
    () => deriveDarts({ normal: rows(8), reduce: rows(8) }, { space: "s2" }),
    /deriveDarts \(normal cell\): α row 0 \(edge n0<-c_\{k-2\}\) needs 2 values, one per op of its edge \(skip_connect, sep_conv_3x3\), got 8 entries: is α of another space\?/,
  );
  const bad = rows(8);
  bad[6][2] = NaN;
  assert.throws(
    () => deriveDarts({ normal: rows(8), reduce: bad }),
    /reduce cell\): α row 6 \(edge n2<-c_\{k-1\}\) holds a non-finite value/,
  );
  assert.throws(
    () => deriveDarts({ normal: rows(8), reduce: rows(8) }, { space: "S2" }),
    /did you mean "s2"/,
  );
  assert.throws(
    () => deriveDartsCell(rows(1), Array.from({ length: 14 }, () => ["none"])),
    /edge 0 \(n0<-c_\{k-2\}\) has no op but none to keep/,
  );
});

Deno.test("darts epoch statistics: skip_connect kept per cell, smallest top-2 β gap per cell and its edge", () => {
  const normal = rows(8, Object.fromEntries(Array.from({ length: 14 }, (_, e) => [e, { [SKIP]: 1 }])));
  normal[7][SEP3] = 0.9;
  const reduce = rows(8, Object.fromEntries(Array.from({ length: 14 }, (_, e) => [e, { [SEP3]: 2 }])));
  reduce[12] = [0, 0, 0, 0, 0.5, 0.45, 0, 0];
  const s = dartsEpochStats({ normal, reduce });
  assert.equal(s.normalSkips, 8, "skip_connect wins every normal edge");
  assert.equal(s.reduceSkips, 0);
  assert.deepEqual(countDartsOp(s.genotype), { normal: 8, reduce: 0 });
  const e = Math.E;
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);
  close(s.normalMinTop2Gap, (e - Math.exp(0.9)) / (e + Math.exp(0.9) + 6));
  assert.equal(s.normalClosestEdge, "n2<-n0");
  close(s.reduceMinTop2Gap, (Math.exp(0.5) - Math.exp(0.45)) / (Math.exp(0.5) + Math.exp(0.45) + 6));
  assert.equal(s.reduceClosestEdge, "n3<-n1");
  assert.equal(s.minTop2Gap, s.reduceMinTop2Gap);
  assert.equal(s.closestEdge, "reduce n3<-n1");
  const uniform = dartsEpochStats({ normal: rows(8), reduce: rows(8) });
  assert.equal(uniform.minTop2Gap, 0);
  assert.equal(uniform.closestEdge, "normal n0<-c_{k-2}", "ties: the normal cell's first edge");
});
