/**
 * A sweep's progress as lines: a summary line, then one line per worker (what it runs and how far it is).
 * Shown redrawn in place on a terminal, as a log of starts, epochs and ends elsewhere, or as one Jupyter
 * display updated in place.
 * @module
 */
import { progressLine } from "../cli/runConsole.ts";
import { formatDuration } from "../search/duration.ts";
import { jupyterApi, shortPath } from "../search/jupyterProgress.ts";
import { spaceByName } from "../spaces/mod.ts";
import type { SweepEvent, SweepOutcome } from "./local.ts";

/** The state a progress display draws: per worker its line, and the outcomes so far. */
export class SweepBoard {
  readonly #workers: string[];
  readonly #outcomes: SweepOutcome[] = [];
  readonly #started = performance.now();

  constructor(readonly name: string, readonly total: number, workers: number) {
    this.#workers = Array.from({ length: workers }, (_, w) => `[${w + 1}] idle`);
  }

  /** Take in an event; returns the line a log prints for it (undefined for step progress). */
  update(e: SweepEvent, width = 100): string | undefined {
    const tag = (w: number) => `[${w + 1}]`;
    if (e.type === "start") {
      const line = `${tag(e.worker)} ${e.run.name}: ${
        e.resumed ? "resuming" : "starting"
      } (${e.run.group}, seed ${e.run.config.seed})`;
      this.#workers[e.worker] = line;
      return line;
    }
    if (e.type === "progress") {
      const p = e.progress;
      const head = `${tag(e.worker)} ${e.run.name}: `;
      if (p.event === "progress") {
        this.#workers[e.worker] = head +
          progressLine({ ...p, cell: "" }, Math.max(20, width - head.length)).trimEnd();
        return undefined;
      }
      if (p.event === "epoch") {
        const line = `${head}epoch ${p.epoch}/${p.epochs}${
          p.highlights.length ? `: ${p.highlights.join(", ")}` : ""
        }`;
        this.#workers[e.worker] = line;
        return line;
      }
      return undefined;
    }
    this.#outcomes.push(e.outcome);
    const o = e.outcome;
    const line = `${tag(e.worker)} ${o.run.name}: ${describeOutcome(o)}`;
    this.#workers[e.worker] = o.status === "found" ? this.#workers[e.worker] : `${tag(e.worker)} idle`;
    return line;
  }

  /** The summary line: runs done of all, by outcome, and the time so far. */
  summary(): string {
    const count = (s: SweepOutcome["status"]) => this.#outcomes.filter((o) => o.status === s).length;
    const parts = [`${count("ran")} ran`, `${count("found")} found`];
    if (count("failed")) parts.push(`${count("failed")} failed`);
    if (count("interrupted")) parts.push(`${count("interrupted")} interrupted`);
    return `sweep ${this.name}: ${this.#outcomes.length}/${this.total} runs done (${parts.join(", ")}), ` +
      formatDuration((performance.now() - this.#started) / 1000);
  }

  /** The summary line and the workers' lines (only the summary once every run is done). */
  lines(): string[] {
    return this.#outcomes.length < this.total ? [this.summary(), ...this.#workers] : [this.summary()];
  }
}

/** One outcome in a few words: how it ended, and the run's result or error. */
export function describeOutcome(o: SweepOutcome): string {
  if (o.status === "failed") {
    return `FAILED: ${(o.message ?? "").split("\n").filter(Boolean).slice(-2).join(" / ")}`;
  }
  if (o.status === "interrupted") return "interrupted (resumes with the same command)";
  const { summary: s, metrics, config } = o.result!;
  const how = o.status === "found"
    ? `found in ${shortPath(o.folder)}`
    : `ran ${s.epochsDone} epochs in ${formatDuration(s.seconds)}`;
  const last = metrics[metrics.length - 1] as unknown as Record<string, unknown>;
  const figures = spaceByName(config.space).comparisonColumns
    .filter((c) => typeof last?.[c] === "number")
    .map((c) => `${c} ${figure(last[c] as number)}`);
  return `${how}${figures.length ? `; ${figures.join(", ")}` : ""}`;
}

/** A record's number as a progress line shows it: integers as is, small gaps such as 3e-3 in e-notation. */
function figure(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 0.1 ? v.toExponential(1) : v.toFixed(2);
}

/**
 * A display of `board` on stderr: redrawn in place on a terminal (at most every 200 ms), else a line per
 * start, epoch and end. Returns the event handler and a `close` that draws the last state.
 */
export function terminalDisplay(board: SweepBoard): { onEvent: (e: SweepEvent) => void; close: () => void } {
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const write = (s: string) => Deno.stderr.writeSync(encoder.encode(s));
  const width = () => {
    try {
      return Deno.consoleSize().columns || 100;
    } catch {
      return 100;
    }
  };
  let drawn = 0;
  let last = 0;
  const draw = () => {
    const cols = width();
    const lines = board.lines().map((l) => l.slice(0, cols - 1));
    write(`${drawn ? `\x1b[${drawn}F` : ""}${lines.map((l) => `${l}\x1b[K`).join("\n")}\n`);
    drawn = lines.length;
    last = performance.now();
  };
  return {
    onEvent(e) {
      const line = board.update(e, tty ? width() : 100);
      if (!tty) {
        if (line) write(`${line}\n`);
        return;
      }
      if (line && e.type === "end") {
        // Ends stay in the scrollback, above the live lines.
        write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ""}${line}\n`);
        drawn = 0;
      }
      if (e.type !== "progress" || performance.now() - last > 200) draw();
    },
    close() {
      if (tty) draw();
      else write(`${board.summary()}\n`);
    },
  };
}

/** A Jupyter display of `board` (one output, updated in place at most every second), or undefined outside a kernel. */
export function jupyterDisplay(
  board: SweepBoard,
): { onEvent: (e: SweepEvent) => void; close: () => void } | undefined {
  const api = jupyterApi();
  if (!api) return undefined;
  const id = `sadarts-sweep-${Deno.pid}-${performance.now().toFixed(0)}`;
  let shown = false;
  let last = 0;
  const ends: string[] = [];
  const show = () => {
    const text = [...ends, ...board.lines()].join("\n");
    api.display({ "text/plain": text }, { raw: true, display_id: id, update: shown }).catch(() => {});
    shown = true;
    last = performance.now();
  };
  return {
    onEvent(e) {
      const line = board.update(e);
      if (e.type === "end" && line) ends.push(line);
      if (e.type !== "progress" || performance.now() - last > 1000) show();
    },
    close: show,
  };
}
