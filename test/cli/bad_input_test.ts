/**
 * The bad-input table: every way a user can get the CLI or the library API wrong that we know of, each
 * with the exit code (CLI) or the throw (library), the message (one or two lines that name the input and
 * say what to do) and a check that the case's folder, where a run folder may live, is unchanged.
 *
 * A case runs in a folder of its own (`{dir}` in its args; the CLI runs with that folder as its working
 * directory, so default paths such as `runs/...` land there too). `run: true` copies a finished smoke
 * run (made once for this file) to `{dir}/run`; `setup` prepares anything else. The whole folder is
 * hashed before and after the case: a refused input must leave it as it was.
 *
 * CLI cases run as subprocesses (`deno run -A src/cli/search.ts`, NO_COLOR=1), two at a time.
 * To add cases, append rows to a table (or add a section with a table of its own and pass it to
 * `cliCases` / `libraryCases`).
 */
import assert from "node:assert/strict";
import { encodeSadarts } from "../../src/data/sadartsFormat.ts";
import {
  checkSearchConfig,
  loadConfigFile,
  type SearchConfig,
  searchConfig,
} from "../../src/search/config.ts";
import { search } from "../../src/search/search.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/runs/checkpoint.ts";
import { lockRunFolder } from "../../src/runs/lock.ts";
import { selectBackend } from "../../src/backend/select.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}src/cli/search.ts`;

/** A command-line case: `deno task search ...args` must exit with `code` and print `message`. */
interface CliCase {
  name: string;
  /** Arguments; `{dir}` is the case's own folder (also the working directory). */
  args: string[];
  /** Expected exit code (default 1). */
  code?: number;
  /** What the error (the lines from "sadarts search:" on) must match. */
  message: RegExp;
  /** Copy the prepared finished smoke run to `{dir}/run` first. */
  run?: boolean;
  /** Prepare the case's folder (after the run copy, before hashing). */
  setup?: (dir: string) => void | Promise<void>;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Skip the case (e.g. it needs hardware this machine lacks). */
  ignore?: boolean;
}

/** A library case: `call(dir)` must throw (or reject) with `message`. */
interface LibraryCase {
  name: string;
  call: (dir: string) => unknown;
  message: RegExp;
  run?: boolean;
  setup?: (dir: string) => void | Promise<void>;
  ignore?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Harness

/** SHA-256 over every path and file content under `dir` (sorted), or "absent". */
async function hashTree(dir: string): Promise<string> {
  const entries: string[] = [];
  const walk = async (d: string, rel: string) => {
    const names: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(d)) names.push(e);
    names.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of names) {
      const path = `${d}/${e.name}`, r = `${rel}${e.name}`;
      if (e.isDirectory) {
        entries.push(`d ${r}`);
        await walk(path, `${r}/`);
      } else {
        const bytes = await Deno.readFile(path);
        const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        entries.push(`f ${r} ${Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("")}`);
      }
    }
  };
  try {
    await walk(dir, "");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "absent";
    throw e;
  }
  return entries.join("\n");
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

let prepared: Promise<string> | undefined;
let preparedRoot: string | undefined;
globalThis.addEventListener("unload", () => {
  if (preparedRoot) Deno.removeSync(preparedRoot, { recursive: true });
});
/** A finished smoke run, made once for this file (a few seconds on wasm). */
function preparedRun(): Promise<string> {
  return prepared ??= (async () => {
    preparedRoot = await Deno.makeTempDir({ prefix: "sadarts-bad-input-run-" });
    const dir = `${preparedRoot}/run`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "--preset",
        "smoke",
        "--backend",
        "wasm",
        "--threads",
        "1",
        "--out",
        dir,
        "--quiet",
      ],
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(`the prepared smoke run failed: ${new TextDecoder().decode(r.stderr)}`);
    return dir;
  })();
}

async function caseFolder(c: { run?: boolean; setup?: (dir: string) => void | Promise<void> }) {
  const dir = await Deno.makeTempDir({ prefix: "sadarts-bad-input-" });
  if (c.run) await copyTree(await preparedRun(), `${dir}/run`);
  await c.setup?.(dir);
  return dir;
}

/** The message lines: from the "sadarts search:" line to the end. */
function errorLines(stderr: string): string[] {
  const lines = stderr.trimEnd().split("\n");
  const i = lines.findIndex((l) => l.startsWith("sadarts search: "));
  return i < 0 ? lines : lines.slice(i);
}

function checkMessage(name: string, lines: string[], message: RegExp, context: string) {
  const text = lines.join("\n");
  assert.ok(
    lines.length >= 1 && lines.length <= 2 && text.trim() !== "",
    `${name}: one or two lines, got:\n${context}`,
  );
  assert.match(text, message, `${name}: message\n${context}`);
}

