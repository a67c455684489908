/**
 * Analyses of a search beyond its records: the loss landscape over α around a searched architecture
 * (the paper's Fig. 5) with a flatness number, and the dominant Hessian eigenvalue of a loss in α
 * (RobustDARTS' signal; `config.hessian` records it per epoch).
 * @module
 */
export {
  cachedLandscape,
  type CachedLandscapeOptions,
  landscapeFileName,
  type LandscapeGrid,
  type LandscapeRecord,
} from "./cachedLandscape.ts";
export { dominantHessianEigenvalue, type HessianEigen, type HessianEigenOptions } from "./hessian.ts";
export {
  archLandscape,
  flatness,
  type Landscape,
  type LandscapeOptions,
  normalizedDirection,
  type RestoredSearch,
  restoreSearch,
} from "./landscape.ts";
export {
  FIG9_SETTINGS,
  type SaShapeOptions,
  type SaShapeSetting,
  smoothActivationShapes,
} from "./saShapes.ts";
