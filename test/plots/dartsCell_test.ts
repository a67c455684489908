import assert from "node:assert/strict";
import {
  DARTS_CELL_LAYOUT,
  DARTS_OP_COLORS,
  dartsCellDiagram,
  dartsLabelSlot,
  dartsOpColor,
} from "../../src/plots/dartsCell.ts";
import {
  DARTS_EDGES,
  DARTS_GENOTYPES,
  DARTS_KNOWN_OPS,
  deriveDarts,
  formatDartsGenotype,
} from "../../src/spaces/darts.ts";
import { assertSnapshot } from "./snapshot.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** S4 (noise, sep_conv_3x3 on every edge) with noise kept on some edges. */
function s4Genotype() {
  const normal = Array.from({ length: 14 }, (_, e) => (e % 3 ? [1, 0] : [0, 1]));
  return deriveDarts({ normal, reduce: normal.map(([a, b]) => [b, a]) }, { space: "s4" });
}

/** Each figure against its committed SVG (UPDATE_SNAPSHOTS=1 rewrites them). */
const FIGURES = {
  "darts-cell-v2": () => dartsCellDiagram(DARTS_GENOTYPES.DARTS_V2, { title: "DARTS_V2" }),
  "darts-cell-pc-darts": () => dartsCellDiagram(DARTS_GENOTYPES.PC_DARTS),
  "darts-cell-s4": () =>
    dartsCellDiagram(s4Genotype(), { space: "s4", cellTitles: ["S4 normal", "S4 reduce"] }),
};

for (const [name, figure] of Object.entries(FIGURES)) {
  Deno.test(`snapshot ${name}: the figure's SVG is the committed one`, async () => {
    await assertSnapshot(name, figure().svg);
  });
}

type Box = { x: number; y: number; w: number; h: number };

/** The boxes of the states (0–5) and the output, as half sizes around their centres. */
function boxes(): { name: string; box: Box }[] {
  const { states, output, half } = DARTS_CELL_LAYOUT;
  return [
    ...states.map((p, s) => ({ name: `state ${s}`, box: { ...p, ...(s < 2 ? half.input : half.node) } })),
    { name: "output", box: { ...output, ...half.output } },
  ];
}

function overlaps(a: Box, b: Box): boolean {
  return Math.abs(a.x - b.x) < a.w + b.w && Math.abs(a.y - b.y) < a.h + b.h;
}

/** The distance from point p to the segment a–b. */
function distance(p: Box, a: { x: number; y: number }, b: { x: number; y: number }): number {
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(p.x - a.x - t * dx, p.y - a.y - t * dy);
}

Deno.test("dartsCell layout: the 14 label slots are apart and off the boxes; no edge crosses a box it does not join", () => {
  const { states, output, panel } = DARTS_CELL_LAYOUT;
  // The widest label ("sep_conv_3x3", 12 characters at 10 px) is about 72 px wide; a line is 10 px high.
  const label = (e: number): Box => ({ ...dartsLabelSlot(e), w: 38, h: 9 });
  for (let i = 0; i < 14; i++) {
    for (let j = i + 1; j < 14; j++) {
      assert.ok(
        !overlaps(label(i), label(j)),
        `labels of ${DARTS_EDGES[i].label} and ${DARTS_EDGES[j].label}`,
      );
    }
    for (const { name, box } of boxes()) {
      assert.ok(!overlaps({ ...label(i), h: 5 }, box), `label of ${DARTS_EDGES[i].label} on ${name}`);
    }
    const { x, y } = label(i);
    assert.ok(
      x - 38 >= 0 && x + 38 <= panel.width && y - 9 >= 0 && y + 9 <= panel.height,
      "inside the panel",
    );
  }
  const segments = [
    ...DARTS_EDGES.map((e) => ({ what: e.label, from: e.input, to: e.node + 2 as number | "output" })),
    ...[2, 3, 4, 5].map((s) => ({ what: `c_{k}<-${s}`, from: s, to: "output" as const })),
  ];
  for (const s of segments) {
    const a = states[s.from];
    const b = s.to === "output" ? output : states[s.to];
    boxes().forEach(({ name, box }, k) => {
      if (k === s.from || k === (s.to === "output" ? 6 : s.to)) return;
      assert.ok(distance(box, a, b) > Math.max(box.w, box.h) + 4, `edge ${s.what} clear of ${name}`);
    });
  }
});