interface CliOutcome {
  code: number;
  stderr: string;
  stdout: string;
  before: string;
  after: string;
}

async function runCli(c: CliCase): Promise<CliOutcome> {
  const dir = await caseFolder(c);
  const before = await hashTree(dir);
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--config=${ROOT}deno.json`, CLI, ...c.args.map((a) => a.replaceAll("{dir}", dir))],
    cwd: dir,
    env: { NO_COLOR: "1", ...c.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const after = await hashTree(dir);
  const decode = (b: Uint8Array) => new TextDecoder().decode(b).replaceAll(dir, "{dir}");
  await Deno.remove(dir, { recursive: true });
  return { code: r.code, stderr: decode(r.stderr), stdout: decode(r.stdout), before, after };
}

/** Runs `jobs` with at most `size` at a time; each result as its own promise. */
function pool<T>(jobs: (() => Promise<T>)[], size: number): Promise<T>[] {
  let next = 0;
  const results = jobs.map(() => Promise.withResolvers<T>());
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      await jobs[i]().then(results[i].resolve, results[i].reject);
    }
  };
  for (let w = 0; w < size; w++) worker();
  return results.map((r) => r.promise);
}

const allCli: CliCase[] = [];
let cliResults: Promise<CliOutcome>[] | undefined;

/** Register a table of CLI cases (one Deno test each; all run through one pool of two). */
function cliCases(section: string, cases: CliCase[]): void {
  for (const c of cases) {
    const index = allCli.push(c) - 1;
    Deno.test({
      name: `bad input, CLI, ${section}: ${c.name}`,
      ignore: c.ignore,
      sanitizeOps: false,
      sanitizeResources: false,
      async fn() {
        cliResults ??= pool(
          allCli.map((x) => () => x.ignore ? Promise.reject(new Error("ignored")) : runCli(x)),
          2,
        );
        cliResults.forEach((p) => p.catch(() => {})); // each test reports its own
        const r = await cliResults[index];
        const context = `args: ${
          c.args.join(" ")
        }\nexit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
        assert.equal(r.code, c.code ?? 1, `${c.name}: exit code\n${context}`);
        checkMessage(c.name, errorLines(r.stderr), c.message, context);
        assert.equal(r.stdout.trim(), "", `${c.name}: nothing on stdout\n${context}`);
        assert.equal(r.after, r.before, `${c.name}: the case's folder changed\n${context}`);
      },
    });
  }
}

let backendReady: Promise<unknown> | undefined;

