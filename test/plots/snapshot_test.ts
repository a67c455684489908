import assert from "node:assert/strict";
import * as Plot from "../../src/deps/plot.ts";
import {
  alphaStatistics,
  betaRankAccuracy,
  betaTrajectories,
  byEpoch,
  cellDiagram,
} from "../../src/plots/search.ts";
import { plotFigure } from "../../src/plots/render.ts";
import { landscapeFigure } from "../../src/plots/landscape.ts";
import type { Landscape } from "../../src/analysis/landscape.ts";
import { heatmapFigure, saShapeFigure } from "../../src/plots/ablation.ts";
import { CELL, offsetRuns, quickstartAlpha, runs, swaps } from "./frames.ts";
import { assertSnapshot } from "./snapshot.ts";

/** A skewed bowl on a 11 × 11 grid, the score falling as the loss rises. */
function bowl() {
  const c = Array.from({ length: 11 }, (_, i) => -1 + i / 5);
  const loss = c.map((x) => c.map((y) => 1 + 2 * x * x + 0.5 * y * y + 0.3 * x * y));
  return {
    coordinates: c,
    loss,
    score: loss.map((r) => r.map((l) => 90 - 10 * l)),
    directions: [{}, {}] as Landscape["directions"],
  };
}

/** Two (μ, ν) shapes sampled by hand: Leaky ReLU (ν = 0.25) and the mean (ν = 1). */
function shapes() {
  const alphas = [-2, -1, 0, 1, 2];
  return [
    ...alphas.map((alpha) => ({
      setting: "μ = 1e6, ν = 0.25",
      alpha,
      term: alpha > 0 ? alpha : alpha / 4,
      slope: alpha > 0 ? 1 : 0.25,
    })),
    ...alphas.map((alpha) => ({ setting: "ν = 1", alpha, term: alpha, slope: 1 })),
  ];
}

/** An ablation table's shape: settings × (method, epoch), one setting missing for SAC. */
function ablation() {
  const settings = ["ν = 1", "ν = 0.5 μ = 1e6", "ν = 0.25 μ = 1e6 λ = e/2"];
  return ["sa", "sac"].flatMap((method, m) =>
    [10, 20].flatMap((epoch) =>
      settings.map((setting, s) => ({
        setting,
        row: `${method}, epoch ${epoch}`,
        method,
        cifar10: m === 1 && s === 2 ? null : 94.37 - s * 1.5 - m * 0.4 - (epoch - 10) * 0.2,
      }))
    )
  );
}

/** Each figure from frames built here, against its committed SVG (UPDATE_SNAPSHOTS=1 rewrites them). */
const FIGURES = {
  "beta-one-run": () => betaTrajectories(quickstartAlpha(), { edge: "1<-0" }),
  "beta-multi-run": () => betaTrajectories(runs().alpha, { edge: "3<-0", warmupEpochs: 2 }),
  "alpha-statistics": () => alphaStatistics(runs().metrics),
  "by-epoch-linear": () =>
    byEpoch(runs().metrics, "cifar10", { label: "CIFAR-10 (%)", reference: 94.37, warmupEpochs: 2 }),
  "by-epoch-log": () =>
    byEpoch(runs().metrics, "minTop2Gap", {
      label: "smallest top-2 β gap",
      yType: "log",
      reference: 1e-3,
      warmupEpochs: 2,
      dots: false,
    }),
  "by-epoch-offsets": () => byEpoch(offsetRuns(), "skipEdges", { label: "skip edges" }),
  "cell-diagram": () => cellDiagram(CELL, { title: "derived cell" }),
  "landscape-loss": () => landscapeFigure(bowl(), { title: "DARTS", domain: [0.5, 3.5] }),
  "landscape-score": () => landscapeFigure(bowl(), { value: "score", thresholds: 6 }),
  "beta-rank-accuracy": () => betaRankAccuracy(swaps(), { title: "β rank vs accuracy" }),
  "sa-shape-term": () => saShapeFigure(shapes(), { title: "SA term" }),
  "sa-shape-slope": () => saShapeFigure(shapes(), { value: "slope" }),
  "heatmap": () =>
    heatmapFigure(ablation(), { x: "setting", y: "row", fill: "cifar10", title: "CIFAR-10 (%)" }),
  "heatmap-faceted": () =>
    heatmapFigure(ablation(), {
      x: "setting",
      y: "row",
      fx: "method",
      fill: "cifar10",
      scheme: "magma",
      reverse: true,
      digits: 1,
    }),
};

for (const [name, figure] of Object.entries(FIGURES)) {
  Deno.test(`snapshot ${name}: the figure's SVG is the committed one`, async () => {
    await assertSnapshot(name, figure().svg);
  });
}

Deno.test("snapshots: a figure's SVG does not depend on the figures drawn before it (ids renumbered)", () => {
  const clipped = () =>
    plotFigure({ marks: [Plot.lineY([1, 3, 2], { clip: true }), Plot.lineY([2, 1, 3], { clip: true })] }).svg;
  const first = clipped();
  for (const f of Object.values(FIGURES)) f();
  const again = clipped();
  assert.match(first, /clip-path="url\(#plot-clip-[0-9a-f]{8}-1\)"/, "Plot's clip ids are there, renumbered");
  assert.equal(again, first);
  assert.equal(FIGURES["beta-multi-run"]().svg, FIGURES["beta-multi-run"]().svg);
  const other = plotFigure({ marks: [Plot.lineY([5, 1, 3], { clip: true })] }).svg;
  const ids = (svg: string) => new Set(svg.match(/plot-clip-[0-9a-f]{8}-\d+/g));
  assert.ok([...ids(other)].every((id) => !ids(first).has(id)), "different figures keep distinct ids");
});
