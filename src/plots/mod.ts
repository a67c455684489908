/**
 * Figures: Observable Plot over polars frames, rendered to SVG (linkedom's DOM), shown inline in Jupyter.
 * @module
 */
export * from "./render.ts";
export * from "./search.ts";
export * from "./scales.ts";
export * from "./png.ts";
export * from "./landscape.ts";
export * from "./ablation.ts";
export * from "./dartsCell.ts";
