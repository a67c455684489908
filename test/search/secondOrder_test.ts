import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { normal, ParamStore } from "../../src/ops/params.ts";
import { adam, type Optimizer, sgd } from "../../src/search/optimizers.ts";
import { momentumBuffersOf, secondOrderArchStep } from "../../src/search/secondOrder.ts";
import {
  archStep,
  type Batch,
  type FirstOrderStepper,
  type StepPass,
  weightStep,
} from "../../src/search/step.ts";
import { CLASSIFICATION } from "../../src/tasks/classification.ts";
import { createNb201Supernet, nb201Forward } from "../../src/supernet/nb201.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

/** An α "optimizer" that only records the gradients it is given (copies, kept past the step's tidy). */
function recorder(): Optimizer & { seen: tf.Tensor[][] } {
  const seen: tf.Tensor[][] = [];
  return {
    seen,
    lr: 1,
    step: (grads) => void seen.push(grads.map((g) => tf.keep(tf.clone(g)))),
    state: () => ({}),
    load: () => {},
    dispose: () => seen.flat().forEach((t) => t.dispose()),
  };
}

function batch(seed: number, shape: [number, number, number, number], classes: number): Batch {
  return tf.tidy(() => ({
    x: tf.randomNormal(shape, 0, 1, "float32", seed) as tf.Tensor4D,
    y: tf.tensor1d(Array.from({ length: shape[0] }, (_, i) => (i * 7 + seed) % classes), "int32"),
  }));
}

function disposeBatch(b: Batch): void {
  b.x.dispose();
  b.y.dispose();
}

/** Every value of `vars` as bytes, to compare bit for bit. */
function bits(vars: readonly tf.Tensor[]): Uint8Array[] {
  return vars.map((v) => new Uint8Array((v.dataSync() as Float32Array).slice().buffer));
}

// ---- A tiny model where the unrolled hypergradient is computable exactly (nested tf.grad) ----
//
// tfjs' nested gradients are silently incomplete for every op whose gradient reads its saved *output*
// (Exp, Softmax, LogSoftmax, Tanh, Sigmoid, …): the engine saves a clone of the output while the kernel
// runs, its tape node lands before the kernel's own, so the outer backprop never sees that the output
// depends on the inputs and drops that term (measured: for exp(x·W·a), ∂/∂a of the W-gradient came out
// -22.6 against -32.1 by central differences). The model and its reference loss are therefore built
// from an exp that saves its input and recomputes exp in its gradient, plus ops that save inputs only.

const N = 8, D = 5, H = 6, K = 3;

/** exp whose gradient reads its saved input, so that nested tf.grad differentiates through it. */
const exp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => tf.mul(dy, tf.exp(xs)) };
}) as (x: tf.Tensor) => tf.Tensor;

const softmax = (a: tf.Tensor) => tf.div(exp(a), tf.sum(exp(a), -1, true));
const tanh = (u: tf.Tensor) => tf.sub(1, tf.div(2, tf.add(exp(tf.mul(u, 2)), 1)));
const sigmoid = (u: tf.Tensor) => tf.div(1, tf.add(exp(tf.neg(u)), 1));

/** crossEntropy (tasks/classification.ts) with a logSoftmax built from the exp above: the same function. */
function referenceCrossEntropy(z: tf.Tensor2D, y: tf.Tensor): tf.Scalar {
  const logSoftmax = tf.sub(z, tf.log(tf.sum(exp(z), 1, true)));
  return tf.neg(tf.mean(tf.sum(tf.mul(logSoftmax, tf.oneHot(y as tf.Tensor1D, K)), 1))) as tf.Scalar;
}

/**
 * logits = (s0·tanh(x·W1) + s1·x·W2 + s2·sigmoid(x·W3))·V with s = softmax(α): α mixes three weight
 * paths, so ∇²_{α,w} L is non-zero and the loss is smooth (no kinks for the difference quotient).
 */
function tinyLogits(x: tf.Tensor, w: readonly tf.Tensor[], alpha: tf.Tensor): tf.Tensor2D {
  const [w1, w2, w3, v] = w;
  const s = softmax(alpha);
  const x2 = tf.reshape(x, [x.shape[0], D]);
  const h = tf.addN([
    tf.mul(tanh(tf.matMul(x2, w1)), tf.slice(s, [0], [1])),
    tf.mul(tf.matMul(x2, w2), tf.slice(s, [1], [1])),
    tf.mul(sigmoid(tf.matMul(x2, w3)), tf.slice(s, [2], [1])),
  ]);
  return tf.matMul(h, v) as tf.Tensor2D;
}

