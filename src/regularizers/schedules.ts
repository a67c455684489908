/**
 * Regularization strengths as functions of the epoch. Every schedule takes the search loop's 0-based
 * epoch index; a schedule whose paper counts epochs from 1 says so with `countFrom`, so one epoch
 * variable runs through the whole search.
 * @module
 */

/** λ as a function of the 0-based epoch. */
export type Schedule = (epoch: number) => number;

/** A strength: a schedule, or a number for a constant. */
export type Strength = Schedule | number;

function nonNegative(who: string, name: string, v: number): number {
  if (!(v >= 0) || !Number.isFinite(v)) {
    throw new Error(`${who}: ${name} must be a finite number ≥ 0, got ${v}`);
  }
  return v;
}

/** Options of a linear schedule λ = start + slope · (epoch + countFrom). */
export interface LinearScheduleOptions {
  slope: number;
  /** λ at counted epoch 0 (default 0). */
  start?: number;
  /** What the loop's first epoch counts as (default 0; 1 when the paper numbers epochs from 1). */
  countFrom?: number;
}

/** λ = start + slope · (epoch + countFrom); never negative for epoch ≥ 0 (all three must be ≥ 0). */
export function linearSchedule(o: LinearScheduleOptions): Schedule {
  const who = "linear schedule";
  const slope = nonNegative(who, "slope", o.slope);
  const start = nonNegative(who, "start", o.start ?? 0);
  const countFrom = nonNegative(who, "countFrom", o.countFrom ?? 0);
  return (epoch) => start + slope * (epoch + countFrom);
}

/** A constant λ. */
export function constantSchedule(value: number): Schedule {
  nonNegative("constant schedule", "value", value);
  return () => value;
}

/** Options of a piecewise linear schedule through (epoch, λ) points. */
export interface PointsScheduleOptions {
  /**
   * The points `[epoch, λ]`, epochs strictly increasing and as the search loop counts them (the first
   * epoch is 0; `metrics.csv` numbers it 1), λ finite and ≥ 0. At least one point.
   */
  points: readonly (readonly [number, number])[];
  /** What the loop's first epoch counts as (default 0). */
  countFrom?: number;
}

/**
 * λ through the given points: linear between neighbours, held at the first point's λ before it and at
 * the last point's λ after it. `{ points: [[0, 0], [10, 2], [20, 2]] }` ramps from 0 to 2 over ten epochs,
 * then stays at 2. Throws, naming the point, on unsorted epochs or a non-finite or negative value.
 */
export function pointsSchedule(o: PointsScheduleOptions): Schedule {
  const who = "lambda points";
  const points = o.points;
  if (!Array.isArray(points) || points.length === 0) {
    throw new Error(`${who}: give at least one [epoch, λ] point, e.g. [[0, 0], [10, 2]]`);
  }
  points.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new Error(`${who}: point ${i} must be an [epoch, λ] pair, got ${JSON.stringify(p)}`);
    }
    const [epoch, lambda] = p;
    if (typeof epoch !== "number" || !Number.isFinite(epoch)) {
      throw new Error(`${who}: the epoch of point ${i} must be a finite number, got ${epoch}`);
    }
    nonNegative(who, "λ", lambda);
    if (i > 0 && !(epoch > points[i - 1][0])) {
      throw new Error(
        `${who}: epochs must increase, got ${points[i - 1][0]} then ${epoch} (points ${i - 1} and ${i}): ` +
          `sort them and drop duplicates`,
      );
    }
  });
  const countFrom = nonNegative(who, "countFrom", o.countFrom ?? 0);
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  return (epoch) => {
    const x = epoch + countFrom;
    if (x <= xs[0]) return ys[0];
    const last = xs.length - 1;
    if (x >= xs[last]) return ys[last];
    let i = 1;
    while (xs[i] < x) i++;
    const t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
    return ys[i - 1] + t * (ys[i] - ys[i - 1]);
  };
}

/** Options of SA-DARTS' λ_e. */
export interface SaScheduleOptions {
  /** λ_e = epoch / divisor (default 5; the paper also uses 2 on NB201 with ν = 0.25, μ = 1e6). */
  divisor?: number;
  /**
   * What the loop's first epoch counts as (default 1). The paper writes λ_e = epoch / 5 without saying
   * where epochs start; counting from 1 makes the first epoch regularized already (λ = 0.2), not idle.
   */
  countFrom?: number;
}

/** SA-DARTS' linearly growing λ_e = (epoch + countFrom) / divisor: 0.2, 0.4, … from the first epoch. */
export function saSchedule(o: SaScheduleOptions = {}): Schedule {
  const { divisor = 5, countFrom = 1 } = o;
  if (!(divisor > 0) || !Number.isFinite(divisor)) {
    throw new Error(`SA schedule: divisor must be a finite number > 0, got ${divisor}`);
  }
  nonNegative("SA schedule", "countFrom", countFrom);
  // A division, not a slope of 1/divisor: λ at epoch 4 is exactly 1.
  return (epoch) => (epoch + countFrom) / divisor;
}

/** Options of Beta-DARTS' λ. */
export interface BetaScheduleOptions {
  /** λ per epoch (default 0.5: Beta-DARTS' `0 + 50 * epoch / 100`). */
  slope?: number;
}

/**
 * Beta-DARTS' λ = 50 · epoch / 100 with the 0-based epoch (SPECS §4): 0 in the first epoch, 49.5 in
 * the last of its 100.
 */
export function betaSchedule(o: BetaScheduleOptions = {}): Schedule {
  return linearSchedule({ slope: o.slope ?? 0.5 });
}

/** A strength as a schedule, checking a constant now. */
export function asSchedule(who: string, strength: Strength): Schedule {
  if (typeof strength === "function") return strength;
  nonNegative(who, "λ", strength);
  return () => strength;
}

/** λ at `epoch`, refusing an epoch < 0 and a negative or non-finite λ (a schedule from outside). */
export function strengthAt(who: string, schedule: Schedule, epoch: number): number {
  if (!(epoch >= 0) || !Number.isFinite(epoch)) throw new Error(`${who}: epoch must be ≥ 0, got ${epoch}`);
  const lambda = schedule(epoch);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new Error(`${who}: λ must be a finite number ≥ 0, got ${lambda} at epoch ${epoch}`);
  }
  return lambda;
}
