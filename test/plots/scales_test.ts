import assert from "node:assert/strict";
import pl from "../../src/deps/polars.ts";
import { alphaStatistics, betaTrajectories, byEpoch } from "../../src/plots/search.ts";
import {
  epochTicks,
  labelColors,
  labelOrder,
  METHOD_COLORS,
  scientificTick,
  tickLabelMargin,
} from "../../src/plots/scales.ts";
import { METHODS } from "../../src/methods/mod.ts";
import { offsetRuns, quickstartAlpha, runs } from "./frames.ts";

/** The tick labels of one axis ("x" or "y") of a figure, in drawing order. */
function tickLabels(svg: string, axis: "x" | "y"): string[] {
  const group = new RegExp(`aria-label="${axis}-axis tick label"[^>]*>(.*?)</g>`, "s").exec(svg);
  assert.ok(group, `the figure has a ${axis} axis`);
  return [...group[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** The legend of a flattened figure: label → swatch colour, in legend order. */
function legend(svg: string): [string, string][] {
  return [...svg.matchAll(/<rect [^>]*height="10" fill="([^"]+)"\/><text [^>]*>([^<]*)<\/text>/g)]
    .map((m) => [m[2], m[1]]);
}

Deno.test("METHOD_COLORS: a distinct colour for every method of METHODS", () => {
  for (const name of Object.keys(METHODS)) {
    assert.ok(Object.hasOwn(METHOD_COLORS, name), `a colour for ${name}`);
  }
  const colors = Object.values(METHOD_COLORS);
  assert.equal(new Set(colors).size, colors.length, "no two methods share a colour");
});

Deno.test("labelOrder: first appearance, or numeric when every label ends in a number; never string order", () => {
  assert.deepEqual(labelOrder(["sa", "darts", "sa", "beta", null]), ["sa", "darts", "beta"]);
  assert.deepEqual(
    labelOrder(["init 0", "init -0.5", "init -1", "init -2", "init -5"]),
    ["init -5", "init -2", "init -1", "init -0.5", "init 0"],
  );
  assert.deepEqual(labelOrder(["seed 10", "seed 2", "seed 1"]), ["seed 1", "seed 2", "seed 10"]);
  assert.deepEqual(labelOrder([10, 2, -1]), [-1, 2, 10]);
  assert.deepEqual(
    labelOrder(["1<-0", "2<-0", "2<-1", "3<-0"]),
    ["1<-0", "2<-0", "2<-1", "3<-0"],
    "edges as given",
  );
  assert.deepEqual(labelOrder(["init 0", "sa-leaky", "init -1"]), ["init 0", "sa-leaky", "init -1"]);
});

Deno.test("labelColors: methods keep their colour; other labels take free colours in order; choices override", () => {
  const a = labelColors(["darts", "beta", "sa", "sa-leaky"], undefined, "t");
  assert.deepEqual(a.domain, ["darts", "beta", "sa", "sa-leaky"]);
  assert.deepEqual(a.range.slice(0, 3), [METHOD_COLORS.darts, METHOD_COLORS.beta, METHOD_COLORS.sa]);
  assert.ok(!a.range.slice(0, 3).includes(a.range[3]), "sa-leaky gets a colour no method here has");
  const b = labelColors(["sa", "darts"], undefined, "t");
  assert.deepEqual(b.range, [METHOD_COLORS.sa, METHOD_COLORS.darts], "the same colours in any order");
  assert.deepEqual(labelColors(["x", "darts"], { x: "#000000" }, "t").range, [
    "#000000",
    METHOD_COLORS.darts,
  ]);
  assert.deepEqual(
    labelColors(["p", "q"], { domain: ["q", "p"], range: ["red", "blue"] }, "t"),
    { domain: ["q", "p"], range: ["red", "blue"] },
  );
  assert.throws(
    () => labelColors(["p", "r"], { domain: ["p"], range: ["red"] }, "byEpoch"),
    /byEpoch: colors.domain lacks "r": add them/,
  );
  assert.throws(
    () => labelColors(["p"], { domain: ["p", "q"], range: ["red"] }, "byEpoch"),
    /colors.range has 1 colours for 2 labels/,
  );
});

Deno.test("byEpoch: a method's colour is the same in every figure, legends in run or numeric order", () => {
  const { metrics } = runs();
  const two = legend(byEpoch(metrics, "cifar10").svg);
  assert.deepEqual(two, [["darts", METHOD_COLORS.darts], ["sa", METHOD_COLORS.sa]]);
  const reversed = pl.concat([metrics.filter(pl.col("method").eq(pl.lit("sa"))), metrics]);
  assert.deepEqual(legend(byEpoch(reversed, "skipEdges").svg), [["sa", METHOD_COLORS.sa], [
    "darts",
    METHOD_COLORS.darts,
  ]]);
  const offsets = offsetRuns();
  const order = ["init -5", "init -2", "init -1", "init -0.5", "init 0"];
  const first = legend(byEpoch(offsets, "skipEdges").svg);
  assert.deepEqual(first.map(([l]) => l), order);
  // Another figure of the same frame, over rows where one label has no values: the same colours.
  const gappy = offsets.withColumn(
    pl.when(pl.col("method").eq(pl.lit("init -2"))).then(pl.lit(null)).otherwise(pl.col("skipEdges")).alias(
      "gappy",
    ),
  );
  assert.deepEqual(legend(byEpoch(gappy, "gappy").svg), first);
  const chosen = legend(byEpoch(offsets, "skipEdges", { colors: { "init 0": "#000000" } }).svg);
  assert.deepEqual(chosen.at(-1), ["init 0", "#000000"]);
  assert.throws(
    () => byEpoch(offsets, "skipEdges", { color: "variant" }),
    /no column "variant" to colour by/,
  );
});

Deno.test("epoch axes: integer ticks only, also on runs of a few epochs", () => {
  const { alpha, metrics } = runs();
  const short = metrics.filter(pl.col("epoch").ltEq(3));
  for (
    const svg of [
      byEpoch(short, "cifar10").svg,
      betaTrajectories(quickstartAlpha()).svg,
      alphaStatistics(short).svg,
      betaTrajectories(alpha, { warmupEpochs: 1 }).svg,
    ]
  ) {
    const ticks = tickLabels(svg, "x");
    assert.ok(ticks.length >= 2, "ticks drawn");
    for (const t of ticks) assert.match(t, /^\d+$/, `tick "${t}" is a whole epoch`);
  }
  assert.deepEqual(tickLabels(byEpoch(short, "cifar10").svg, "x"), ["0", "1", "2", "3"]);
  assert.deepEqual(epochTicks([0, 50], 320), [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(epochTicks([1, 2], 640), [1, 2]);
  assert.deepEqual(epochTicks([], 640), []);
});

Deno.test("log axes: scientific tick labels as the text writes them, not SI prefixes", () => {
  const svg = byEpoch(runs().metrics, "minTop2Gap", { yType: "log", reference: 1e-3 }).svg;
  const ticks = tickLabels(svg, "y").filter((t) => t !== "");
  assert.ok(ticks.includes("1e-3"), `1e-3 among ${ticks.join(", ")}`);
  for (const t of ticks) assert.doesNotMatch(t, /[mµnk]$/, `no SI prefix in "${t}"`);
  assert.equal(scientificTick(4.7e-3), "4.7e-3");
  assert.equal(scientificTick(1e-3), "1e-3");
  assert.equal(scientificTick(0.02), "2e-2");
  assert.equal(scientificTick(1), "1");
  assert.equal(scientificTick(500), "500");
  assert.equal(scientificTick(2e4), "2e4");
  assert.equal(scientificTick(-3e-5), "−3e-5");
  assert.equal(scientificTick(9.999e-4), "1e-3");
});

Deno.test("betaTrajectories: β tick labels such as 0.2000 fit left of the axis (quickstart: one run)", () => {
  const svg = betaTrajectories(quickstartAlpha(), { edge: "1<-0" }).svg;
  const labels = tickLabels(svg, "y");
  assert.ok(labels.some((l) => /^0\.\d{4}$/.test(l)), `four-decimal labels: ${labels.join(", ")}`);
  // Labels are right-aligned 9 px left of the axis; DejaVu Sans (the PNG font) at 10 px: digits
  // 6.4 px, "." 3.2 px. Every label must start right of the figure's left edge.
  const axisX = Number(/translate\(([\d.]+),[\d.]+\)" y="0.32em"/.exec(svg)?.[1]);
  const widest = Math.max(...labels.map((l) => [...l].reduce((w, c) => w + (c === "." ? 3.2 : 6.4), 0)));
  assert.ok(axisX - 9 - widest >= 0, `labels ${widest} px wide fit in ${axisX - 9} px`);
  assert.equal(tickLabelMargin([0.1985, 0.2015], 200), 52, "0.2000: 6 characters");
  assert.equal(tickLabelMargin([0.19, 0.21], 200), 45, "0.200: 5 characters");
  assert.equal(tickLabelMargin([1, 9], 200), 40);
});
