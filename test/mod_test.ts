/** src/mod.ts is the user API: small, documented, without the kernels' and layers' internals. */
import assert from "node:assert/strict";

const mod = new URL("../src/mod.ts", import.meta.url).href;
const doc = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--json", mod],
  stdout: "piped",
  stderr: "piped",
})
  .output();
const symbols: {
  name: string;
  declarations: { location: { filename: string }; jsDoc?: { doc?: string } }[];
}[] = JSON.parse(new TextDecoder().decode(doc.stdout)).nodes[mod].symbols;
/** Whole packages re-exported for notebooks, documented by their authors. */
const PACKAGES = ["pl", "Plot"];

Deno.test("mod.ts: every export is documented; internals are not exported", () => {
  const undocumented = symbols.filter((s) =>
    !PACKAGES.includes(s.name) && !s.declarations.some((d) => d.jsDoc?.doc?.trim())
  );
  assert.deepEqual(undocumented.map((s) => s.name), []);
  const internal = symbols.filter((s) =>
    s.declarations.some((d) => /\/src\/(backend\/kernels|ops|supernet|deps)\//.test(d.location.filename))
  );
  assert.deepEqual(
    internal.map((s) => s.name),
    [],
    "kernels, layers and supernets stay in their own modules",
  );
  // ~100 for NB201, a few more per space (the DARTS space: its genotypes, derive rule and cell drawing)
  // and per capability (sweeps, analyses, training from scratch).
  assert.ok(symbols.length <= 130, `${symbols.length} exports: keep mod.ts to what a notebook uses`);
});

Deno.test("mod.ts: polars and Observable Plot come with sadarts", async () => {
  const { pl, Plot } = await import(mod);
  assert.equal(pl.DataFrame({ a: [1, 2] }).height, 2);
  assert.equal(typeof Plot.plot, "function");
});
