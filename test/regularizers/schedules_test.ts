import assert from "node:assert/strict";
import { pointsSchedule, strengthAt } from "../../src/regularizers/schedules.ts";

Deno.test("points schedule: linear between points, held before the first and after the last", () => {
  const s = pointsSchedule({ points: [[0, 0], [10, 2], [20, 2], [30, 0.5]] });
  assert.deepEqual([0, 1, 5, 10, 15, 20, 25, 30, 100].map(s), [0, 0.2, 1, 2, 2, 2, 1.25, 0.5, 0.5]);
  const late = pointsSchedule({ points: [[5, 1], [7, 3]] });
  assert.deepEqual([0, 5, 6, 7, 9].map(late), [1, 1, 2, 3, 3]);
  assert.equal(pointsSchedule({ points: [[3, 0.7]] })(0), 0.7, "one point: a constant");
  assert.equal(
    pointsSchedule({ points: [[1, 0], [5, 4]], countFrom: 1 })(2),
    2,
    "countFrom shifts the epoch",
  );
  assert.equal(strengthAt("t", s, 5), 1);
});

Deno.test("points schedule: unsorted, duplicate, non-finite or negative points are refused, naming them", () => {
  assert.throws(() => pointsSchedule({ points: [] }), /give at least one \[epoch, λ\] point/);
  assert.throws(
    () => pointsSchedule({ points: [[0, 0], [5, 1], [3, 2]] }),
    /epochs must increase, got 5 then 3 \(points 1 and 2\)/,
  );
  assert.throws(() => pointsSchedule({ points: [[0, 0], [0, 1]] }), /epochs must increase, got 0 then 0/);
  assert.throws(() => pointsSchedule({ points: [[0, NaN]] }), /λ must be a finite number ≥ 0, got NaN/);
  assert.throws(() => pointsSchedule({ points: [[0, -1]] }), /λ must be a finite number ≥ 0, got -1/);
  assert.throws(
    () => pointsSchedule({ points: [[Infinity, 1]] }),
    /the epoch of point 0 must be a finite number/,
  );
  assert.throws(
    () => pointsSchedule({ points: [[0, 1, 2]] as never }),
    /point 0 must be an \[epoch, λ\] pair/,
  );
});
