/** Shared test helpers: backend set-up and tolerant comparisons. */
import type * as tf from "../src/deps/tfjs_core.ts";
import { selectBackend } from "../src/backend/select.ts";

/** Run `fn` on the named backend (restoring nothing: every test names the backend it needs). */
export async function onBackend<T>(name: "cpu" | "wasm", fn: () => T | Promise<T>): Promise<T> {
  await selectBackend(name);
  return await fn();
}

/** Max |a − b| / max(|b|, tiny): the relative error used across the tests. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** The values of a tensor as a plain array (synchronously). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