interface Tiny {
  alpha: tf.Variable;
  weights: tf.Variable[];
  buffers: tf.Tensor[];
  train: Batch;
  valid: Batch;
  dispose(): void;
}

function tiny(): Tiny {
  const store = new ParamStore(11);
  const weights = [
    store.param("w1", [D, H], normal(0.6)),
    store.param("w2", [D, H], normal(0.6)),
    store.param("w3", [D, H], normal(0.6)),
    store.param("v", [H, K], normal(0.6)),
  ];
  const alpha = new ParamStore(12).param("alpha", [3], normal(0.5));
  const buffers = weights.map((w, i) => tf.randomNormal(w.shape, 0, 0.2, "float32", 100 + i));
  const train = batch(1, [N, 1, 1, D], K);
  const valid = batch(2, [N, 1, 1, D], K);
  return {
    alpha,
    weights,
    buffers,
    train,
    valid,
    dispose() {
      store.dispose();
      alpha.dispose();
      buffers.forEach((b) => b.dispose());
      disposeBatch(train);
      disposeBatch(valid);
    },
  };
}

function tinyStepper(t: Tiny, archOpt: Optimizer): FirstOrderStepper {
  return {
    output: (x) => tinyLogits(x, t.weights, t.alpha),
    task: CLASSIFICATION,
    arch: { vars: [t.alpha], optimizer: archOpt },
    weights: { vars: t.weights, optimizer: sgd(t.weights, { lr: 0.1 }) },
  };
}

const HYPER = { xi: 0.5, momentum: 0.9, weightDecay: 0.01 };

/**
 * The exact hypergradient d/dα L_val(w − ξ(m·buf + ∇w L_train(w, α) + wd·w), α), by differentiating
 * through the inner gradient, and its two parts: ∇α L_val(w', α) at fixed w', and the exact
 * Hessian-vector product ∇α ⟨∇w' L_val(w', α), ∇w L_train(w, α)⟩ (dw' held fixed).
 */
function exactHypergradient(t: Tiny): { total: number[]; direct: number[]; hvp: number[] } {
  return tf.tidy(() => {
    const { xi, momentum, weightDecay } = HYPER;
    const w = t.weights.map((v) => tf.clone(v));
    const trainLoss = (ws: tf.Tensor[], a: tf.Tensor) =>
      referenceCrossEntropy(tinyLogits(t.train.x, ws, a), t.train.y);
    const validLoss = (ws: tf.Tensor[], a: tf.Tensor) =>
      referenceCrossEntropy(tinyLogits(t.valid.x, ws, a), t.valid.y);
    const unrolled = (a: tf.Tensor) => {
      const g = tf.grads((...ws: tf.Tensor[]) => trainLoss(ws, a))(w);
      return w.map((wi, i) =>
        tf.sub(wi, tf.mul(tf.add(tf.mul(t.buffers[i], momentum), tf.add(g[i], tf.mul(wi, weightDecay))), xi))
      );
    };
    const total = tf.grad((a) => validLoss(unrolled(a), a))(t.alpha);
    const wPrime = unrolled(t.alpha);
    const direct = tf.grad((a) => validLoss(wPrime, a))(t.alpha);
    const dW = tf.grads((...ws: tf.Tensor[]) => validLoss(ws, t.alpha))(wPrime);
    const hvp = tf.grad((a) => {
      const g = tf.grads((...ws: tf.Tensor[]) => trainLoss(ws, a))(w);
      return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, dW[i]))));
    })(t.alpha);
    return { total: values(total), direct: values(direct), hvp: values(hvp) };
  });
}

