/**
 * The closest name to a misspelt one, for error messages ("did you mean …?"). A leaf module: the
 * registries that name things (spaces, methods, configs) all import it and nothing else of each other.
 * @module
 */

/**
 * The choice closest to `name`, if any is close: the same letters in another case, or a few edits away
 * (one per four letters, at most two).
 */
export function didYouMean(name: string, choices: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exact = choices.find((c) => c.toLowerCase() === lower);
  if (exact) return exact;
  const distance = (a: string, b: string) => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) {
        row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      prev = row;
    }
    return prev[b.length];
  };
  let best: string | undefined, bestD = Math.min(3, Math.max(1, Math.floor(name.length / 4)) + 1);
  for (const c of choices) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}
