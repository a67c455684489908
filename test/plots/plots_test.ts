import assert from "node:assert/strict";
import pl from "../../src/deps/polars.ts";
import { alphaStatistics, betaTrajectories, byEpoch, cellDiagram } from "../../src/plots/search.ts";
import { JUPYTER_DISPLAY } from "../../src/plots/render.ts";
import { heatmapFigure, saShapeFigure } from "../../src/plots/ablation.ts";
import { alphaAtEpoch, betaMargin, historyFrames, meanStdTable, paramRows } from "../../src/runs/frames.ts";
import { searchConfig } from "../../src/search/config.ts";
import { NB201_EDGES, NB201_OPS } from "../../src/spaces/nb201.ts";

/** Two synthetic runs: skip_connect's α grows on every edge for "darts", stays put for "sa". */
function runs() {
  return (["darts", "sa"] as const).flatMap((method) =>
    [0, 1].map((seed) => {
      const config = searchConfig({ method, seed, preset: "smoke" });
      const alpha = [0, 1, 2].flatMap((epoch) =>
        NB201_EDGES.flatMap((e) =>
          NB201_OPS.map((op) => {
            const a = op === "skip_connect" && method === "darts" ? 0.1 * epoch : 0;
            return {
              epoch,
              edge: `${e.to}<-${e.from}`,
              op,
              alpha: a,
              beta: Math.exp(a) / (4 + Math.exp(0.1 * epoch)),
            };
          })
        )
      );
      const metrics = [0, 1, 2].map((epoch) => ({
        epoch,
        cifar10: method === "darts" ? 90 - 10 * epoch + seed : 93 + seed,
        skipEdges: method === "darts" ? 2 * epoch : 1,
        alphaMean: 0.01 * epoch,
        alphaMedian: 0,
        alphaStd: 0.02 * epoch,
        minTop2Gap: method === "darts" ? 0.001 : 0.05 + 0.01 * seed,
      }));
      return { config, metrics, alpha };
    })
  );
}

Deno.test("historyFrames + meanStdTable: runs tagged by method and seed; mean ± std (ddof 1) per method", () => {
  const { metrics, alpha } = historyFrames(runs());
  assert.equal(metrics.height, 4 * 3);
  assert.equal(alpha.height, 4 * 3 * 30);
  assert.deepEqual(metrics.columns.slice(0, 3), ["method", "seed", "epoch"]);
  const t = meanStdTable(metrics, ["cifar10", "minTop2Gap"]);
  assert.deepEqual(t.getColumn("method").toArray(), ["darts", "sa"], "methods in order of appearance");
  assert.deepEqual(t.getColumn("cifar10Mean").toArray(), [70.5, 93.5]);
  assert.ok(Math.abs(Number(t.getColumn("cifar10Std").toArray()[0]) - Math.SQRT1_2) < 1e-12);
  assert.deepEqual(meanStdTable(metrics, ["skipEdges"], 1).getColumn("skipEdgesMean").toArray(), [2, 1]);
});

Deno.test("figures: standalone SVG with the series' labels, shown inline by Jupyter", async () => {
  const { metrics, alpha } = historyFrames(runs());
  const beta = betaTrajectories(alpha, { edge: "3<-0" });
  assert.match(beta.svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const op of NB201_OPS) assert.ok(beta.svg.includes(`>${op}<`), `legend names ${op}`);
  assert.ok(beta.svg.includes(">darts<") && beta.svg.includes(">sa<"), "one panel per method");
  assert.deepEqual(Object.keys(await beta[JUPYTER_DISPLAY]()).sort(), [
    "image/png",
    "image/svg+xml",
    "text/html",
    "text/plain",
  ]);
  assert.throws(() => betaTrajectories(alpha, { edge: "9<-0" }), /no rows for edge "9<-0"/);
  assert.match(alphaStatistics(metrics).svg, />median</);
  const acc = byEpoch(metrics, "cifar10", { label: "CIFAR-10 (%)", reference: 94.37 });
  assert.match(acc.svg, /CIFAR-10 \(%\)/);
  assert.throws(() => byEpoch(metrics, "cifar11"), /no column "cifar11"/);
  assert.equal(beta.svg.match(/<path /g)!.length >= 2 * NB201_OPS.length, true, "a line per op and panel");
  assert.ok(!beta.svg.includes(">warm-up<"), "no band unless asked");
  for (
    const fig of [
      betaTrajectories(alpha, { warmupEpochs: 1 }),
      byEpoch(metrics, "cifar10", { warmupEpochs: 1 }),
    ]
  ) {
    assert.ok(fig.svg.includes(">warm-up<"), "the warm-up band is labelled");
    assert.match(fig.svg, /fill="#eeeeee"[^<]*><rect /, "a grey band");
  }
});

Deno.test("cellDiagram: four nodes, one labelled arrow per edge, none dashed; a bad cell is refused", () => {
  const cell = "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|";
  const svg = cellDiagram(cell).svg;
  for (
    const label of [
      "0",
      "1",
      "2",
      "3",
      "nor_conv_3x3",
      "none",
      "nor_conv_1x1",
      "skip_connect",
      "avg_pool_3x3",
    ]
  ) {
    assert.ok(svg.includes(`>${label}<`), `draws ${label}`);
  }
  assert.equal(svg.match(/stroke-dasharray="4,3"/g)?.length, 1, "only the none edge is dashed");
  assert.throws(() => cellDiagram("|conv~0|"), /./);
  void pl;
});

