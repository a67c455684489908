/**
 * Live progress of a search inside a Jupyter notebook: one display per run that is updated in place
 * (Jupyter's `update_display_data`), so a long cell says what it is doing and the executed notebook keeps
 * one line per run saying where its result came from.
 * @module
 */
import { isAbsolute, relative } from "node:path";
import { EtaClock } from "../cli/runConsole.ts";
import { formatDuration } from "./duration.ts";
import type { SearchProgress, SearchResult } from "./search.ts";

/** What sadarts uses of the Deno kernel's `Deno.jupyter`. */
export interface JupyterApi {
  display(
    bundle: Record<string, string>,
    options: { raw: boolean; display_id: string; update?: boolean },
  ): Promise<void>;
}

/** The Deno kernel's `Deno.jupyter`, or undefined outside a kernel (where reading it throws). */
export function jupyterApi(): JupyterApi | undefined {
  try {
    return (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    return undefined;
  }
}

/** Seconds between two updates of the display (each is a message to the notebook). */
const UPDATE_EVERY_S = 1;

let displays = 0;

/** The progress display of one run; methods never throw (a display that fails is not the run's problem). */
export interface SearchProgressDisplay {
  step(p: SearchProgress): void;
  readBack(result: SearchResult, from: string, ms: number): void;
  finished(result: SearchResult, out: string): void;
}

/** A folder as the notebook's working directory sees it (an executed notebook keeps no machine's paths). */
export const shortPath = (p: string): string => (isAbsolute(p) ? relative(Deno.cwd(), p) : p);

/**
 * One line of text in a Jupyter notebook that each call replaces, or undefined when not in a Jupyter
 * kernel or `enabled` is false (default: enabled in a kernel; `true` outside one throws). Calls come
 * through at most once a second unless `force`d (a step's end, a run's last word). Never throws.
 */
export function jupyterLine(enabled?: boolean): ((text: string, force?: boolean) => void) | undefined {
  const api = enabled === false ? undefined : jupyterApi();
  if (!api) {
    if (enabled === true) throw new Error("progress: true needs a Jupyter kernel (deno jupyter)");
    return undefined;
  }
  const id = `sadarts-progress-${Deno.pid}-${++displays}`;
  let shown = false;
  let last = -Infinity;
  return (text, force = false) => {
    const now = performance.now();
    if (!force && now - last < UPDATE_EVERY_S * 1000) return;
    last = now;
    const update = shown;
    shown = true;
    api.display({ "text/plain": text }, { raw: true, display_id: id, update }).catch(() => {});
  };
}

/**
 * A progress display for the run `name`, or undefined when not in a Jupyter kernel or `enabled` is
 * false (default: enabled in a kernel). `describe` adds a few words on a derived cell (the space's
 * `SpaceRun.describe`, e.g. its NB201 accuracy).
 */
export function jupyterSearchProgress(
  name: string,
  describe: (cell: string) => string | undefined,
  enabled?: boolean,
): SearchProgressDisplay | undefined {
  const show = jupyterLine(enabled);
  if (!show) return undefined;
  const cellText = (cell: string) => {
    const words = describe(cell);
    return `cell ${cell}${words ? ` (${words})` : ""}`;
  };
  const t0 = performance.now();
  const clock = new EtaClock();
  return {
    step(p) {
      const eta = formatDuration(clock.step(p.epoch, p.epochs, p.step, p.steps));
      show(
        `${name}: epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}/${p.steps}, ETA ${eta}; ` +
          `${cellText(p.cell)}; train loss ${p.trainLoss.toFixed(3)}`,
        p.step === p.steps,
      );
    },
    readBack(r, from, ms) {
      show(
        `${name}: read back from ${shortPath(from)} in ${
          Math.max(1, Math.round(ms))
        } ms (${r.summary.epochsDone} epochs, ` +
          `searched in ${formatDuration(r.summary.seconds)} on ${r.summary.backend}); ${
            cellText(r.summary.cell)
          }`,
        true,
      );
    },
    finished(r, out) {
      show(
        `${name}: ${r.summary.epochsDone} epochs in ${formatDuration((performance.now() - t0) / 1000)} → ${
          shortPath(out)
        }; ` +
          cellText(r.summary.cell),
        true,
      );
    },
  };
}
