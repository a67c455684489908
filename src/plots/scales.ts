/**
 * Scales shared by the figures: one fixed colour per search method, colours for other run labels in
 * the order the runs were given, integer epoch ticks, scientific labels on log axes, and a left margin
 * wide enough for the y tick labels. Pure functions of their inputs, so a figure does not depend on
 * which figures were drawn before it.
 * @module
 */

/**
 * One colour per search method (the names of `METHODS` in `src/methods/mod.ts`, and room for the
 * methods still to come), the same in every figure. Keys are method names as they appear in a frame's
 * `method` column.
 */
export const METHOD_COLORS: Readonly<Record<string, string>> = {
  darts: "#4e79a7",
  beta: "#f28e2b",
  sa: "#e15759",
  snas: "#76b7b2",
  "snas-sa": "#59a14f",
  drnas: "#b07aa1",
  "pc-darts": "#9c755f",
  sac: "#ff9da7",
  "pc-beta": "#edc948",
  "darts-2nd": "#2f4b7c",
};

/**
 * Colours for labels that are not method names (e.g. "init -0.5", "sa-leaky"), handed out in the
 * order of {@link labelOrder}, skipping colours that method names in the same figure already hold;
 * after the last one they repeat.
 */
export const LABEL_COLORS: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
  "#a0cbe8",
  "#ffbe7d",
  "#8cd17d",
  "#b6992d",
  "#86bcb6",
  "#d37295",
];

/**
 * Colours chosen by the caller: a label → colour map (labels it leaves out get colours as usual), or
 * a scale's `{ domain, range }` (the domain is then also the legend's order and must hold every label).
 */
export type ColorChoice = Readonly<Record<string, string>> | {
  readonly domain: readonly unknown[];
  readonly range: readonly string[];
};

