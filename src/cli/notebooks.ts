/**
 * `deno task notebooks [--scale smoke|cpu|paper] [--inplace] [--out-dir DIR] [names…]`: execute the
 * notebooks in `notebooks/` headless with Jupyter (`jupyter nbconvert --to notebook --execute`), at the
 * scale given by `--scale` or `SADARTS_SCALE` (default `cpu`). `--inplace` writes the outputs into the
 * notebooks themselves (how the committed ones were made); otherwise executed copies go to `--out-dir`
 * (default a temporary folder). `deno task notebooks:setup` installs the Deno kernel.
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { PRESETS } from "../search/config.ts";

/** The notebooks folder. */
export const NOTEBOOKS_DIR: string = fileURLToPath(new URL("../../notebooks/", import.meta.url));

/** How to get Jupyter where it is missing. */
export const JUPYTER_HINT =
  "Jupyter is needed: on Debian, apt-get install jupyter-notebook jupyter-nbconvert " +
  "python3-nbclient (elsewhere: pip install notebook nbconvert nbclient); then deno task notebooks:setup";

/** Why notebooks cannot run here, or undefined when Jupyter and the Deno kernel are both present. */
export async function notebookBlocker(): Promise<string | undefined> {
  const run = async (cmd: string, args: string[]) => {
    try {
      const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
      return r.success ? new TextDecoder().decode(r.stdout) : undefined;
    } catch {
      return undefined;
    }
  };
  if (await run("jupyter", ["nbconvert", "--version"]) === undefined) {
    return `jupyter nbconvert not found. ${JUPYTER_HINT}`;
  }
  // Jupyter's data folders hold kernels/<name>/kernel.json (`deno jupyter --install` writes one).
  const paths = await run("jupyter", ["--paths", "--json"]);
  const dataDirs: string[] = paths ? JSON.parse(paths).data ?? [] : [];
  const found = await Promise.all(
    dataDirs.map((d) => Deno.stat(`${d}/kernels/deno/kernel.json`).then(() => true, () => false)),
  );
  if (!found.includes(true)) {
    return "the Deno Jupyter kernel is not installed: run deno task notebooks:setup (deno jupyter --install)";
  }
  return undefined;
}

/** The notebooks, in order. */
export async function listNotebooks(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(NOTEBOOKS_DIR)) {
    if (e.isFile && e.name.endsWith(".ipynb")) names.push(e.name);
  }
  return names.sort();
}

/** Cells tagged so in a notebook must show an output: their figure or table is the point of the cell. */
export const OUTPUT_TAG = "sadarts-output";

interface NotebookJson {
  cells: {
    cell_type: string;
    source: string[] | string;
    metadata?: { tags?: string[] };
    outputs?: unknown[];
  }[];
}

/** The tagged cells of an executed notebook that came back without output (first line of each). */
export function missingOutputs(nb: NotebookJson): string[] {
  return nb.cells
    .filter((c) => c.cell_type === "code" && c.metadata?.tags?.includes(OUTPUT_TAG) && !c.outputs?.length)
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source).split("\n")[0]);
}

/**
 * Execute one notebook; returns nbconvert's output and throws with it on failure. The Deno kernel
 * sometimes sends a cell's result after reporting itself idle, and nbconvert then records no output
 * for that cell: a notebook whose tagged cells lack output is executed again (at most `attempts` times).
 */
export async function executeNotebook(
  name: string,
  o: {
    scale: string;
    inplace?: boolean;
    outDir?: string;
    timeoutSeconds?: number;
    attempts?: number;
    /** Where the notebooks cache their runs (SADARTS_RUNS; default runs/notebooks/). */
    runsDir?: string;
  },
): Promise<string> {
  const args = [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    `--ExecutePreprocessor.timeout=${o.timeoutSeconds ?? 7200}`,
    "--ExecutePreprocessor.kernel_name=deno",
    ...(o.inplace ? ["--inplace"] : ["--output-dir", o.outDir!]),
    `${NOTEBOOKS_DIR}${name}`,
  ];
  const attempts = o.attempts ?? 3;
  for (let attempt = 1;; attempt++) {
    const r = await new Deno.Command("jupyter", {
      args,
      cwd: NOTEBOOKS_DIR,
      env: { SADARTS_SCALE: o.scale, NO_COLOR: "1", ...(o.runsDir ? { SADARTS_RUNS: o.runsDir } : {}) },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    if (!r.success) throw new Error(`notebook ${name} failed at scale ${o.scale}:\n${text.slice(-4000)}`);
    const written = o.inplace ? `${NOTEBOOKS_DIR}${name}` : `${o.outDir}/${name}`;
    const missing = missingOutputs(JSON.parse(await Deno.readTextFile(written)));
    if (missing.length === 0) return text;
    if (attempt >= attempts) {
      throw new Error(
        `notebook ${name}: no output from ${missing.length} cell(s) after ${attempts} runs: ${
          missing.join(" | ")
        }`,
      );
    }
  }
}

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { scale: { type: "string" }, inplace: { type: "boolean" }, "out-dir": { type: "string" } },
  });
  const scale = values.scale ?? Deno.env.get("SADARTS_SCALE") ?? "cpu";
  if (!Object.hasOwn(PRESETS, scale)) {
    throw new Error(`unknown scale "${scale}": choose ${Object.keys(PRESETS).join(", ")}`);
  }
  const blocker = await notebookBlocker();
  if (blocker) throw new Error(blocker);
  const all = await listNotebooks();
  for (const p of positionals) {
    if (!all.includes(p)) throw new Error(`no notebook ${p}: choose from ${all.join(", ")}`);
  }
  const chosen = positionals.length ? positionals : all;
  const outDir = values.inplace
    ? undefined
    : values["out-dir"] ?? await Deno.makeTempDir({ prefix: "sadarts-notebooks-" });
  for (const name of chosen) {
    const t0 = performance.now();
    await executeNotebook(name, { scale, inplace: values.inplace, outDir });
    console.log(`${name}: ok at ${scale} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  if (outDir) console.log(`executed notebooks in ${outDir}`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`sadarts notebooks: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
