/**
 * Executes every notebook at the `smoke` scale through Jupyter, as `deno task notebooks` does. Where
 * Jupyter or the Deno kernel is missing the test is reported as ignored, with the reason in its name.
 */
import { executeNotebook, listNotebooks, missingOutputs, notebookBlocker } from "../src/cli/notebooks.ts";

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
      await executeNotebook(name, { scale: "smoke", outDir, runsDir: `${outDir}/runs`, timeoutSeconds: 600 });
    },
  });
}

Deno.test("missingOutputs: names the tagged cells that came back without output", () => {
  const cell = (source: string, tagged: boolean, outputs: unknown[]) => ({
    cell_type: "code",
    source: [source],
    metadata: tagged ? { tags: ["sadarts-output"] } : {},
    outputs,
  });
  const nb = {
    cells: [cell("fig", true, [{}]), cell("table", true, []), cell("const x = 1;", false, []), {
      cell_type: "markdown",
      source: "# t",
    }],
  };
  if (JSON.stringify(missingOutputs(nb)) !== JSON.stringify(["table"])) {
    throw new Error(String(missingOutputs(nb)));
  }
});
