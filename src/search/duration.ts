/**
 * Durations as people read them in progress lines: `42s`, `3m05s`, `1h02m`.
 * @module
 */

/**
 * `seconds` as `1h02m`, `3m05s` or `42s` (rounded to the second; negative counts as 0).
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * console.assert(formatDuration(185) === "3m05s" && formatDuration(3725) === "1h02m" && formatDuration(7.4) === "7s");
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h) return `${h}h${String(m).padStart(2, "0")}m`;
  return m ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}
