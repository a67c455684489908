/**
 * Executes every notebook at the `smoke` scale through Jupyter, as `deno task notebooks` does. Where
 * Jupyter or the Deno kernel is missing the test is reported as ignored, with the reason in its name.
 */
import { executeNotebook, listNotebooks, notebookBlocker } from "../src/cli/notebooks.ts";

const blocker = await notebookBlocker();
const notebooks = await listNotebooks();
const outDir = blocker ? "" : await Deno.makeTempDir({ prefix: "sadarts-notebooks-test-" });

for (const name of notebooks) {
  Deno.test({
    name: blocker ? `notebook ${name} at smoke (ignored: ${blocker})` : `notebook ${name} executes at smoke`,
    ignore: blocker !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await executeNotebook(name, { scale: "smoke", outDir, timeoutSeconds: 600 });
    },
  });
}