/** h(α) = L_val(w'(α), α), the unrolled validation loss, at α = `a` (for a check of the reference). */
function unrolledValidLoss(t: Tiny, a: number[]): number {
  return tf.tidy(() => {
    const { xi, momentum, weightDecay } = HYPER;
    const alpha = tf.tensor1d(a);
    const g = tf.grads((...ws: tf.Tensor[]) =>
      referenceCrossEntropy(tinyLogits(t.train.x, ws, alpha), t.train.y)
    )(
      t.weights,
    );
    const wp = t.weights.map((w, i) =>
      tf.sub(w, tf.mul(tf.add(tf.mul(t.buffers[i], momentum), tf.add(g[i], tf.mul(w, weightDecay))), xi))
    );
    return referenceCrossEntropy(tinyLogits(t.valid.x, wp, alpha), t.valid.y).dataSync()[0];
  });
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`secondOrderArchStep (${backend}, tiny model): the finite-difference hypergradient matches the exact unrolled one`, async () => {
    await onBackend(backend, () => {
      const t = tiny();
      const exact = exactHypergradient(t);
      // The three computations agree among themselves: total = direct − ξ·hvp.
      const recomposed = exact.direct.map((d, i) => d - HYPER.xi * exact.hvp[i]);
      assert.ok(relativeError(recomposed, exact.total) < 1e-5, "nested grad vs direct − ξ·hvp");
      // The reference itself against a central difference of h(α) (float32: δ = 1e-2, loose bound).
      const a0 = values(t.alpha);
      const delta = 1e-2;
      const fd = a0.map((_, i) => {
        const at = (d: number) => unrolledValidLoss(t, a0.map((v, j) => (j === i ? v + d : v)));
        return (at(delta) - at(-delta)) / (2 * delta);
      });
      const referenceErr = relativeError(fd, exact.total);
      assert.ok(referenceErr < 1e-2, `reference vs central difference in α: ${fd} vs ${exact.total}`);
      // The second-order term matters here (else the comparison would not test it).
      const share = relativeError(exact.direct, exact.total);
      assert.ok(share > 0.05, "implicit term is not negligible");

      const rec = recorder();
      const s = tinyStepper(t, rec);
      const r = secondOrderArchStep(s, t.train, t.valid, { ...HYPER, momentumBuffers: t.buffers });
      const got = values(rec.seen[0][0]);
      const totalErr = relativeError(got, exact.total);
      // The implicit part alone, recovered from the step's gradient: (direct − got) / ξ.
      const implicit = got.map((g, i) => (exact.direct[i] - g) / HYPER.xi);
      const implicitErr = relativeError(implicit, exact.hvp);
      console.log(
        `  ${backend}: relative error of the α gradient ${totalErr.toExponential(2)}, ` +
          `of its finite-difference Hessian-vector product ${implicitErr.toExponential(2)} ` +
          `(the reference vs a central difference of h(α): ${referenceErr.toExponential(2)}; ` +
          `first-order vs unrolled α gradient: ${share.toFixed(2)} relative difference)`,
      );
      // float32, ε·‖dw'‖ = 0.01: the central difference's truncation error ~ 0.01²·|f'''|/6 and its
      // rounding error ~ 1e-7·|∇α L_train| / 0.02 are both ~1e-5 relative; measured 2–3e-5 (cpu, wasm).
      assert.ok(totalErr < 1e-4, `α gradient relative error ${totalErr}`);
      assert.ok(implicitErr < 2e-4, `Hessian-vector product relative error ${implicitErr}`);

      // The reported loss is the validation loss at w'.
      const lossAtWPrime = unrolledValidLoss(t, a0);
      assert.ok(Math.abs(r.loss - lossAtWPrime) < 1e-5 * Math.abs(lossAtWPrime), `loss ${r.loss} at w'`);
      assert.equal(r.count, N);
      s.weights.optimizer.dispose();
      rec.dispose();
      t.dispose();
    });
  });
}

Deno.test("secondOrderArchStep (cpu, tiny model): without momentum buffers the virtual step has no momentum term", async () => {
  await onBackend("cpu", () => {
    const t = tiny();
    const withZeros = recorder();
    const zeros = t.buffers.map((b) => tf.zerosLike(b));
    secondOrderArchStep(tinyStepper(t, withZeros), t.train, t.valid, { ...HYPER, momentumBuffers: zeros });
    const absent = recorder();
    secondOrderArchStep(tinyStepper(t, absent), t.train, t.valid, HYPER);
    assert.deepEqual(bits(absent.seen[0]), bits(withZeros.seen[0]));
    zeros.forEach((z) => z.dispose());
    withZeros.dispose();
    absent.dispose();
    t.dispose();
  });
});

// ---- The NB201 supernet (tiny: C = 4, one cell per stage, 8x8 input, batch 4) on wasm ----

interface Nb201Setup {
  stepper: FirstOrderStepper;
  alpha: tf.Variable;
  runningStats: tf.Variable[];
  train: Batch;
  valid: Batch;
  /** The passes the model was run for, and the running statistics as each forward began. */
  calls: { pass: StepPass; statsBefore: Uint8Array[] }[];
  dispose(): void;
}

