/**
 * The paper's FLOPs constraint for super-resolution (eq. 18): per searched layer, the expected cost of its
 * candidates under β = softmax(α), normalized by their total, L = w · Σ_layers Σ_i β_i c_i / Σ_i c_i, with
 * c_i candidate i's FLOPs at the paper's sizes (64 channels in the first block, 48 after, a 1280×720
 * input). Unlike DLSR's released parameter loss (computed on detached values, SPECS §8b), it is
 * differentiable: ∂L/∂α_j = w · β_j (c_j − Σ_i β_i c_i) / Σ_i c_i, which lowers the α of candidates
 * costlier than the layer's expected cost.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import type { Regularizer } from "./regularizer.ts";
import { asSchedule, type Strength, strengthAt } from "./schedules.ts";

/** Options of the FLOPs regularizer. */
export interface FlopsRegularizerOptions {
  /** `costs[layer][i]`: FLOPs (or multiply-adds) of candidate i of each searched layer, α's row order. */
  costs: readonly (readonly number[])[];
  /** The weight w (default 1; a number or a schedule of the 0-based epoch). */
  weight?: Strength;
}

/**
 * The FLOPs regularizer over α [layers, candidates].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs";
 * import { flopsRegularizer } from "./flops.ts";
 * await tf.setBackend("cpu");
 * const r = flopsRegularizer({ costs: [[1, 2, 3]] });
 * const alpha = tf.tensor2d([[0, Math.log(2), Math.log(3)]]); // β = 1/6, 2/6, 3/6
 * console.assert(Math.abs(r.loss(alpha, 0).dataSync()[0] - 14 / 36) < 1e-6);
 * ```
 */
export function flopsRegularizer(o: FlopsRegularizerOptions): Regularizer {
  const who = "flops regularizer";
  const schedule = asSchedule(who, o.weight ?? 1);
  const { costs } = o;
  if (!costs?.length) {
    throw new Error(`${who}: costs must list each searched layer's candidate costs`);
  }
  const width = costs[0].length;
  costs.forEach((row, l) => {
    if (row.length !== width) {
      throw new Error(`${who}: layer ${l} has ${row.length} candidate costs, layer 0 has ${width}`);
    }
    if (row.some((c) => !(c >= 0) || !Number.isFinite(c)) || row.every((c) => c === 0)) {
      throw new Error(`${who}: layer ${l}'s costs must be finite, non-negative and not all 0, got [${row}]`);
    }
  });
  // Each row divided by its total once, so the loss is Σ β · (c / Σc).
  const normalized = costs.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((c) => c / total);
  });
  return {
    name: "flops",
    loss: (alpha, epoch) => {
      if (alpha.shape[0] !== costs.length || alpha.shape[1] !== width) {
        throw new Error(
          `${who}: α is [${alpha.shape}], the costs are [${costs.length}, ${width}] (one row per searched layer)`,
        );
      }
      const share = tf.tensor2d(normalized as number[][]);
      return tf.mul(tf.sum(tf.mul(tf.softmax(alpha), share)), strengthAt(who, schedule, epoch)) as tf.Scalar;
    },
  };
}
