/**
 * `deno task notebooks [--scale smoke|cpu|paper] [--inplace] [--out-dir DIR] [--runs DIR] [--fresh]
 * [names…]`: execute the notebooks in `notebooks/` headless with Jupyter's nbclient (what `jupyter
 * nbconvert --execute` uses), at the scale given by `--scale` or `SADARTS_SCALE` (default `cpu`), saying
 * which notebook and cell runs and for how long. Searches are read back from `runs/` or the shipped
 * records (`notebooks/records/`) when they are there; `--fresh` recomputes every one, into a new folder
 * under `runs/`. `--inplace` writes the outputs into the notebooks themselves (how the committed ones
 * were made); otherwise executed copies go to `--out-dir` (default a temporary folder).
 * `deno task notebooks:setup` (`--setup`) installs the Deno kernel and checks for Jupyter.
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { basename, dirname, isAbsolute } from "node:path";
import { SCALES } from "../search/config.ts";
import { formatDuration } from "../search/duration.ts";

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
  if (await run(jupyterPython(), ["-c", "import nbclient, nbformat"]) === undefined) {
    return `${jupyterPython()} (jupyter's Python) cannot import nbclient. ${JUPYTER_HINT}`;
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

/** One code cell starting (`cell`) or finished (`done`), as the executor reports it. */
export type CellEvent =
  | { event: "cell"; number: number; of: number; source: string }
  | { event: "done"; number: number; of: number; seconds: number };

/** The executor: nbclient, driven by a Python script that reports each cell (`execute_notebook.py`). */
const EXECUTOR = fileURLToPath(new URL("./execute_notebook.py", import.meta.url));

/**
 * The Python that runs `jupyter` (its script's `#!` line), which has nbclient: the first `python3` on
 * PATH may be another interpreter without it.
 */
export function jupyterPython(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const first = Deno.readTextFileSync(`${dir}/jupyter`).split("\n")[0];
      if (!first.startsWith("#!")) continue;
      const [cmd, arg] = first.slice(2).trim().split(/\s+/);
      return cmd.endsWith("/env") && arg ? arg : cmd;
    } catch { /* not in this folder */ }
  }
  return "python3";
}

/**
 * Execute one notebook; returns the executor's messages and throws with them on failure. `onCell` hears
 * each code cell start and end. The Deno kernel sometimes sends a cell's result after reporting itself
 * idle, and the executor then records no output for that cell: a notebook whose tagged cells lack output
 * is executed again (at most `attempts` times).
 */
