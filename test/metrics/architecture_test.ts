import assert from "node:assert/strict";
import { alphaStats, closestEdge, softmaxRows, top2Gaps } from "../../src/metrics/architecture.ts";

Deno.test("architecture statistics: softmax rows, α mean/median/std, top-2 β gaps", () => {
  const beta = softmaxRows([[0, 0], [Math.log(3), 0]]);
  assert.deepEqual(beta.map((r) => r.map((v) => Math.round(v * 1e6) / 1e6)), [[0.5, 0.5], [0.75, 0.25]]);
  assert.deepEqual(alphaStats([[1, 2], [3, 10]]), {
    mean: 4,
    median: 2.5,
    std: Math.sqrt((9 + 4 + 1 + 36) / 4),
  });
  assert.deepEqual(top2Gaps([[0.1, 0.6, 0.3], [0.5, 0.5, 0]]).map((v) => Math.round(v * 10) / 10), [0.3, 0]);
  assert.deepEqual(closestEdge([[0.1, 0.6, 0.3], [0.45, 0.4, 0.15]]).edge, 1);
  assert.throws(() => alphaStats([]), /no α values/);
  assert.throws(() => top2Gaps([[1]]), /at least two ops/);
});
