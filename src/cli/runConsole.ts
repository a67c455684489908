/**
 * What the run commands (`deno task search`, `deno task train`) show on a terminal and how they stop: the
 * progress line with its ETA, the terminal's width, a command line to copy, and SIGINT / SIGTERM turned
 * into an abort between two steps (the last checkpoint kept; a second signal exits at once).
 * @module
 */
import { formatDuration } from "../search/duration.ts";

/** What one progress line shows. */
export interface ProgressLineParts {
  /** 1-based epoch and the total. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch, and per epoch. */
  step: number;
  steps: number;
  /** Mean training loss so far. */
  loss: number;
  /** Seconds left (estimate). */
  eta: number;
  /** The derived cell (a search's), or "". */
  cell: string;
}

/**
 * The progress line for a terminal `width` columns wide: `epoch 3/20 [####....] 12/78 loss 2.303 ETA
 * 1m23s |cell|`, never longer than `width − 1` characters (the last column is left free: some terminals
 * wrap when it is written). What does not fit is dropped, least important first: the cell, then the bar;
 * what still does not fit is cut.
 */
export function progressLine(p: ProgressLineParts, width: number): string {
  const max = Math.max(1, Math.floor(width) - 1);
  const head = `epoch ${p.epoch}/${p.epochs}`;
  const tail = `${p.step}/${p.steps} loss ${p.loss.toFixed(3)} ETA ${formatDuration(p.eta)}`;
  const barWidth = 20;
  const filled = Math.max(0, Math.min(barWidth, Math.round((barWidth * p.step) / p.steps)));
  const bar = `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}]`;
  for (const parts of [[head, bar, tail, p.cell], [head, bar, tail], [head, tail]]) {
    const line = parts.filter(Boolean).join(" ");
    if (line.length <= max) return line;
  }
  return `${head} ${tail}`.slice(0, max);
}

/** Columns of the terminal on stderr (80 when it has none or says 0). */
export function terminalWidth(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/** `args` as one shell command line (single quotes where a word needs them). */
export function shellWords(args: string[]): string {
  return args.map((a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
}

/** Exit codes of the signals a run stops on. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * SIGINT / SIGTERM abort the returned signal (the run stops after its current step, keeping its last
 * checkpoint); a second one exits at once, which atomic writes make safe too. `say` tells the user;
 * `remove` takes the listeners off.
 */
export function stopOnSignals(
  what: string,
  say: (line: string) => void,
): { signal: AbortSignal; remove: () => void } {
  const abort = new AbortController();
  const removers = Object.entries(SIGNAL_EXIT_CODES).map(([name, code]) => {
    const listener = () => {
      if (abort.signal.aborted) Deno.exit(code);
      say(
        `${name}: stopping the ${what} after the current step (${
          name === "SIGINT" ? "Ctrl-C" : name
        } again stops at once)`,
      );
      abort.abort(name);
    };
    Deno.addSignalListener(name as Deno.Signal, listener);
    return () => Deno.removeSignalListener(name as Deno.Signal, listener);
  });
  return { signal: abort.signal, remove: () => removers.forEach((r) => r()) };
}

/** Seconds left in a run, from the pace of the steps since the last {@link EtaClock.restart}. */
export class EtaClock {
  #started = performance.now();
  #steps = 0;
  /** Count a step done of (epoch, step) of (epochs, steps); the seconds left. */
  step(epoch: number, epochs: number, step: number, steps: number): number {
    this.#steps++;
    const perStep = (performance.now() - this.#started) / 1000 / this.#steps;
    return ((epochs - epoch - 1) * steps + (steps - step)) * perStep;
  }
  /** Start measuring the pace again (after an epoch: its evaluation is not a step). */
  restart(): void {
    this.#started = performance.now();
    this.#steps = 0;
  }
}