Deno.test("dartsCellDiagram: both cells, every kept edge labelled with its op in its colour, nodes and output", () => {
  const g = DARTS_GENOTYPES.DARTS_V1;
  const svg = dartsCellDiagram(g).svg;
  for (const text of ["normal cell", "reduction cell", "c", "k−2", "k−1", "k", "0", "1", "2", "3"]) {
    assert.ok(svg.includes(`>${text}<`), `draws ${text}`);
  }
  for (const op of new Set([...g.normal, ...g.reduce].map(([op]) => op))) {
    const kept = [...g.normal, ...g.reduce].filter(([o]) => o === op).length;
    const labels = svg.match(new RegExp(`fill="${dartsOpColor(op)}"[^>]*>${op}<`, "g")) ?? [];
    assert.equal(labels.length, kept, `${op}: one label per kept edge, in its colour`);
  }
  // 8 op arrows per cell in op colours, 4 concat arrows per cell in grey.
  assert.equal(svg.match(/stroke="#bbbbbb"/g)?.length, 8);
  const opArrows = svg.match(/<g [^>]*stroke="#(?!bbbbbb)[0-9a-f]{6}"[^>]*aria-label="arrow"/g) ?? [];
  assert.equal(opArrows.length, 16);
  // A genotype as DARTS prints it draws the same figure; the default size holds both panels.
  assert.equal(dartsCellDiagram(formatDartsGenotype(g)).svg, svg);
  const f = dartsCellDiagram(g, { title: "t", width: 1380 });
  assert.equal(f.width, 1380);
  assert.match(f.text, /^figure 1380×\d+: t$/);
  assert.match(dartsCellDiagram(g).text, /^figure 920×282$/);
});

Deno.test("dartsCellDiagram: a bad genotype, a genotype of another space or a bad width is refused", () => {
  assert.throws(
    () => dartsCellDiagram("Genotype(normal=[('sep_conv_3x3', 0)"),
    /parseDartsGenotype: not a DARTS genotype: at offset 36/,
  );
  assert.throws(
    () => dartsCellDiagram(DARTS_GENOTYPES.DARTS_V2, { space: "s2" }),
    /^Error: dartsCellDiagram: normal cell, pair 7 \(node 3\): "dil_conv_3x3" is not an op of space "s2"/,
  );
  assert.throws(
    () => dartsCellDiagram(formatDartsGenotype(DARTS_GENOTYPES.DARTS_V2), { space: "s2" }),
    /parseDartsGenotype: normal cell, pair 7/,
  );
  assert.throws(
    () => dartsCellDiagram({ ...DARTS_GENOTYPES.DARTS_V2, normal: [] }),
    /the normal cell has 0 \(op, input\) pairs/,
  );
  assert.throws(
    () => dartsCellDiagram(DARTS_GENOTYPES.DARTS_V2, { width: 0 }),
    /width must be a positive number/,
  );
});

Deno.test("dartsCellDiagram: op colours fixed per op and distinct; NB201's shared ops keep theirs", () => {
  for (const op of DARTS_KNOWN_OPS) assert.match(dartsOpColor(op), /^#[0-9a-f]{6}$/);
  assert.equal(new Set(Object.values(DARTS_OP_COLORS)).size, Object.keys(DARTS_OP_COLORS).length);
  assert.deepEqual(
    [dartsOpColor("none"), dartsOpColor("skip_connect"), dartsOpColor("avg_pool_3x3")],
    ["#9e9e9e", "#e15759", "#f28e2b"],
  );
  assert.equal(dartsOpColor("sep_conv_7x7"), "#333333");
});

Deno.test("dartsCellDiagram: saved as PNG at the figure's size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await dartsCellDiagram(DARTS_GENOTYPES.PC_DARTS).save(`${dir}/cell.png`, { scale: 1 });
    const png = await Deno.readFile(`${dir}/cell.png`);
    assert.deepEqual([...png.slice(0, 8)], PNG_SIGNATURE);
    const view = new DataView(png.buffer, png.byteOffset);
    assert.deepEqual([view.getUint32(16), view.getUint32(20)], [920, 282]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
