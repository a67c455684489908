/**
 * `deno task sweep <grid.json> [--workers N] [--root DIR] [--backend NAME] [--threads N] [--no-records]
 * [--dry-run] [--json]`: run a grid of searches in N processes on this machine (finished runs are read
 * back, interrupted ones resume), one progress line per worker, then the comparison table (mean ± std
 * over seeds per group). `--help` says more.
 * @module
 */
import { expandGrid, loadGrid } from "../sweeps/grid.ts";
import { sweep } from "../sweeps/sweep.ts";
import { formatSweepTable } from "../sweeps/table.ts";
import { describeOutcome } from "../sweeps/progress.ts";

const HELP = `deno task sweep GRID.json [options]

 GRID.json is a sweep grid (see src/sweeps/grid.ts, SweepGrid): e.g.
   {"name": "nu", "methods": ["sa", "sac"], "seeds": [0, 1], "preset": "cpu",
    "methodOptions": {"nu": [0, 0.25, 0.5, 0.75, 1], "mu": [1e6]}, "tableEpochs": [10, 20]}
 Every group (method × option values × variant) runs every seed, in runs/<run name> (the folders
 deno task search and cachedSearch use); finished runs are read back, interrupted ones resume.

  --workers N     searches at once, each its own process (default 1)
  --root DIR      where run folders are (default runs)
  --backend NAME  backend of every search (default wasm)
  --threads N     wasm threads per search (default: the cores shared out among the workers)
  --no-records    do not read finished runs from the records shipped with sadarts
  --dry-run       list the runs and whether each is finished, run nothing
  --json          print the table as JSON rows on stdout instead of text

 Ctrl-C (or SIGTERM) stops every search after its current step; the same command resumes them.`;

const VALUE_FLAGS = ["workers", "root", "backend", "threads"];
const SWITCHES = ["no-records", "dry-run", "json", "help"];

function parse(args: string[]): { grid: string; flags: Map<string, string>; switches: Set<string> } {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [k, inline] = a.slice(2).split("=", 2);
    if (SWITCHES.includes(k)) switches.add(k);
    else if (VALUE_FLAGS.includes(k)) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`--${k} needs a value`);
      flags.set(k, v);
    } else throw new Error(`unknown option --${k}: see deno task sweep --help`);
  }
  if (switches.has("help")) return { grid: "", flags, switches };
  if (positional.length !== 1) {
    throw new Error(`give one grid file (got ${positional.length}): see deno task sweep --help`);
  }
  return { grid: positional[0], flags, switches };
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${v}"`);
  return n;
}

async function main(args: string[]): Promise<number> {
  const { grid: path, flags, switches } = parse(args);
  if (switches.has("help")) {
    console.log(HELP);
    return 0;
  }
  const grid = await loadGrid(path);
  const options = {
    workers: positiveInt("workers", flags.get("workers")),
    threads: positiveInt("threads", flags.get("threads")),
    root: flags.get("root"),
    backend: flags.get("backend"),
    records: switches.has("no-records") ? false as const : undefined,
  };
  if (switches.has("dry-run")) {
    const { readFinishedRun } = await import("../runs/records.ts");
    const { SHIPPED_RECORDS } = await import("../search/cache.ts");
    const root = options.root ?? "runs";
    for (const run of expandGrid(grid)) {
      const dirs = [
        `${root}/${run.name}`,
        ...(options.records === false ? [] : [`${SHIPPED_RECORDS}/${run.name}`]),
      ];
      let where = "to run";
      for (const d of dirs) if (await readFinishedRun(d, run.config)) where = `finished in ${d}`;
      console.log(`${run.name}  ${run.group}, seed ${run.config.seed}: ${where}`);
    }
    return 0;
  }
  const abort = new AbortController();
  const listeners = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const listener = () => {
      if (abort.signal.aborted) Deno.exit(130);
      console.error(`${name}: stopping every search after its current step (again stops at once)`);
      abort.abort(name);
    };
    Deno.addSignalListener(name, listener);
    return () => Deno.removeSignalListener(name, listener);
  });
  const report = await sweep(grid, { ...options, signal: abort.signal }).finally(() =>
    listeners.forEach((f) => f())
  );
  for (const o of report.failed) {
    console.error(`${o.run.name} (${o.run.group}, seed ${o.run.config.seed}): ${describeOutcome(o)}`);
  }
  if (report.table) {
    if (switches.has("json")) console.log(JSON.stringify(report.table.toRecords()));
    else {
      console.log(formatSweepTable(report.table));
    }
  }
  if (abort.signal.aborted) {
    console.error(`stopped: run the same command to resume (deno task sweep ${args.join(" ")})`);
    return 130;
  }
  return report.failed.length ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`sadarts sweep: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
