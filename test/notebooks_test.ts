/**
 * Executes every notebook at the `smoke` scale through Jupyter, as `deno task notebooks` does, checks
 * that each figure output carries a PNG beside its SVG, and runs a notebook of a user's own outside the
 * checkout. Where Jupyter or the Deno kernel is missing the tests are reported as ignored, with the
 * reason in their name.
 */
import assert from "node:assert/strict";
import {
  executeNotebook,
  listNotebooks,
  missingOutputs,
  notebookBlocker,
  NOTEBOOKS_DIR,
} from "../src/cli/notebooks.ts";

const blocker = await notebookBlocker();
const notebooks = await listNotebooks();
const outDir = blocker ? "" : await Deno.makeTempDir({ prefix: "sadarts-notebooks-test-" });

interface Output {
  output_type: string;
  data?: Record<string, string | string[]>;
}
interface Notebook {
  cells: { cell_type: string; outputs?: Output[] }[];
}

const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join("") : v ?? "");

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(base64: string): { width: number; height: number } {
  const bytes = Uint8Array.from(atob(base64.replace(/\s/g, "")), (c) => c.charCodeAt(0));
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG signature");
  const view = new DataView(bytes.buffer);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Every figure output of `nb` holds a PNG of the SVG's proportions (at least its size); their count. */
function checkFigureOutputs(nb: Notebook, where: string): number {
  let figures = 0;
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const svg = text(out.data?.["image/svg+xml"]);
      if (!svg) continue;
      figures++;
      const png = text(out.data?.["image/png"]);
      assert.ok(png, `${where}: a figure output without image/png`);
      const w = Number(svg.match(/<svg[^>]*\swidth="([\d.]+)"/)?.[1]);
      const h = Number(svg.match(/<svg[^>]*\sheight="([\d.]+)"/)?.[1]);
      const size = pngSize(png);
      const scale = size.width / w;
      assert.ok(scale >= 1, `${where}: PNG ${size.width} px for an SVG ${w} wide`);
      assert.ok(
        Math.abs(size.height - h * scale) <= 1,
        `${where}: PNG ${size.width}×${size.height} vs SVG ${w}×${h}`,
      );
    }
  }
  return figures;
}

for (const name of notebooks) {
  Deno.test({
    name: blocker ? `notebook ${name} at smoke (ignored: ${blocker})` : `notebook ${name} executes at smoke`,
    ignore: blocker !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await executeNotebook(name, { scale: "smoke", outDir, runsDir: `${outDir}/runs`, timeoutSeconds: 600 });
      const nb = JSON.parse(await Deno.readTextFile(`${outDir}/${name}`)) as Notebook;
      checkFigureOutputs(nb, name); // 06 is tables only: the others' figures are counted below
    },
  });
}

Deno.test({
  name: blocker
    ? `committed notebooks: figures as PNG in nbconvert's HTML (ignored: ${blocker})`
    : "committed notebooks: every figure output holds a PNG, and nbconvert's HTML shows them",
  ignore: blocker !== undefined,
  fn: async () => {
    let all = 0;
    for (const name of notebooks) {
      const nb = JSON.parse(await Deno.readTextFile(`${NOTEBOOKS_DIR}${name}`)) as Notebook;
      const figures = checkFigureOutputs(nb, `committed ${name}`);
      all += figures;
      if (name !== "01_skip_dominance.ipynb") continue;
      // What a reader without a trusted live session sees: the HTML export, with its images inline.
      const r = await new Deno.Command("jupyter", {
        args: ["nbconvert", "--to", "html", "--stdout", `${NOTEBOOKS_DIR}${name}`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
      const html = new TextDecoder().decode(r.stdout);
      const images = html.match(/<img src="data:image\/png;base64,/g)?.length ?? 0;
      assert.ok(figures > 0 && images >= figures, `${images} PNG images in the HTML for ${figures} figures`);
    }
    assert.ok(all >= 20, `${all} figure outputs in the committed notebooks`);
  },
});

Deno.test({
  name: blocker
    ? `a notebook of one's own, outside the checkout (ignored: ${blocker})`
    : "a notebook of one's own, outside the checkout, imports sadarts, searches and draws",
  ignore: blocker !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "my-research-" });
    const mod = new URL("../src/mod.ts", import.meta.url).href;
    const cells = [
      `import { cellDiagram, historyFrame, pl, search, searchConfig, selectBackend } from "${mod}";\n` +
      `await selectBackend("wasm");`,
      `const run = await search(searchConfig({ method: "sa", preset: "smoke", epochs: 1, data: { limit: 64 } }));\n` +
      `await Deno.jupyter.display(historyFrame(run.metrics).select("epoch", "cell", "cifar10").filter(pl.col("epoch").gt(0)));`,
      `await Deno.jupyter.display(cellDiagram(run.summary.cell, { title: "my cell" }));`,
    ];
    const notebook = {
      cells: cells.map((source, i) => ({
        id: `cell-${i}`,
        cell_type: "code",
        source,
        metadata: {},
        outputs: [],
        execution_count: null,
      })),
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    await Deno.writeTextFile(`${dir}/mine.ipynb`, JSON.stringify(notebook));
    await executeNotebook(`${dir}/mine.ipynb`, { scale: "smoke", outDir: dir, timeoutSeconds: 300 });
    const nb = JSON.parse(await Deno.readTextFile(`${dir}/mine.ipynb`)) as Notebook;
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    assert.ok(!outputs.some((o) => o.output_type === "error"), JSON.stringify(outputs).slice(0, 2000));
    assert.equal(checkFigureOutputs(nb, "mine.ipynb"), 1);
    assert.match(JSON.stringify(outputs), /cifar10/);
    await Deno.remove(dir, { recursive: true });
  },
});

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
  assert.deepEqual(missingOutputs(nb), ["table"]);
});

Deno.test({
  name: blocker
    ? `deno task notebooks:setup (ignored: ${blocker})`
    : "deno task notebooks:setup runs (Deno's task shell parses it)",
  ignore: blocker !== undefined,
  fn: async () => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["task", "notebooks:setup"],
      cwd: new URL("../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assert.ok(r.success, said);
    assert.match(said, /Deno kernel installed and Jupyter found/);
  },
});
