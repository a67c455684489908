/**
 * Regularizers of α, added to the validation loss of the α step: SA-DARTS' Smooth Activation,
 * Beta-DARTS' Beta-Decay, an explicit L2 penalty, and their epoch schedules.
 * @module
 */
export * from "./regularizer.ts";
export * from "./schedules.ts";
export * from "./smoothActivation.ts";
export * from "./beta.ts";
export * from "./l2.ts";
export * from "./flops.ts";
