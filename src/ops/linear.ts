/**
 * A fully connected layer with torch.nn.Linear's initialisation.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";
import { type ParamStore, torchDefault } from "./params.ts";

/** The variables of a linear layer. */
export interface LinearParams {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** Create a linear layer cin → cout with bias. */
export function linearParams(store: ParamStore, name: string, cin: number, cout: number): LinearParams {
  return {
    kernel: store.param(`${name}.kernel`, [cin, cout], torchDefault(cin)),
    bias: store.param(`${name}.bias`, [cout], torchDefault(cin)),
  };
}

/** x [batch, cin] → [batch, cout]. */
export function linear(p: LinearParams, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, p.kernel as tf.Tensor2D), p.bias);
}
