/**
 * sadarts: differentiable neural architecture search (SA-DARTS and its baselines) on TensorFlow.js,
 * for notebooks and scripts. This entry point holds what a researcher uses: configs and searches, the
 * methods and their parts, the NAS-Bench-201 space and benchmark, run records as polars frames, and the
 * paper's figures; `pl` (nodejs-polars) and `Plot` (Observable Plot) come with it, so a notebook needs
 * no imports of its own. Internals (kernels, layers, supernets) stay importable from their modules.
 *
 * Import it by path from any folder (no deno.json needed there): its npm packages are pinned inside.
 *
 * @example
 * ```ts
 * import { cellDiagram, loadNb201, search, searchConfig, selectBackend } from "./mod.ts";
 * await selectBackend("wasm");
 * const run = await search(searchConfig({ method: "sa", preset: "smoke", epochs: 1, data: { limit: 64 } }));
 * const accuracy = loadNb201().accuracy(run.summary.cell).cifar10; // NB201 CIFAR-10 test accuracy, %
 * console.assert(accuracy > 0 && cellDiagram(run.summary.cell).svg.startsWith("<svg"));
 * ```
 * Importing this module registers sadarts' training kernels (conv gradients for wasm, dilated-conv
 * gradients everywhere); `selectBackend` does so too.
 * @module
 */
import { registerTrainingKernels } from "./backend/kernels/mod.ts";

// Tables and figures of one's own, with the same packages sadarts uses.
export { default as pl } from "./deps/polars.ts";
export * as Plot from "./deps/plot.ts";

// Backends.
export { BACKEND_NAMES, BackendError, selectBackend } from "./backend/select.ts";
export type { BackendInfo, BackendName, SelectBackendOptions } from "./backend/select.ts";

// Configs, searches, run folders by config.
export { loadConfigFile, presetByName, searchConfig } from "./search/config.ts";
export type {
  DataConfig,
  LambdaConfig,
  MethodConfig,
  ModelConfig,
  Preset,
  SearchConfig,
  SearchConfigOptions,
} from "./search/config.ts";
export { NonFiniteLossError, RunInterruptedError, search } from "./search/search.ts";
export type { SearchOptions, SearchProgress, SearchResult, SearchSummary } from "./search/search.ts";
export { cachedRunFolder, cachedSearch, configHash, runName, SHIPPED_RECORDS } from "./search/cache.ts";
export type { CachedSearchOptions } from "./search/cache.ts";
// Analyses: the loss landscape over α (Fig. 5) from a run's checkpoint; more (the Hessian, the SA
// term's shapes of Fig. 9) in ./analysis/mod.ts, their figures in ./plots/mod.ts.
export { archLandscape, cachedLandscape, flatness, restoreSearch } from "./analysis/mod.ts";
export type { Landscape, LandscapeOptions } from "./analysis/mod.ts";
// Sweeps: grids of searches on this machine's processes (executors and grid expansion: ./sweeps/mod.ts).
export { formatSweepTable, sweep } from "./sweeps/mod.ts";
export type { SweepGrid, SweepOptions, SweepReport } from "./sweeps/mod.ts";

// Methods as compositions, and their parts.
export { methodByName, METHODS } from "./methods/mod.ts";
export type { MethodEntry } from "./methods/mod.ts";
export type { AlphaInit, MethodOptions, SearchMethod } from "./methods/method.ts";
export { betaDecay, l2Penalty, smoothActivation } from "./regularizers/mod.ts";
export type { Regularizer } from "./regularizers/mod.ts";
export { constantSchedule, linearSchedule, saSchedule } from "./regularizers/schedules.ts";
export type { Schedule, Strength } from "./regularizers/schedules.ts";
export { dirichlet, gumbel, softmax } from "./samplers/mod.ts";
export type { Sampler, SamplerContext } from "./samplers/mod.ts";

// The NAS-Bench-201 space and benchmark.
export { deriveNb201, genotypeToString, NB201_EDGES, NB201_OPS, parseGenotype } from "./spaces/nb201.ts";
export type { Nb201Op } from "./spaces/nb201.ts";
export { spaceByName } from "./spaces/mod.ts";
export { DARTS_GENOTYPES, deriveDarts, formatDartsGenotype, parseDartsGenotype } from "./spaces/darts.ts";
export type { DartsGenotype } from "./spaces/darts.ts";
export { dartsCellDiagram } from "./plots/dartsCell.ts";
export type { SearchSpace } from "./spaces/space.ts";
export { loadNb201, Nb201Table } from "./benchmarks/nb201.ts";
export type { Nb201Accuracy, Nb201Metric } from "./benchmarks/nb201.ts";
export { opSwapTable } from "./benchmarks/opSwaps.ts";

// Records of runs as frames.
export { historyFrame, readRun } from "./runs/runFolder.ts";
export type { AlphaRow, MetricColumn, MetricsRow, RunTables } from "./runs/runFolder.ts";
export { readFinishedRun } from "./runs/records.ts";
export { alphaAtEpoch, betaMargin, historyFrames, meanStdTable, paramRows } from "./runs/frames.ts";
export type { RunHistory } from "./runs/frames.ts";
export { alphaStats, top2Gaps } from "./metrics/architecture.ts";

// Figures.
export { JUPYTER_DISPLAY, plotFigure, svgFigure } from "./plots/render.ts";
export type { Figure, FigureOptions } from "./plots/render.ts";
export { alphaStatistics, betaRankAccuracy, betaTrajectories, byEpoch, cellDiagram } from "./plots/search.ts";
export type {
  BetaRankOptions,
  BetaTrajectoryOptions,
  ByEpochOptions,
  CellDiagramOptions,
  EpochFigureOptions,
  WarmupOption,
} from "./plots/search.ts";
export { METHOD_COLORS } from "./plots/scales.ts";
export { landscapeFigure } from "./plots/landscape.ts";
export { heatmapFigure } from "./plots/ablation.ts";
export type { ColorChoice } from "./plots/scales.ts";
export { svgToPng } from "./plots/png.ts";
export type { PngOptions } from "./plots/png.ts";

// Training a DARTS-space genotype from scratch (deno task train).
export { cachedTrain, train, trainConfig, trainRunName } from "./train/mod.ts";
export type { TrainConfig, TrainResult, TrainRow } from "./train/mod.ts";
export { measureDartsNetwork } from "./networks/darts.ts";

// Data.
export { ensureCifar10, loadSearchData } from "./data/searchData.ts";

registerTrainingKernels();
