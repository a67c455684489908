/**
 * Named parameter stores and seeded initialisers.
 *
 * A search keeps network weights and architecture parameters in two different stores, so each
 * optimizer, checkpoint and regularizer sees exactly what it owns. Every tensor is named (e.g.
 * `cells.3.edge.2<-0.nor_conv_3x3.conv.filter`) and initialised from (store seed, name): the same
 * seed gives the same values whatever the creation order or the backend.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";

/** Training mode (batch statistics, running statistics updated) or evaluation mode. */
export type Mode = "train" | "eval";

/** Makes the initial value of a parameter, given a seed derived from the store seed and its name. */
export type Initializer = (shape: number[], seed: number) => tf.Tensor;

/** FNV-1a: a stable 32-bit hash of a parameter name, mixed with the store seed. */
export function nameSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** U(-bound, bound). */
export function uniform(bound: number): Initializer {
  return (shape, seed) => tf.randomUniform(shape, -bound, bound, "float32", seed);
}

/**
 * PyTorch's default for conv and linear layers (kaiming_uniform with a = √5): U(±1/√fanIn).
 * Used for weights and biases alike, as torch.nn does, so our supernets start like the reference code.
 */
export function torchDefault(fanIn: number): Initializer {
  return uniform(1 / Math.sqrt(fanIn));
}

/** A constant. */
export function constant(value: number): Initializer {
  return (shape) => tf.fill(shape, value);
}

/** scale · N(0, 1), e.g. the 1e-3·randn of DARTS' α. */
export function normal(scale: number): Initializer {
  return (shape, seed) => tf.randomNormal(shape, 0, scale, "float32", seed);
}

/** A store of named tfjs variables: trainable parameters, and buffers (BN running statistics). */
export class ParamStore {
  readonly #params = new Map<string, tf.Variable>();
  readonly #buffers = new Map<string, tf.Variable>();

  /** @param seed seeds every initialiser of this store, together with the parameter's name. */
  constructor(readonly seed = 0) {}

  #create(
    map: Map<string, tf.Variable>,
    name: string,
    shape: number[],
    init: Initializer,
    trainable: boolean,
  ): tf.Variable {
    if (this.#params.has(name) || this.#buffers.has(name)) {
      throw new Error(`parameter "${name}" is defined twice`);
    }
    const value = tf.tidy(() => init(shape, nameSeed(this.seed, name)));
    const v = tf.variable(value, trainable);
    value.dispose();
    map.set(name, v);
    return v;
  }

  /** A new trainable parameter. */
  param(name: string, shape: number[], init: Initializer): tf.Variable {
    return this.#create(this.#params, name, shape, init, true);
  }

  /** A new non-trainable buffer (e.g. a running mean). */
  buffer(name: string, shape: number[], init: Initializer): tf.Variable {
    return this.#create(this.#buffers, name, shape, init, false);
  }

  /** The trainable parameters, in creation order. */
  get trainable(): tf.Variable[] {
    return [...this.#params.values()];
  }

  /** Every parameter and buffer by name (parameters first), for checkpoints. */
  entries(): [string, tf.Variable][] {
    return [...this.#params.entries(), ...this.#buffers.entries()];
  }

  /** The number of scalar parameters (buffers excluded). */
  get size(): number {
    return this.trainable.reduce((n, v) => n + v.size, 0);
  }

  /** Free every variable of the store. */
  dispose(): void {
    for (const [, v] of this.entries()) v.dispose();
    this.#params.clear();
    this.#buffers.clear();
  }
}
