import assert from "node:assert/strict";
import { epochLine } from "../../src/cli/search.ts";
import { progressLine, type ProgressLineParts } from "../../src/cli/runConsole.ts";
import { NB201_SPACE } from "../../src/spaces/nb201Space.ts";
import { NB201_PRESETS } from "../../src/spaces/nb201Space.ts";

const parts: ProgressLineParts = {
  epoch: 3,
  epochs: 20,
  step: 39,
  steps: 78,
  loss: 2.30259,
  eta: 83,
  cell: "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
};

Deno.test("progress line: fits the terminal, dropping the cell, then the bar, never wrapping", () => {
  const at = (w: number) => progressLine(parts, w);
  for (const w of [40, 80, 100, 200]) {
    assert.ok(at(w).length < w, `width ${w}: ${at(w).length} characters`);
    assert.ok(!at(w).includes("\n"));
    assert.ok(at(w).startsWith("epoch 3/20"), at(w));
  }
  assert.equal(at(200), `epoch 3/20 [##########..........] 39/78 loss 2.303 ETA 1m23s ${parts.cell}`);
  assert.equal(
    at(100),
    "epoch 3/20 [##########..........] 39/78 loss 2.303 ETA 1m23s",
    "the cell goes first",
  );
  assert.equal(at(80), "epoch 3/20 [##########..........] 39/78 loss 2.303 ETA 1m23s");
  assert.equal(at(40), "epoch 3/20 39/78 loss 2.303 ETA 1m23s", "then the bar");
  assert.equal(progressLine(parts, 20), "epoch 3/20 39/78 lo", "a very narrow terminal gets the start");
  assert.equal(
    progressLine({ ...parts, step: 78, eta: 4000 }, 80),
    "epoch 3/20 [####################] 78/78 loss 2.303 ETA 1h06m",
  );
});

Deno.test("epochLine: fits the terminal, dropping the cell string first; whole in logs", () => {
  const row = {
    epoch: 3,
    lr: 0.02,
    trainLoss: 1.2345,
    trainAcc: 55.5,
    archLoss: 1.3,
    archAcc: 50,
    validLoss: 1.4,
    validAcc: 48.25,
    regLoss: 0,
    cell: "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    cifar10: 94.37,
    cifar100: 73.5,
    imagenet16: 46.3,
    cifar10Percentile: 99.99,
    skipEdges: 1,
    noneEdges: 0,
    alphaMean: 0,
    alphaMedian: 0,
    alphaStd: 0,
    minTop2Gap: 1e-3,
    closestEdge: "1<-0",
    seconds: 41.23,
    elapsed: 120,
  };
  const highlights = NB201_SPACE.open({ model: NB201_PRESETS.smoke.model }).epochHighlights(row);
  const full = epochLine(row, 20, highlights);
  assert.ok(full.includes(row.cell) && full.includes("NB201 C10 94.37%") && full.includes("41.2 s"), full);
  for (const width of [40, 80, 100, 200]) {
    const line = epochLine(row, 20, highlights, width);
    assert.ok(line.length <= width - 1, `${width}: ${line.length} characters`);
    assert.ok(line.startsWith("epoch 3/20"), line);
  }
  assert.ok(!epochLine(row, 20, highlights, 100).includes(row.cell), "the cell goes first");
  assert.match(epochLine(row, 20, highlights, 100), /NB201 C10 94\.37%/);
  assert.equal(epochLine(row, 20, highlights, 200), full);
});