function nb201(archOpt?: Optimizer, regularizer = false): Nb201Setup {
  const store = new ParamStore(1);
  const net = createNb201Supernet(store, { channels: 4, cellsPerStage: 1 });
  const alphaStore = new ParamStore(2);
  const alpha = alphaStore.param("alpha", [6, 5], normal(0.1));
  const runningStats = store.entries().map(([, v]) => v).filter((v) => !v.trainable);
  const calls: Nb201Setup["calls"] = [];
  const wOpt = sgd(store.trainable, { lr: 0.025, momentum: 0.9, weightDecay: 3e-4 });
  const aOpt = archOpt ?? adam([alpha], { lr: 3e-4, betas: [0.5, 0.999], weightDecay: 1e-3 });
  const stepper: FirstOrderStepper = {
    task: CLASSIFICATION,
    output: (x, pass) => {
      calls.push({ pass, statsBefore: bits(runningStats) });
      return nb201Forward(net, x, tf.softmax(alpha) as tf.Tensor2D, "train");
    },
    arch: {
      vars: [alpha],
      optimizer: aOpt,
      regularizer: regularizer ? () => tf.mul(tf.sum(tf.square(alpha)), 0.5) as tf.Scalar : undefined,
    },
    weights: { vars: store.trainable, optimizer: wOpt, gradClip: 5 },
  };
  const train = batch(3, [4, 8, 8, 3], 10);
  const valid = batch(4, [4, 8, 8, 3], 10);
  return {
    stepper,
    alpha,
    runningStats,
    train,
    valid,
    calls,
    dispose() {
      wOpt.dispose();
      aOpt.dispose();
      store.dispose();
      alphaStore.dispose();
      disposeBatch(train);
      disposeBatch(valid);
    },
  };
}

const DARTS = { momentum: 0.9, weightDecay: 3e-4 };

Deno.test("secondOrderArchStep (wasm, NB201): ξ = 0 gives exactly the first-order α gradient and loss", async () => {
  await onBackend("wasm", () => {
    for (const regularizer of [false, true]) {
      const first = recorder();
      const second = recorder();
      const a = nb201(first, regularizer);
      const b = nb201(second, regularizer);
      weightStep(a.stepper, a.train); // momentum buffers non-zero: ξ = 0 must still ignore them
      weightStep(b.stepper, b.train);
      const r1 = archStep(a.stepper, a.valid);
      const buffers = momentumBuffersOf(b.stepper.weights.optimizer);
      const r2 = secondOrderArchStep(b.stepper, b.train, b.valid, {
        xi: 0,
        ...DARTS,
        momentumBuffers: buffers,
      });
      assert.deepEqual(bits(second.seen[0]), bits(first.seen[0]), `α gradient (regularizer ${regularizer})`);
      assert.deepEqual(r2, r1);
      a.dispose();
      b.dispose();
    }
  });
});

Deno.test("secondOrderArchStep (wasm, NB201): weights bit-identical after the step, α moved, buffers untouched", async () => {
  await onBackend("wasm", () => {
    const n = nb201();
    weightStep(n.stepper, n.train);
    const buffers = momentumBuffersOf(n.stepper.weights.optimizer)!;
    assert.equal(buffers.length, n.stepper.weights.vars.length);
    assert.ok(values(buffers[0]).some((v) => v !== 0), "momentum buffers started");
    const weightsBefore = bits(n.stepper.weights.vars);
    const buffersBefore = bits(buffers);
    const alphaBefore = values(n.alpha);
    const r = secondOrderArchStep(n.stepper, n.train, n.valid, {
      xi: 0.025,
      ...DARTS,
      momentumBuffers: buffers,
    });
    assert.deepEqual(bits(n.stepper.weights.vars), weightsBefore, "weights restored bit for bit");
    assert.deepEqual(bits(buffers), buffersBefore, "momentum buffers only read");
    assert.ok(Number.isFinite(r.loss) && r.count === 4 && r.scoreSum >= 0 && r.scoreSum <= 400);
    const alphaAfter = values(n.alpha);
    assert.ok(alphaAfter.every(Number.isFinite));
    assert.ok(alphaAfter.some((v, i) => v !== alphaBefore[i]), "α stepped");
    n.dispose();
  });
});

