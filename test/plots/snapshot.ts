/**
 * SVG snapshots of the figures, as Observable Plot's own tests keep them: each figure is compared byte
 * for byte with `test/plots/snapshots/<name>.svg` (whose first line keeps `deno fmt` off it), so a change that alters a figure shows up in review
 * as a changed file. `UPDATE_SNAPSHOTS=1 deno test -A test/plots/` rewrites them.
 * @module
 */
import assert from "node:assert/strict";

const SNAPSHOTS = new URL("./snapshots/", import.meta.url);

/** Whether this run rewrites the snapshots instead of comparing with them. */
export const UPDATING = Deno.env.get("UPDATE_SNAPSHOTS") === "1";

const HOW = "UPDATE_SNAPSHOTS=1 deno test -A test/plots/";

/** First line of every snapshot: `deno fmt` formats SVG files, and would otherwise rewrite them. */
const HEADER = "<!-- deno-fmt-ignore-file -->\n";

/** Compare `svg` with the snapshot `name` (or write it, when {@link UPDATING}). */
export async function assertSnapshot(name: string, svg: string): Promise<void> {
  const file = new URL(`${name}.svg`, SNAPSHOTS);
  const shown = `test/plots/snapshots/${name}.svg`;
  const text = HEADER + svg + "\n";
  if (UPDATING) {
    await Deno.mkdir(SNAPSHOTS, { recursive: true });
    await Deno.writeTextFile(file, text);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      assert.fail(`no snapshot ${shown}: run ${HOW} to create it, look at it, and commit it`);
    }
    throw e;
  }
  if (expected === text) return;
  let at = 0;
  while (at < text.length && text[at] === expected[at]) at++;
  const actual = await Deno.makeTempFile({ prefix: `${name}.`, suffix: ".svg" });
  await Deno.writeTextFile(actual, text);
  assert.fail(
    `figure ${name} differs from ${shown} at character ${at}:\n` +
      `  snapshot: …${expected.slice(Math.max(0, at - 60), at + 60)}…\n` +
      `  now:      …${text.slice(Math.max(0, at - 60), at + 60)}…\n` +
      `the new figure is in ${actual}; if the change is meant, run ${HOW} and commit the snapshot`,
  );
}