export async function executeNotebook(
  /** A notebook of `notebooks/` by name, or any notebook by absolute path. */
  name: string,
  o: {
    scale: string;
    inplace?: boolean;
    outDir?: string;
    timeoutSeconds?: number;
    attempts?: number;
    /** Where the notebooks keep their runs (SADARTS_RUNS; default the repository's runs/). */
    runsDir?: string;
    /** Ignore the shipped records (SADARTS_RECORDS=none): recompute what is not in `runsDir`. */
    noRecords?: boolean;
    onCell?: (e: CellEvent) => void;
  },
): Promise<string> {
  // A name is one of notebooks/; an absolute path is any notebook (it runs in its own folder).
  const source = isAbsolute(name) ? name : `${NOTEBOOKS_DIR}${name}`;
  const written = o.inplace ? source : `${o.outDir}/${basename(source)}`;
  if (!o.inplace && o.outDir) await Deno.mkdir(o.outDir, { recursive: true });
  const attempts = o.attempts ?? 3;
  for (let attempt = 1;; attempt++) {
    const child = new Deno.Command(jupyterPython(), {
      args: [EXECUTOR, source, written, String(o.timeoutSeconds ?? 7200), "deno"],
      cwd: dirname(source),
      env: {
        SADARTS_SCALE: o.scale,
        NO_COLOR: "1",
        ...(o.runsDir ? { SADARTS_RUNS: o.runsDir } : {}),
        ...(o.noRecords ? { SADARTS_RECORDS: "none" } : {}),
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          o.onCell?.(JSON.parse(line) as CellEvent);
        } catch { /* not an event line */ }
      }
    }
    const status = await child.status;
    const text = await stderr;
    if (!status.success) {
      throw new Error(`notebook ${name} failed at scale ${o.scale}:\n${text.slice(-4000)}`);
    }
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

/** `deno task notebooks:setup`: install the Deno kernel, then say whether Jupyter is ready. */
async function setup(): Promise<void> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["jupyter", "--install", "--force"],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!r.success) {
    throw new Error(`deno jupyter --install failed: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
  const blocker = await notebookBlocker();
  if (blocker) throw new Error(blocker);
  console.log("Deno kernel installed and Jupyter found: deno task notebooks runs the notebooks");
}

/** Progress of the runner: a line per cell, or one line updated in place on a terminal. */
function cellReporter(name: string, tty: boolean): { onCell: (e: CellEvent) => void; stop: () => void } {
  const encoder = new TextEncoder();
  const t0 = performance.now();
  let current: Extract<CellEvent, { event: "cell" }> | undefined;
  let cellStart = t0;
  const line = () => {
    if (!current) return "";
    const { columns } = Deno.consoleSize();
    const text = `${name} cell ${current.number}/${current.of} ${
      formatDuration((performance.now() - cellStart) / 1000)
    } (notebook ${formatDuration((performance.now() - t0) / 1000)}): ${current.source}`;
    return text.length > columns - 1 ? text.slice(0, columns - 2) + "…" : text;
  };
  const ticker = tty
    ? setInterval(() => Deno.stdout.writeSync(encoder.encode(`\r${line()}\x1b[K`)), 1000)
    : setInterval(() =>
      current &&
      console.log(
        `  still in cell ${current.number}/${current.of} after ${
          formatDuration((performance.now() - cellStart) / 1000)
        }`,
      ), 60_000);
  return {
    onCell(e) {
      if (e.event === "cell") {
        current = e;
        cellStart = performance.now();
        if (tty) Deno.stdout.writeSync(encoder.encode(`\r${line()}\x1b[K`));
        else console.log(`${name} cell ${e.number}/${e.of}: ${e.source}`);
      } else if (!tty && e.seconds >= 5) {
        console.log(`  cell ${e.number}/${e.of} took ${formatDuration(e.seconds)}`);
      }
    },
    stop() {
      clearInterval(ticker);
      if (tty) Deno.stdout.writeSync(encoder.encode("\r\x1b[K"));
    },
  };
}

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      scale: { type: "string" },
      inplace: { type: "boolean" },
      "out-dir": { type: "string" },
      runs: { type: "string" },
      fresh: { type: "boolean" },
      setup: { type: "boolean" },
    },
  });
  if (values.setup) return await setup();
  const scale = values.scale ?? Deno.env.get("SADARTS_SCALE") ?? "cpu";
  if (!(SCALES as readonly string[]).includes(scale)) {
    throw new Error(`unknown scale "${scale}": choose ${SCALES.join(", ")}`);
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
  // --fresh: every search is run again, into a folder of its own, ignoring the shipped records.
  const runsDir = values.runs ??
    (values.fresh ? fileURLToPath(new URL(`../../runs/fresh-${Date.now()}`, import.meta.url)) : undefined);
  const tty = Deno.stdout.isTerminal();
  const t0 = performance.now();
  for (const name of chosen) {
    const t1 = performance.now();
    const reporter = cellReporter(name, tty);
    try {
      await executeNotebook(name, {
        scale,
        inplace: values.inplace,
        outDir,
        runsDir,
        noRecords: values.fresh,
        onCell: reporter.onCell,
      });
    } finally {
      reporter.stop();
    }
    console.log(`${name}: ok at ${scale} (${formatDuration((performance.now() - t1) / 1000)})`);
  }
  console.log(
    `${chosen.length} notebook(s) at ${scale} in ${formatDuration((performance.now() - t0) / 1000)}` +
      (values.fresh ? `, searches recomputed into ${runsDir}` : "") +
      (outDir ? `; executed copies in ${outDir}` : ""),
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`sadarts notebooks: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