/** Register a table of library cases (one Deno test each, run in this process). */
function libraryCases(section: string, cases: LibraryCase[]): void {
  for (const c of cases) {
    Deno.test({
      name: `bad input, library, ${section}: ${c.name}`,
      ignore: c.ignore,
      async fn() {
        await (backendReady ??= selectBackend("cpu"));
        const dir = await caseFolder(c);
        const before = await hashTree(dir);
        let thrown: unknown;
        try {
          await c.call(dir);
        } catch (e) {
          thrown = e;
        }
        const after = await hashTree(dir);
        await Deno.remove(dir, { recursive: true });
        assert.ok(thrown !== undefined, `${c.name}: expected a throw`);
        const message = thrown instanceof Error ? thrown.message : String(thrown);
        checkMessage(c.name, message.split("\n"), c.message, message);
        assert.ok(
          thrown instanceof Error && !(thrown instanceof TypeError),
          `${c.name}: an Error naming the input, not ${thrown}`,
        );
        assert.equal(after, before, `${c.name}: the case's folder changed`);
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Fixtures

const write = (path: string, text: string) => Deno.writeTextFile(path, text);
const oneChannelFile = (dir: string) =>
  Deno.writeFile(
    `${dir}/gray.bin`,
    encodeSadarts({
      images: new Uint8Array(64 * 8 * 8),
      labels: new Int32Array(64),
      count: 64,
      height: 8,
      width: 8,
      channels: 1,
    }),
  );
const smoke = (): SearchConfig => searchConfig({ preset: "smoke" });
const gpu = (globalThis.navigator as any)?.gpu;
const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
const softwareAdapter = !!adapter &&
  (adapter.info?.isFallbackAdapter || /llvmpipe|swiftshader|software/i.test(adapter.info?.description ?? ""));

// ---------------------------------------------------------------------------------------------------
// CLI: flags and numbers

cliCases("flags", [
  { name: "unknown option", args: ["--foo"], message: /unknown option --foo: see deno task search --help/ },
  {
    name: "unknown option close to one",
    args: ["--epoch", "3"],
    message: /unknown option --epoch: did you mean --epochs\?/,
  },
  { name: "unknown option with a value", args: ["--colour=red"], message: /unknown option --colour/ },
  { name: "unknown short option", args: ["-x"], message: /unknown option -x: see deno task search --help/ },
  { name: "positional argument", args: ["smoke"], message: /unexpected argument "smoke".*--preset smoke/ },
  { name: "missing value", args: ["--epochs"], message: /--epochs needs a value/ },
  {
    name: "value that is an option",
    args: ["--out", "--resume"],
    message: /--out needs a value, got the option --resume/,
  },
  { name: "value given to a switch", args: ["--resume=yes"], message: /--resume takes no value/ },
  {
    name: "repeated flag",
    args: ["--seed", "1", "--seed", "2"],
    message: /--seed is given twice \(1, then 2\): give it once/,
  },
  { name: "repeated switch", args: ["--quiet", "--quiet"], message: /--quiet is given twice/ },
  { name: "repeated method", args: ["--method", "sa", "--method=darts"], message: /--method is given twice/ },
  {
    name: "alpha-bias twice for one op",
    args: ["--method", "darts", "--alpha-bias", "skip_connect=0.1", "--alpha-bias", "skip_connect=0.2"],
    message: /--alpha-bias gives skip_connect twice/,
  },
  {
    name: "augment and no-augment",
    args: ["--augment", "--no-augment"],
    message: /--augment or --no-augment, not both/,
  },
  {
    name: "several lambda forms",
    args: ["--lambda", "1", "--lambda-points", "0:0,5:1"],
    message: /give one of --lambda, --lambda-points/,
  },
  {
    name: "unknown method",
    args: ["--method", "enas"],
    message: /unknown search method "enas": choose one of darts/,
  },
  {
    name: "unknown preset",
    args: ["--preset", "huge"],
    message: /unknown preset "huge": choose one of smoke, cpu, paper/,
  },
  {
    name: "unknown space",
    args: ["--space", "dart"],
    message: /unknown search space "dart" \(did you mean "darts"\?\): choose one of nb201, darts/,
  },
  {
    name: "a PC-DARTS K that does not divide the channels",
    args: ["--space", "darts", "--method", "pc-darts", "--partial-channels", "3"],
    message: /partialChannels \(PC-DARTS' K\) 3 does not divide the 8 channels of the darts space's cells/,
  },
  {
    name: "a PC-DARTS K that does not divide NB201's channels",
    args: ["--method", "sac", "--partial-channels", "3"],
    message: /partialChannels \(PC-DARTS' K\) 3 does not divide the nb201 space's 8 channels/,
  },
  {
    name: "an α bias on an op the space lacks",
    args: ["--space", "s2", "--alpha-bias", "avg_pool_3x3=0.1"],
    message: /alphaInit.bias names "avg_pool_3x3", not one of the ops skip_connect, sep_conv_3x3/,
  },
  {
    name: "too few DARTS cells for two reductions",
    args: ["--space", "darts", "--cells", "2"],
    message: /model.layers must be an integer ≥ 3, got 2/,
  },
  {
    name: "unknown backend",
    args: ["--backend", "cuda"],
    message: /unknown backend "cuda": choose one of auto/,
  },
  {
    name: "unknown data format",
    args: ["--data-format", "png"],
    message: /unknown --data-format "png": choose sadarts or cifar10/,
  },
  {
    name: "method option the method lacks",
    args: ["--method", "darts", "--nu", "0.5"],
    message: /method darts takes no option "nu"/,
  },
]);

cliCases("numbers", [
  {
    name: "absurd epochs",
    args: ["--epochs", "1e12"],
    message: /epochs must be at most 10000.*got 1000000000000/,
  },
  { name: "hex epochs", args: ["--epochs", "0x1"], message: /--epochs expects a decimal number, got "0x1"/ },
  { name: "binary seed", args: ["--seed", "0b11"], message: /--seed expects a decimal number, got "0b11"/ },
  { name: "word epochs", args: ["--epochs", "ten"], message: /--epochs expects a decimal number, got "ten"/ },
  { name: "empty epochs", args: ["--epochs", ""], message: /--epochs expects a decimal number, got ""/ },
  {
    name: "infinite lambda",
    args: ["--lambda", "Infinity"],
    message: /--lambda expects a decimal number, got "Infinity"/,
  },
  { name: "negative epochs", args: ["--epochs", "-1"], message: /epochs must be an integer ≥ 1, got -1/ },
  { name: "fractional epochs", args: ["--epochs", "2.5"], message: /epochs must be an integer ≥ 1, got 2.5/ },
  { name: "absurd seed", args: ["--seed", "1e10"], message: /seed must be at most 4294967295/ },
  { name: "absurd channels", args: ["--channels", "100000"], message: /model.channels must be at most/ },
  { name: "recompute on NB201", args: ["--recompute"], message: /unknown model option "recompute"/ },
  { name: "absurd batch size", args: ["--batch-size", "1e7"], message: /data.batchSize must be at most/ },
  { name: "nu out of range", args: ["--nu", "1.5"], message: /ν must be in \[0, 1\], got 1.5/ },
  { name: "zero grad clip", args: ["--grad-clip", "0"], message: /gradClip must be > 0, got 0/ },
  {
    name: "weight lr below the fixed minimum",
    args: ["--weight-lr", "1e-4"],
    message: /minLr \(0.001\).*exceed.*lr \(0.0001\).*--weight-lr-min/,
  },
  {
    name: "weight lr minimum above the lr",
    args: ["--weight-lr-min", "0.1"],
    message: /minLr \(0.1\).*exceed.*lr \(0.025\)/,
  },
  {
    name: "warm-up as long as the run",
    args: ["--preset", "smoke", "--warmup-epochs", "3"],
    message: /warmupEpochs \(3\) leaves no epoch of the 3/,
  },
  {
    name: "cutout without augment",
    args: ["--cutout", "8"],
    message: /data.cutout needs data.augment.*--augment/,
  },
  {
    name: "threads out of range",
    args: ["--backend", "wasm", "--threads", "99"],
    message: /--threads must be an integer from 1 to 8, got 99/,
  },
  {
    name: "fractional threads",
    args: ["--threads", "1.5"],
    message: /--threads must be an integer from 1 to 8, got 1.5/,
  },
  {
    name: "threads on the cpu backend",
    args: ["--backend", "cpu", "--threads", "2"],
    message: /--threads applies to the wasm backend only.*--backend cpu/,
  },
]);

cliCases("lambda points", [
  {
    name: "unsorted",
    args: ["--lambda-points", "0:0,10:2,5:1"],
    message: /lambda points: epochs must increase.*10 then 5/,
  },
  {
    name: "not EPOCH:LAMBDA",
    args: ["--lambda-points", "0:0,10"],
    message: /--lambda-points expects EPOCH:LAMBDA pairs.*got "10"/,
  },
  {
    name: "not a number",
    args: ["--lambda-points", "0:0,10:x"],
    message: /--lambda-points expects decimal numbers, got "x"/,
  },
  {
    name: "negative lambda",
    args: ["--lambda-points", "0:-1"],
    message: /lambda points: λ must be a finite number ≥ 0, got -1/,
  },
  {
    name: "for a method without lambda",
    args: ["--method", "darts", "--lambda-points", "0:0"],
    message: /method darts takes no option "lambda"/,
  },
]);

cliCases("files and folders", [
  {
    name: "resume without a run",
    args: ["--resume", "--out", "{dir}/none"],
    message: /nothing to resume in \{dir\}\/none.*drop --resume/,
  },
  {
    name: "download with the smoke preset",
    args: ["--preset", "smoke", "--download"],
    message: /--download fetches the official CIFAR-10.*smoke.*does not read/,
  },
  {
    name: "download with the cpu preset",
    args: ["--download"],
    message: /--download fetches the official CIFAR-10.*cpu.*does not read/,
  },
  {
    name: "download into a file",
    args: ["--preset", "paper", "--download", "--data", "{dir}/file.bin"],
    setup: (d) => write(`${d}/file.bin`, "x"),
    message: /--download saves CIFAR-10 into a folder, but --data \{dir\}\/file.bin is a file/,
  },
  {
    name: "one-channel data",
    args: [
      "--preset",
      "smoke",
      "--backend",
      "cpu",
      "--data",
      "{dir}/gray.bin",
      "--limit",
      "64",
      "--out",
      "{dir}/out",
    ],
    setup: oneChannelFile,
    message: /\{dir\}\/gray.bin has 1-channel images.*3 \(RGB\)/,
  },
  {
    name: "a folder as sadarts data",
    args: ["--backend", "cpu", "--data", "{dir}"],
    message: /\{dir\} is a folder, not a file/,
  },
  {
    name: "missing data file",
    args: ["--backend", "cpu", "--data", "{dir}/nope.bin"],
    message: /sadarts image file not found: \{dir\}\/nope.bin/,
  },
  {
    name: "a folder as the checkpoint",
    args: ["--preset", "smoke", "--backend", "cpu", "--out", "{dir}/run", "--resume"],
    run: true,
    setup: async (d) => {
      await Deno.remove(`${d}/run/checkpoint.bin`);
      await Deno.mkdir(`${d}/run/checkpoint.bin`);
    },
    message: /\{dir\}\/run\/checkpoint.bin is a folder, not a file/,
  },
  {
    name: "alpha-bias with the wrong case",
    args: ["--method", "darts", "--alpha-bias", "Skip_Connect=0.1"],
    message: /unknown op Skip_Connect: did you mean skip_connect\?/,
  },
  {
    name: "alpha-bias with a typo",
    args: ["--method", "darts", "--alpha-bias", "skip_conect=0.1"],
    message: /unknown op skip_conect: did you mean skip_connect\?/,
  },
  {
    name: "alpha-bias without a value",
    args: ["--alpha-bias", "skip_connect"],
    message: /--alpha-bias expects OP=VALUE such as skip_connect=0.1, got "skip_connect"/,
  },
  {
    name: "webgpu on a software adapter",
    args: ["--backend", "webgpu"],
    ignore: !softwareAdapter,
    message: /software adapter .*--backend wasm.*--allow-software-webgpu/,
  },
  {
    name: "finished run without --resume",
    args: ["--preset", "smoke", "--backend", "cpu", "--out", "{dir}/run"],
    run: true,
    message: /already holds this run \(3 of 3 epochs done\).*--resume/,
  },
  {
    name: "another config in a run folder",
    args: ["--preset", "smoke", "--seed", "1", "--backend", "cpu", "--out", "{dir}/run"],
    run: true,
    message: /holds a run with a different config/,
  },
]);

cliCases("config files", [
  {
    name: "missing file",
    args: ["--config", "{dir}/nope.json"],
    message: /config file \{dir\}\/nope.json not found/,
  },
  {
    name: "not JSON",
    args: ["--config", "{dir}/c.json"],
    setup: (d) => write(`${d}/c.json`, "{ epochs: 3 }"),
    message: /\{dir\}\/c.json is not valid JSON/,
  },
  {
    name: "not an object",
    args: ["--config", "{dir}/c.json"],
    setup: (d) => write(`${d}/c.json`, "[1]"),
    message: /\{dir\}\/c.json: a config must be a JSON object, got \[1\]/,
  },
  {
    name: "unknown field",
    args: ["--config", "{dir}/c.json"],
    setup: (d) => write(`${d}/c.json`, `{"epoch": 3}`),
    message: /\{dir\}\/c.json: unknown field "epoch": did you mean "epochs"\? choose from space, method/,
  },
  {
    name: "wrong type",
    args: ["--config", "{dir}/c.json"],
    setup: (d) => write(`${d}/c.json`, `{"epochs": "3"}`),
    message: /\{dir\}\/c.json: epochs must be an integer ≥ 1, got "3" \(a string\)/,
  },
  {
    name: "unsorted lambda points",
    args: ["--config", "{dir}/c.json"],
    setup: (d) => write(`${d}/c.json`, `{"methodOptions": {"lambda": {"points": [[5, 1], [0, 0]]}}}`),
    message: /lambda points: epochs must increase/,
  },
  {
    name: "flag over a config file",
    args: ["--config", "{dir}/run/config.json", "--epochs", "1e12"],
    run: true,
    message: /epochs must be at most 10000/,
  },
  {
    name: "config of a finished run without --resume",
    args: ["--config", "{dir}/run/config.json", "--backend", "cpu", "--out", "{dir}/run"],
    run: true,
    message: /already holds this run.*--resume/,
  },
  {
    name: "config given twice",
    args: ["--config", "{dir}/a.json", "--config", "{dir}/b.json"],
    message: /--config is given twice/,
  },
]);

// ---------------------------------------------------------------------------------------------------
// Library

libraryCases("searchConfig", [
  {
    name: "null",
    call: () => searchConfig(null as never),
    message: /searchConfig expects an options object, got null/,
  },
  {
    name: "a string",
    call: () => searchConfig("smoke" as never),
    message: /searchConfig expects an options object, got "smoke" \(a string\)/,
  },
  {
    name: "unknown field",
    call: () => searchConfig({ epoch: 3 } as never),
    message: /unknown field "epoch": did you mean "epochs"\? choose from space, method/,
  },
  {
    name: "epochs as a string",
    call: () => searchConfig({ epochs: "3" as never }),
    message: /epochs must be an integer ≥ 1, got "3" \(a string\)/,
  },
  {
    name: "epochs absurd",
    call: () => searchConfig({ epochs: 1e12 }),
    message: /epochs must be at most 10000/,
  },
  {
    name: "epochs NaN",
    call: () => searchConfig({ epochs: NaN }),
    message: /epochs must be an integer ≥ 1, got NaN/,
  },
  {
    name: "seed as a float",
    call: () => searchConfig({ seed: 1.5 }),
    message: /seed must be an integer ≥ 0, got 1.5/,
  },
  {
    name: "method as a number",
    call: () => searchConfig({ method: 3 as never }),
    message: /method must be a string, got 3 \(a number\)/,
  },
  {
    name: "preset as null",
    call: () => searchConfig({ preset: null as never }),
    message: /preset must be a string, got null/,
  },
  {
    name: "evaluate as a string",
    call: () => searchConfig({ evaluate: "yes" as never }),
    message: /evaluate must be true or false, got "yes" \(a string\)/,
  },
  {
    name: "model.affine as a string",
    call: () => searchConfig({ model: { affine: "no" as never } }),
    message: /model.affine must be true or false, got "no" \(a string\)/,
  },
  {
    name: "model.trackRunningStats as a number",
    call: () => searchConfig({ model: { trackRunningStats: 1 as never } }),
    message: /model.trackRunningStats must be true or false, got 1 \(a number\)/,
  },
  {
    name: "model as an array",
    call: () => searchConfig({ model: [] as never }),
    message: /model must be an object, got \[\] \(an array\)/,
  },
  {
    name: "data.augment as a string",
    call: () => searchConfig({ data: { augment: "true" as never } }),
    message: /data.augment must be true or false, got "true" \(a string\)/,
  },
  {
    name: "data.path as a number",
    call: () => searchConfig({ data: { path: 5 as never } }),
    message: /data.path must be a string, got 5 \(a number\)/,
  },
  {
    name: "data.limit as a string",
    call: () => searchConfig({ data: { limit: "512" as never } }),
    message: /data.limit must be an integer ≥ 2, got "512" \(a string\)/,
  },
  {
    name: "data.format unknown",
    call: () => searchConfig({ data: { format: "png" as never } }),
    message: /unknown data format "png": choose sadarts or cifar10/,
  },
  {
    name: "methodOptions as a string",
    call: () => searchConfig({ methodOptions: "sa" as never }),
    message: /methodOptions must be an object, got "sa" \(a string\)/,
  },
  {
    name: "nu as a string",
    call: () => searchConfig({ methodOptions: { nu: "0.5" as never } }),
    message: /methodOptions.nu must be a number, got "0.5" \(a string\)/,
  },
  {
    name: "mu infinite",
    call: () => searchConfig({ methodOptions: { mu: Infinity } }),
    message: /μ must be a finite number ≥ 0, got Infinity/,
  },
  {
    name: "lambda as a string",
    call: () => searchConfig({ methodOptions: { lambda: "1" as never } }),
    message:
      /methodOptions.lambda must be a number, \{ divisor \}, \{ slope \} or \{ points \}, got "1" \(a string\)/,
  },
  {
    name: "lambda divisor as a string",
    call: () => searchConfig({ methodOptions: { lambda: { divisor: "2" as never } } }),
    message: /methodOptions.lambda.divisor must be a number, got "2" \(a string\)/,
  },
  {
    name: "lambda mixing forms",
    call: () => searchConfig({ methodOptions: { lambda: { slope: 1, divisor: 2 } as never } }),
    message: /methodOptions.lambda has both divisor and slope: give one form/,
  },
  {
    name: "lambda points unsorted",
    call: () => searchConfig({ methodOptions: { lambda: { points: [[0, 0], [5, 1], [3, 2]] } } }),
    message: /lambda points: epochs must increase, got 5 then 3/,
  },
  {
    name: "lambda points empty",
    call: () => searchConfig({ methodOptions: { lambda: { points: [] } } }),
    message: /lambda points: give at least one \[epoch, λ\] point/,
  },
  {
    name: "lambda point not a pair",
    call: () => searchConfig({ methodOptions: { lambda: { points: [[0, 0, 1]] as never } } }),
    message: /methodOptions.lambda.points\[0\] must be an \[epoch, λ\] pair/,
  },
  {
    name: "lambda point NaN",
    call: () => searchConfig({ methodOptions: { lambda: { points: [[0, NaN]] } } }),
    message: /lambda points: λ must be a finite number ≥ 0, got NaN/,
  },
  {
    name: "alpha bias as a string",
    call: () =>
      searchConfig({
        method: "darts",
        methodOptions: { alphaInit: { bias: { skip_connect: "0.1" as never } } },
      }),
    message: /methodOptions.alphaInit.bias.skip_connect must be a number, got "0.1" \(a string\)/,
  },
  {
    name: "alpha bias wrong case",
    call: () =>
      searchConfig({ method: "darts", methodOptions: { alphaInit: { bias: { Skip_Connect: 0.1 } } } }),
    message: /unknown op Skip_Connect: did you mean skip_connect\?/,
  },
  {
    name: "weight lr below minLr",
    call: () => searchConfig({ methodOptions: { weightOptimizer: { lr: 1e-4 } } }),
    message: /weightOptimizer.minLr \(0.001\) must not exceed lr \(0.0001\)/,
  },
  {
    name: "momentum as a string",
    call: () => searchConfig({ methodOptions: { weightOptimizer: { momentum: "0.9" as never } } }),
    message: /methodOptions.weightOptimizer.momentum must be a number, got "0.9" \(a string\)/,
  },
  {
    name: "nesterov as a string",
    call: () => searchConfig({ methodOptions: { weightOptimizer: { nesterov: "false" as never } } }),
    message: /methodOptions.weightOptimizer.nesterov must be true or false, got "false" \(a string\)/,
  },
  {
    name: "betas of one value",
    call: () => searchConfig({ methodOptions: { archOptimizer: { betas: [0.5] as never } } }),
    message: /methodOptions.archOptimizer.betas must be a pair of numbers, got \[0.5\]/,
  },
  {
    name: "warmup as a string",
    call: () => searchConfig({ methodOptions: { warmupEpochs: "2" as never } }),
    message: /methodOptions.warmupEpochs must be an integer ≥ 0, got "2" \(a string\)/,
  },
  {
    name: "sampleInEval as a string",
    call: () => searchConfig({ method: "drnas", methodOptions: { sampleInEval: "no" as never } }),
    message: /methodOptions.sampleInEval must be true or false, got "no" \(a string\)/,
  },
  {
    name: "tauMax as a string",
    call: () => searchConfig({ method: "snas", methodOptions: { tauMax: "10" as never } }),
    message: /methodOptions.tauMax must be a number, got "10" \(a string\)/,
  },
]);

libraryCases("checkSearchConfig and search", [
  {
    name: "checkSearchConfig(undefined)",
    call: () => checkSearchConfig(undefined as never),
    message: /expected a search config \(from searchConfig\(options\)\), got undefined/,
  },
  {
    name: "search(undefined)",
    call: () => search(undefined as never),
    message: /expected a search config \(from searchConfig\(options\)\), got undefined/,
  },
  {
    name: 'search with resume: "yes"',
    call: () => search(searchConfig({ preset: "smoke" }), { resume: "yes" as never }),
    message: /search option resume must be true or false, got "yes" \(a string\)/,
  },
  {
    name: "search with stopAfterEpochs: 0",
    call: () => search(searchConfig({ preset: "smoke" }), { stopAfterEpochs: 0 }),
    message: /search option stopAfterEpochs must be an integer ≥ 1, got 0 \(a number\)/,
  },
  {
    name: "search with out: 5",
    call: () => search(searchConfig({ preset: "smoke" }), { out: 5 as never }),
    message: /search option out must be a folder name \(a string\), got 5 \(a number\)/,
  },
  {
    name: "search(options) instead of a config",
    call: () => search({ preset: "smoke" } as never),
    message: /config is missing space, method.*searchConfig/,
  },
  {
    name: "a config edited to a string epoch",
    call: () => checkSearchConfig({ ...smoke(), epochs: "3" as never }),
    message: /epochs must be an integer ≥ 1, got "3" \(a string\)/,
  },
  {
    name: "a config edited to an unknown field",
    call: () => checkSearchConfig({ ...smoke(), extra: 1 } as never),
    message: /unknown field "extra"/,
  },
  {
    name: "a config with absurd epochs",
    call: (d) => search({ ...smoke(), epochs: 1e12 }, { out: `${d}/run` }),
    run: true,
    message: /epochs must be at most 10000/,
  },
  {
    name: "another config in a run folder",
    call: (d) => search({ ...smoke(), seed: 1 }, { out: `${d}/run` }),
    run: true,
    message: /holds a run with a different config/,
  },
  {
    name: "a finished run without resume",
    call: (d) => search(smoke(), { out: `${d}/run` }),
    run: true,
    message: /already holds this run.*resume: true/,
  },
  {
    name: "loadConfigFile of a missing file",
    call: (d) => loadConfigFile(`${d}/none.json`),
    message: /config file .*none.json not found/,
  },
]);

// ---------------------------------------------------------------------------------------------------
// Run folders that nothing can corrupt (issue items 12–18; the cases that need signals, a second process
// or a folder that changes by design are in test/runs/robustness_test.ts and test/runs/crash_test.ts)

/** Rewrite the prepared run's checkpoint through `edit`, with a valid checksum. */
async function tamper(dir: string, edit: (c: { state: any; tensors: Record<string, any> }) => void) {
  await (backendReady ??= selectBackend("cpu"));
  const path = `${dir}/run/checkpoint.bin`;
  const c = decodeCheckpoint<any>(await Deno.readFile(path), path);
  edit(c);
  await Deno.writeFile(path, encodeCheckpoint(c));
  Object.values(c.tensors).forEach((t) => t.dispose());
}
/** The prepared run (smoke, sa, seed 0), resumed. */
const RESUME = ["--preset", "smoke", "--backend", "wasm", "--threads", "1", "--out", "{dir}/run", "--resume"];
const FRESH = ["--preset", "smoke", "--backend", "wasm", "--threads", "1", "--out", "{dir}/new"];

cliCases("run folders", [
  {
    name: "12: an empty --out (the filesystem root)",
    args: ["--preset", "smoke", "--out", ""],
    message: /run folder "" is empty: name a folder \(--out DIR\)/,
  },
  {
    name: "12: --out names a folder of other files",
    args: ["--preset", "smoke", "--out", "{dir}"],
    setup: (d) => write(`${d}/notes.txt`, "mine"),
    message: /\{dir\} holds files that are not a run's \(notes.txt\): choose an empty or new folder/,
  },
  {
    name: "14: a seed-1 checkpoint in a seed-0 folder",
    args: RESUME,
    run: true,
    setup: (d) => tamper(d, (c) => (c.state.config.seed = 1)),
    message: /checkpoint.bin belongs to another config \(seed: 1 in the checkpoint, 0 asked\)/,
  },
  {
    name: "14: 64 bytes overwritten in a momentum tensor",
    args: RESUME,
    run: true,
    setup: async (d) => {
      const path = `${d}/run/checkpoint.bin`;
      const bytes = await Deno.readFile(path);
      const n = new DataView(bytes.buffer).getUint32(8, true);
      const entry = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n))).tensors
        .find((e: { name: string }) => e.name.startsWith("wopt/momentum"));
      bytes.fill(0x7f, 12 + n + entry.offset, 12 + n + entry.offset + 64);
      await Deno.writeFile(path, bytes);
    },
    message:
      /checkpoint.bin is damaged \(checksum mismatch\): delete it to restart from scratch or restore a copy/,
  },
  {
    name: "14: a checkpoint cut short",
    args: RESUME,
    run: true,
    setup: async (d) => {
      const path = `${d}/run/checkpoint.bin`;
      await Deno.writeFile(path, (await Deno.readFile(path)).subarray(0, 5000));
    },
    message: /checkpoint.bin is truncated \(5000 of (at least )?\d+ bytes\): delete it/,
  },
  {
    name: "14: config.json deleted, resumed with another seed",
    args: [...RESUME, "--seed", "5"],
    run: true,
    setup: (d) => Deno.remove(`${d}/run/config.json`),
    message: /checkpoint.bin belongs to another config \(seed: 0 in the checkpoint, 5 asked\)/,
  },
  {
    name: "14: a state without its epoch count",
    args: RESUME,
    run: true,
    setup: (d) => tamper(d, (c) => delete c.state.epochsDone),
    message: /checkpoint.bin has a bad state \(epochsDone is undefined, not 1 to 3\): delete it/,
  },
  {
    name: "14: a tensor of another model size",
    args: RESUME,
    run: true,
    setup: (d) =>
      tamper(d, (c) => {
        const a = c.tensors["arch/alpha"];
        c.tensors["arch/alpha"] = a.slice([0, 0], [6, 4]);
        a.dispose();
      }),
    message:
      /checkpoint.bin: tensor "arch\/alpha" has shape \[6,4\], the model's is \[6,5\]: it was written for another model/,
  },
  {
    name: "15: a batch size larger than the data (nothing left behind)",
    args: [...FRESH, "--batch-size", "4096"],
    message: /batch size 4096 is larger than each half of the 512 images/,
  },
  {
    name: "15: images pooled below 4x4 (nothing left behind)",
    args: [...FRESH, "--downsample", "4"],
    message: /at least 4x4/,
  },
  {
    name: "17: an α offset of 1e38",
    args: [...FRESH, "--alpha-offset", "1e38", "--limit", "128", "--epochs", "1"],
    message:
      /became (-?Infinity|NaN) at epoch 1, step 1: the run stopped \(no epoch had finished: nothing was kept\)/,
  },
  {
    name: "17: a λ of 1e38",
    args: [...FRESH, "--lambda", "1e38", "--limit", "128", "--epochs", "1"],
    message:
      /became (-?Infinity|NaN) at epoch 1, step 1: the run stopped \(no epoch had finished: nothing was kept\)/,
  },
]);

libraryCases("run folders", [
  {
    name: '12: out ""',
    call: () => search(smoke(), { out: "" }),
    message: /run folder "" is empty: name a folder/,
  },
  {
    name: "13: a folder in use by another search",
    run: true,
    call: async (d) => {
      const held = lockRunFolder(`${d}/run`, "deno task search --seed 0");
      try {
        await search({ ...smoke(), seed: 1 }, { out: `${d}/run`, resume: true });
      } finally {
        held.release();
      }
    },
    message:
      /run is in use by process \d+ on .* since .* \(deno task search --seed 0\): wait for it to finish or stop it/,
  },
]);
