/**
 * The smoke-preset histories of every method at seed 0, recorded before the search became
 * space-agnostic: `deno run -A test/search/regression.ts` rewrites test/fixtures/regression/ (only do
 * that when a change is meant to move results, and say so in the commit).
 * @module
 */
import { searchConfig } from "../../src/search/config.ts";
import { search, type SearchResult } from "../../src/search/search.ts";

/** Where the fixtures live. */
export const REGRESSION_DIR = new URL("../fixtures/regression/", import.meta.url);

/** The methods recorded: every method NB201 ran before the search became space-agnostic. */
export const REGRESSION_METHODS: readonly string[] = ["darts", "beta", "sa", "snas", "snas-sa", "drnas"];

const TIMING = new Set(["seconds", "elapsed"]);

/** What a fixture holds of a run: its history without wall-clock columns, its final cell and α. */
export function regressionRecord(r: SearchResult) {
  const untimed = (rows: readonly object[]) =>
    rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !TIMING.has(k))));
  return {
    metrics: untimed(r.metrics),
    alpha: r.alpha,
    summary: { cell: r.summary.cell, alpha: r.summary.alpha, epochsDone: r.summary.epochsDone },
  };
}

/** The run a fixture records. */
export function regressionSearch(method: string): Promise<SearchResult> {
  return search(searchConfig({ method, preset: "smoke", seed: 0 }));
}

if (import.meta.main) {
  const { selectBackend } = await import("../../src/backend/select.ts");
  await selectBackend("wasm");
  for (const method of REGRESSION_METHODS) {
    const record = regressionRecord(await regressionSearch(method));
    await Deno.writeTextFile(
      new URL(`${method}-smoke-s0.json`, REGRESSION_DIR),
      JSON.stringify(record) + "\n",
    );
    console.log(`${method}: ${record.summary.cell}`);
  }
}