/** A label's trailing number ("init -0.5" → -0.5, "seed=3" → 3), after a space, "=", ":" or nothing. */
const TRAILING_NUMBER = /^(|.*[\s=:])([-+−]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i;

/**
 * The distinct values of a column in legend order: numeric order when every value is a number or ends
 * in one (labels with different prefixes keep their prefixes' order of first appearance), otherwise the
 * order of first appearance (the order the runs were given). Never sorted as strings. `null` and
 * `undefined` are left out.
 */
export function labelOrder(values: Iterable<unknown>): unknown[] {
  const distinct = [...new Set(values)].filter((v) => v !== null && v !== undefined);
  if (distinct.every((v) => typeof v === "number" || typeof v === "bigint")) {
    return distinct.sort((a, b) => Number(a) - Number(b));
  }
  const parsed = distinct.map((v) => typeof v === "string" ? TRAILING_NUMBER.exec(v) : null);
  if (distinct.length < 2 || parsed.some((m) => m === null)) return distinct;
  const prefixes = [...new Set(parsed.map((m) => m![1]))];
  const key = (m: RegExpExecArray) => Number(m[2].replace("−", "-"));
  return distinct
    .map((v, i) => ({ v, prefix: prefixes.indexOf(parsed[i]![1]), n: key(parsed[i]!) }))
    .sort((a, b) => a.prefix - b.prefix || a.n - b.n)
    .map((d) => d.v);
}

/**
 * The colour scale of a figure coloured by run labels (`values`: the column, in frame order; `who`:
 * the figure, for messages): method names take {@link METHOD_COLORS}, other labels take
 * {@link LABEL_COLORS} in {@link labelOrder}, `choice` overrides either.
 */
export function labelColors(
  values: Iterable<unknown>,
  choice: ColorChoice | undefined,
  who: string,
): { domain: unknown[]; range: string[] } {
  const labels = labelOrder(values);
  if (choice && "domain" in choice && "range" in choice && Array.isArray(choice.domain)) {
    const domain = [...(choice.domain as unknown[])];
    const range = [...(choice.range as string[])];
    const missing = labels.filter((l) => !domain.includes(l));
    if (missing.length) {
      throw new Error(
        `${who}: colors.domain lacks ${missing.map((m) => JSON.stringify(m)).join(", ")}: add them to ` +
          "the domain (and a colour each to the range), or pass a label → colour map instead",
      );
    }
    if (range.length < domain.length) {
      throw new Error(
        `${who}: colors.range has ${range.length} colours for ${domain.length} labels: give one per label`,
      );
    }
    return { domain, range: range.slice(0, domain.length) };
  }
  const chosen = (choice ?? {}) as Readonly<Record<string, string>>;
  const fixed = (l: unknown): string | undefined => {
    const key = String(l);
    if (Object.hasOwn(chosen, key)) return chosen[key];
    return Object.hasOwn(METHOD_COLORS, key) ? METHOD_COLORS[key] : undefined;
  };
  const taken = new Set(labels.map(fixed).filter((c) => c !== undefined));
  const free = LABEL_COLORS.filter((c) => !taken.has(c));
  const pool = free.length ? free : LABEL_COLORS;
  let next = 0;
  return { domain: labels, range: labels.map((l) => fixed(l) ?? pool[next++ % pool.length]) };
}

/**
 * Integer ticks for an epoch axis over `values`, about one per `spacing` pixels of a `width`-pixel
 * panel (steps of 1, 2 or 5 × 10ⁿ, never below 1), so short runs get no fractional epochs.
 */
export function epochTicks(values: Iterable<number>, width: number, spacing = 80): number[] {
  const [lo, hi] = extent(values);
  if (lo === undefined || hi === undefined) return [];
  const first = Math.ceil(lo);
  const last = Math.floor(hi);
  if (last < first) return [];
  const step = Math.max(1, tickStep(first, last, Math.max(1, Math.floor(width / spacing))));
  const ticks: number[] = [];
  for (let t = Math.ceil(first / step) * step; t <= last; t += step) ticks.push(t);
  return ticks;
}

/**
 * A log axis' tick label in the notation the text uses: "1e-3", "4.7e-3"; "1", "20", "500" for
 * 1 ≤ |d| < 1000. Up to two significant digits after the leading one; negative numbers with "−".
 */
export function scientificTick(d: number): string {
  if (!Number.isFinite(d)) return String(d);
  if (d === 0) return "0";
  const sign = d < 0 ? "−" : "";
  const v = Math.abs(d);
  let e = Math.floor(Math.log10(v));
  let m = Number((v / 10 ** e).toPrecision(3));
  if (m >= 10) {
    m /= 10;
    e += 1;
  }
  if (e >= 0 && e <= 2) return sign + String(Number((m * 10 ** e).toPrecision(3)));
  return `${sign}${m}e${e}`;
}

/**
 * The left margin (pixels) that fits a linear y axis' tick labels, as Plot's default format writes them
 * (fixed decimals from the tick step), over `values`, for a plot area of `height` pixels; at least
 * `minimum`. Plot's own default (40) clips labels such as "0.2000" or "−0.0150".
 */
export function tickLabelMargin(values: Iterable<number>, height: number, minimum = 40): number {
  const [lo, hi] = extent(values);
  if (lo === undefined || hi === undefined) return minimum;
  const count = Math.max(1, Math.round(height / 35));
  const step = lo === hi ? 0 : tickStep(lo, hi, count);
  const decimals = step > 0 ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 0;
  const labels = step > 0 ? ticksOf(lo, hi, step) : [lo];
  const chars = Math.max(...labels.map((t) => formatFixed(t, decimals).length));
  return Math.max(minimum, Math.ceil(chars * 6.2 + 14));
}

/** The left margin that fits {@link scientificTick} labels on a log axis over `values`. */
export function logTickLabelMargin(values: Iterable<number>, minimum = 40): number {
  const [lo, hi] = extent([...values].filter((v) => v > 0));
  if (lo === undefined || hi === undefined) return minimum;
  const labels = [lo, hi, 10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi))];
  const chars = Math.max(...labels.map((t) => scientificTick(t).length));
  return Math.max(minimum, Math.ceil(chars * 6.2 + 14));
}

function formatFixed(v: number, decimals: number): string {
  const [whole, fraction] = Math.abs(v).toFixed(decimals).split(".");
  const s = whole.replace(/\B(?=(\d{3})+$)/g, ",") + (fraction === undefined ? "" : `.${fraction}`);
  return (v < 0 && Number(whole + "." + (fraction ?? "0")) !== 0 ? "−" : "") + s;
}

function ticksOf(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9 && out.length < 1000; i++) {
    out.push(i * step);
  }
  return out.length ? out : [lo];
}

/** d3's tick step: 1, 2 or 5 × 10ⁿ, about (stop − start) / count. */
function tickStep(start: number, stop: number, count: number): number {
  const raw = Math.abs(stop - start) / Math.max(1, count);
  if (!(raw > 0)) return 0;
  let step = 10 ** Math.floor(Math.log10(raw));
  const error = raw / step;
  if (error >= Math.sqrt(50)) step *= 10;
  else if (error >= Math.sqrt(10)) step *= 5;
  else if (error >= Math.SQRT2) step *= 2;
  return step;
}

function extent(values: Iterable<number>): [number | undefined, number | undefined] {
  let lo: number | undefined;
  let hi: number | undefined;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    if (lo === undefined || v < lo) lo = v;
    if (hi === undefined || v > hi) hi = v;
  }
  return [lo, hi];
}