Deno.test("secondOrderArchStep (wasm, NB201): forwards train·w, valid·w', train·(w ± ε·dw'); the w' forward leaves running stats alone when given them", async () => {
  await onBackend("wasm", () => {
    for (const given of [true, false]) {
      const n = nb201();
      const initial = bits(n.runningStats);
      secondOrderArchStep(n.stepper, n.train, n.valid, {
        xi: 0.025,
        ...DARTS,
        runningStats: given ? n.runningStats : undefined,
      });
      assert.deepEqual(n.calls.map((c) => c.pass), ["weights", "alpha", "weights", "weights"]);
      assert.deepEqual(n.calls[0].statsBefore, initial);
      assert.notDeepEqual(n.calls[1].statsBefore, initial, "the first training forward updated them");
      if (given) {
        assert.deepEqual(n.calls[2].statsBefore, n.calls[1].statsBefore, "restored after the w' forward");
      } else assert.notDeepEqual(n.calls[2].statsBefore, n.calls[1].statsBefore, "updated by the w' forward");
      assert.notDeepEqual(bits(n.runningStats), n.calls[3].statsBefore, "the last forward updated them");
      n.dispose();
    }
  });
});

Deno.test("secondOrderArchStep (wasm, NB201, and cpu tiny model): no tensor leaks", async () => {
  await onBackend("wasm", () => {
    const n = nb201(undefined, true);
    weightStep(n.stepper, n.train);
    const o = { xi: 0.025, ...DARTS, runningStats: n.runningStats };
    secondOrderArchStep(n.stepper, n.train, n.valid, {
      ...o,
      momentumBuffers: momentumBuffersOf(n.stepper.weights.optimizer),
    });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      secondOrderArchStep(n.stepper, n.train, n.valid, {
        ...o,
        momentumBuffers: momentumBuffersOf(n.stepper.weights.optimizer),
      });
      weightStep(n.stepper, n.train);
    }
    assert.equal(tf.memory().numTensors, before);
    n.dispose();
  });
  await onBackend("cpu", () => {
    const t = tiny();
    const s = tinyStepper(t, adam([t.alpha], { lr: 0.01 }));
    secondOrderArchStep(s, t.train, t.valid, { ...HYPER, momentumBuffers: t.buffers });
    const before = tf.memory().numTensors;
    secondOrderArchStep(s, t.train, t.valid, { ...HYPER, momentumBuffers: t.buffers });
    assert.equal(tf.memory().numTensors, before);
    s.arch.optimizer.dispose();
    s.weights.optimizer.dispose();
    t.dispose();
  });
});

Deno.test("secondOrderArchStep: an exception mid-step still restores the weights and leaks nothing", async () => {
  await onBackend("cpu", () => {
    const t = tiny();
    const s = tinyStepper(t, adam([t.alpha], { lr: 0.01 }));
    let calls = 0;
    const failing: FirstOrderStepper = {
      ...s,
      output: (x, pass) => {
        if (++calls === 3) throw new Error("boom"); // in the first shifted forward, w = w + ε·dw'
        return s.output(x, pass);
      },
    };
    const before = bits(t.weights);
    const tensors = tf.memory().numTensors;
    assert.throws(() => secondOrderArchStep(failing, t.train, t.valid, HYPER), /boom/);
    assert.deepEqual(bits(t.weights), before);
    assert.equal(tf.memory().numTensors, tensors);
    s.arch.optimizer.dispose();
    s.weights.optimizer.dispose();
    t.dispose();
  });
});

Deno.test("momentumBuffersOf: sgd's buffers (its own variables), undefined for Adam, nothing leaked", async () => {
  await onBackend("cpu", () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const q = tf.variable(tf.tensor1d([3]));
    const s = sgd([p, q], { lr: 0.1, momentum: 0.9 });
    const a = adam([p, q], { lr: 0.1 });
    const before = tf.memory().numTensors;
    const bufs = momentumBuffersOf(s)!;
    assert.equal(bufs.length, 2);
    assert.deepEqual(values(bufs[0]), [0, 0]);
    assert.equal(momentumBuffersOf(a), undefined);
    assert.equal(tf.memory().numTensors, before);
    tf.tidy(() => s.step([tf.tensor1d([1, 1]), tf.tensor1d([2])]));
    assert.deepEqual(values(momentumBuffersOf(s)![1]), [2]);
    s.dispose();
    a.dispose();
    p.dispose();
    q.dispose();
  });
});
