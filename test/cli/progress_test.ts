import assert from "node:assert/strict";
import { progressLine, type ProgressLineParts } from "../../src/cli/search.ts";

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
