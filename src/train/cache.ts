/**
 * Training runs named by their config, as searches are (../search/cache.ts): one folder-name rule for
 * `deno task train` and {@link cachedTrain}, and the read-back of finished runs from their records,
 * including the records shipped for the notebooks (`notebooks/records/train-…`).
 * @module
 */
import { readRecordTexts, recordRows } from "../runs/records.ts";
import { configHash, SHIPPED_RECORDS } from "../search/cache.ts";
import { formatDuration } from "../search/duration.ts";
import { jupyterLine, shortPath } from "../search/jupyterProgress.ts";
import { EtaClock } from "../cli/runConsole.ts";
import type { TrainConfig } from "./config.ts";
import { train, type TrainOptions, type TrainResult, type TrainRow, type TrainSummary } from "./train.ts";

/**
 * The name of `config`'s run folder: `train-<source>-<dataset>-<preset>-s<seed>-<hash>`, the source
 * being the genotype's (a library name, a search's folder name, or "custom").
 * @example
 * ```ts
 * import { DARTS_GENOTYPES } from "../spaces/darts.ts";
 * import { trainConfig } from "./config.ts";
 * import { trainRunName } from "./cache.ts";
 * const c = trainConfig({ genotype: DARTS_GENOTYPES.DARTS_V2, genotypeSource: "DARTS_V2", preset: "smoke" });
 * console.assert(/^train-DARTS_V2-cifar10-smoke-s0-[0-9a-f]{8}$/.test(trainRunName(c)));
 * ```
 */
export function trainRunName(config: TrainConfig): string {
  const source = config.genotypeSource.split("/").pop()!.replace(/[^\w.-]+/g, "_").slice(0, 60);
  return `train-${source}-${config.dataset}-${config.preset}-s${config.seed}-${configHash(config)}`;
}

/**
 * A finished training run read back from the record in `dir` (a run folder or a shipped record), or
 * undefined when `dir` holds none (with `config`: none of that config). A damaged record is refused.
 */
export async function readFinishedTraining(
  dir: string,
  config?: TrainConfig,
): Promise<TrainResult | undefined> {
  const r = await readRecordTexts(dir, ["metrics.csv"], config);
  if (!r) return undefined;
  return {
    config: r.config as TrainConfig,
    summary: r.summary as unknown as TrainSummary,
    metrics: recordRows<TrainRow>(r.tables["metrics.csv"]),
  };
}

/** Options of {@link cachedTrain}: those of `train` (but the folder), and where runs are kept. */
export interface CachedTrainOptions extends Omit<TrainOptions, "out" | "resume" | "stopAfterEpochs"> {
  /** Where run folders live (default `runs`, relative to the working directory: the CLI's default). */
  root?: string;
  /** Read-only records consulted when `root` has no finished run (default the shipped ones; `false`: none). */
  records?: string | false;
  /**
   * Show progress in a Jupyter notebook: one line per run, updated in place (epoch, step, ETA, the last
   * test accuracy), ending with where the result came from. Default: when in a Jupyter kernel.
   */
  progress?: boolean;
}

/**
 * `config`'s training run: read back when it finished before (in `root` or the records), resumed when it
 * was interrupted, run otherwise, in `<root>/<trainRunName(config)>` (the folder `deno task train` uses).
 */
export async function cachedTrain(
  config: TrainConfig,
  options: CachedTrainOptions = {},
): Promise<TrainResult> {
  const { root = "runs", records = SHIPPED_RECORDS, progress, ...rest } = options;
  const name = trainRunName(config);
  const out = `${root}/${name}`;
  const show = jupyterLine(progress);
  const accuracy = (r: TrainResult) =>
    r.summary.testAcc === null ? "" : `; test accuracy ${r.summary.testAcc.toFixed(2)}%`;
  for (const dir of [out, ...(records ? [`${records}/${name}`] : [])]) {
    const found = await readFinishedTraining(dir, config);
    if (found) {
      show?.(
        `${name}: read back from ${shortPath(dir)} (${found.summary.epochsDone} epochs, trained in ` +
          `${formatDuration(found.summary.seconds)} on ${found.summary.backend})${accuracy(found)}`,
        true,
      );
      return found;
    }
  }
  const t0 = performance.now();
  const clock = new EtaClock();
  let lastTest = "";
  const result = await train(config, {
    ...rest,
    out,
    resume: true,
    onProgress: (p) => {
      const eta = formatDuration(clock.step(p.epoch, p.epochs, p.step, p.steps));
      show?.(
        `${name}: epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}/${p.steps}, ETA ${eta}; train loss ` +
          `${p.trainLoss.toFixed(3)}${lastTest}`,
      );
      rest.onProgress?.(p);
    },
    onEpoch: (row) => {
      if (row.testAcc !== null) {
        lastTest = `; test accuracy ${row.testAcc.toFixed(2)}% after epoch ${row.epoch}`;
      }
      rest.onEpoch?.(row);
    },
  });
  show?.(
    `${name}: ${result.summary.epochsDone} epochs in ${formatDuration((performance.now() - t0) / 1000)} → ` +
      `${shortPath(out)}${accuracy(result)}`,
    true,
  );
  return result;
}
