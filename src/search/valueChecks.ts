/**
 * Type checks of config values that name the field they refuse (shared by the config, the methods'
 * options and each space's model options). A leaf module: it imports only `didYouMean`.
 * @module
 */
import { didYouMean } from "./didYouMean.ts";

/**
 * A value as a message shows it: `3` (`3 (a number)` with `typed`, for a field that wants another
 * type), `"3" (a string)`, `null`, `[0.5] (an array)`.
 */
export function describeValue(v: unknown, typed = false): string {
  if (typeof v === "number") return typed ? `${v} (a number)` : String(v);
  if (v === null || v === undefined) return String(v);
  if (typeof v === "string") return `${JSON.stringify(v)} (a string)`;
  if (typeof v === "boolean") return `${v} (a boolean)`;
  if (typeof v === "function") return "a function";
  let json: string;
  try {
    json = JSON.stringify(v) ?? String(v);
  } catch {
    json = String(v);
  }
  if (json.length > 40) json = `${json.slice(0, 37)}...`;
  return `${json} (${Array.isArray(v) ? "an array" : "an object"})`;
}

/** A plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` as an object, or an error naming `name`. */
export function object(name: string, v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw new Error(`${name} must be an object, got ${describeValue(v, true)}`);
  return v;
}

/** Refuse a `v` that is not a string, naming `name`. */
export function string(name: string, v: unknown): void {
  if (typeof v !== "string") throw new Error(`${name} must be a string, got ${describeValue(v, true)}`);
}

/** Refuse a `v` that is not true or false, naming `name`. */
export function boolean(name: string, v: unknown): void {
  if (typeof v !== "boolean") throw new Error(`${name} must be true or false, got ${describeValue(v, true)}`);
}

/** Refuse a `v` that is not a number, naming `name`. */
export function number(name: string, v: unknown): void {
  if (typeof v !== "number") throw new Error(`${name} must be a number, got ${describeValue(v)}`);
}

/** Refuse a `v` that is not an integer in [min, max], naming `name`. */
export function integer(name: string, v: unknown, min: number, max?: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new Error(`${name} must be an integer ≥ ${min}, got ${describeValue(v)}`);
  }
  if (max !== undefined && v > max) {
    throw new Error(`${name} must be at most ${max} (a bound against typos), got ${v}`);
  }
}

/** The error for an unknown key `key` of `where`, with the closest known one. */
export function unknownField(where: string, key: string, known: readonly string[]): never {
  const close = didYouMean(key, known);
  throw new Error(
    `unknown ${where} "${key}": ${close ? `did you mean "${close}"? ` : ""}choose from ${known.join(", ")}`,
  );
}
