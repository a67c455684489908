import assert from "node:assert/strict";
import { SweepBoard } from "../../src/sweeps/progress.ts";
import { expandGrid } from "../../src/sweeps/grid.ts";

Deno.test("SweepBoard: a line per worker while runs go, tagged when idle, only the summary once all are done", () => {
  const runs = expandGrid({ name: "g", methods: ["darts", "sa"], seeds: [0], preset: "smoke" });
  const board = new SweepBoard("g", runs.length, 2);
  assert.deepEqual(board.lines().slice(1), ["[1] idle", "[2] idle"]);
  const start = board.update({ type: "start", worker: 1, run: runs[0], resumed: true });
  assert.match(start!, /^\[2\] darts-smoke-s0-[0-9a-f]{8}: resuming \(darts, seed 0\)$/);
  assert.equal(board.lines()[2], start);
  for (const [w, run] of runs.entries()) {
    board.update({
      type: "end",
      worker: w,
      outcome: { run, status: "failed", folder: "x", message: "boom" },
    });
  }
  assert.deepEqual(board.lines().length, 1);
  assert.match(board.lines()[0], /^sweep g: 2\/2 runs done \(0 ran, 0 found, 2 failed\), /);
});