Deno.test("alphaAtEpoch: the α matrix of one epoch, edges as recorded, ops as recorded or asked, by parameter; a missing epoch is an error", () => {
  const { alpha } = runs()[0];
  const m = alphaAtEpoch(alpha, 2);
  assert.equal(m.length, 6);
  assert.deepEqual(m[0], [0, 0.2, 0, 0, 0].map((v) => v));
  assert.throws(() => alphaAtEpoch(alpha, 7), /no α recorded at epoch 7/);
  assert.deepEqual(
    alphaAtEpoch(alpha, 2, ["skip_connect", "none"])[0],
    [0.2, 0],
    "columns in the order asked",
  );
  // A space with several parameters: each row names its own, and one is picked by name.
  const named = [
    { epoch: 1, param: "alpha_normal", edge: "e0", op: "a", alpha: 1, beta: 0.5 },
    { epoch: 1, param: "alpha_reduce", edge: "e0", op: "a", alpha: 2, beta: 0.5 },
  ];
  assert.deepEqual(alphaAtEpoch(named, 1, undefined, "alpha_reduce"), [[2]]);
  assert.throws(() => alphaAtEpoch(named, 1), /no α recorded at epoch 1/);
});

Deno.test("betaMargin: β of an op minus its best rival's per run and epoch, the leader named; unknown names refused", () => {
  const { alpha } = historyFrames(runs());
  const m = betaMargin(alpha, { edge: "1<-0", op: "nor_conv_3x3", rivals: ["skip_connect", "avg_pool_3x3"] });
  assert.equal(m.height, 4 * 3, "one row per run and epoch");
  const rows = m.toRecords() as Record<string, unknown>[];
  const darts2 = rows.find((r) => r.method === "darts" && r.seed === 0 && r.epoch === 2)!;
  const z = 4 + Math.exp(0.2);
  assert.ok(Math.abs((darts2.margin as number) - (1 / z - Math.exp(0.2) / z)) < 1e-12);
  assert.equal(darts2.rival, "skip_connect");
  assert.equal(darts2.leader, "skip_connect");
  assert.deepEqual(rows.slice(0, 3).map((r) => r.epoch), [0, 1, 2], "frame order kept");
  assert.throws(
    () => betaMargin(alpha, { edge: "9<-0", op: "none", rivals: ["skip_connect"] }),
    /no rows for edge/,
  );
  assert.throws(
    () => betaMargin(alpha, { edge: "1<-0", op: "conv", rivals: ["skip_connect"] }),
    /no op "conv"/,
  );
});

Deno.test("paramRows, betaMargin and betaTrajectories keep the op weights of a PC-DARTS history, not its edge weights", () => {
  // NB201 with partial channels records α (op weights) first, then the edge weights as param "beta", op
  // "edge"; on the first edge, the only one into node 1, the edge's β is 1 and would lead every op.
  const pc = [
    ...["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"].map((op, i) => ({
      method: "pc-darts",
      seed: 0,
      epoch: 1,
      param: "alpha",
      edge: "1<-0",
      op,
      alpha: i / 10,
      beta: 0.1 + i / 20,
    })),
    { method: "pc-darts", seed: 0, epoch: 1, param: "beta", edge: "1<-0", op: "edge", alpha: 0, beta: 1 },
  ];
  assert.deepEqual(paramRows(pc).map((r) => r.op).includes("edge"), false);
  assert.deepEqual(paramRows(pc, "beta").map((r) => r.op), ["edge"]);
  const plain = [{ epoch: 1, edge: "1<-0", op: "none", alpha: 0, beta: 1 }];
  assert.deepEqual(paramRows([...plain, ...pc]).length, 6, "rows without a param are kept");
  const m = betaMargin(pl.DataFrame(pc), { edge: "1<-0", op: "nor_conv_3x3", rivals: ["skip_connect"] })
    .toRecords();
  assert.equal(m[0].leader, "avg_pool_3x3");
  const svg = betaTrajectories(pl.DataFrame(pc)).svg;
  assert.ok(!svg.includes(">edge<"), "no line or legend entry for the edge weight");
  assert.ok(svg.includes(">avg_pool_3x3<"));
});

Deno.test("heatmapFigure: names a missing column and refuses a measure that is null everywhere", () => {
  const rows = [{ setting: "ν = 1", row: "sa", acc: 94.2 }, { setting: "ν = 0", row: "sa", acc: null }];
  assert.throws(
    () => heatmapFigure(rows, { x: "setting", y: "method", fill: "acc" }),
    /no column "method" \(columns: setting, row, acc\)/,
  );
  assert.throws(
    () => heatmapFigure(rows.slice(1), { x: "setting", y: "row", fill: "acc" }),
    /every "acc" is null/,
  );
  // A null cell is left blank: one cell, one label.
  const svg = heatmapFigure(rows, { x: "setting", y: "row", fill: "acc" }).svg;
  assert.equal(svg.match(/>94\.20</g)?.length, 1);
  assert.equal((svg.match(/<rect/g) ?? []).length, 1);
});

Deno.test("saShapeFigure: names a missing column", () => {
  assert.throws(
    () => saShapeFigure([{ setting: "a", alpha: 0, term: 0 }], { value: "slope" }),
    /no column "slope"/,
  );
});
