import assert from "node:assert/strict";
import { onBackend } from "../helpers.ts";
import { REGRESSION_DIR, REGRESSION_METHODS, regressionRecord, regressionSearch } from "./regression.ts";

for (const method of REGRESSION_METHODS) {
  Deno.test(`regression: ${method} at smoke, seed 0, reproduces its recorded history bit for bit`, async () => {
    await onBackend("wasm", async () => {
      const fixture = JSON.parse(
        await Deno.readTextFile(new URL(`${method}-smoke-s0.json`, REGRESSION_DIR)),
      ) as ReturnType<typeof regressionRecord>;
      const got = regressionRecord(await regressionSearch(method));
      // Every recorded field, exactly (a run may record more fields than the fixture knows).
      const pick = (rows: readonly object[], like: readonly object[]) =>
        rows.map((row, i) =>
          Object.fromEntries(Object.keys(like[i] ?? {}).map((k) => [k, (row as Record<string, unknown>)[k]]))
        );
      assert.equal(got.metrics.length, fixture.metrics.length);
      assert.deepEqual(pick(got.metrics, fixture.metrics), fixture.metrics);
      assert.deepEqual(pick(got.alpha, fixture.alpha), fixture.alpha);
      assert.deepEqual(got.summary, fixture.summary);
    });
  });
}
