import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { setJsKernelsEnabled } from "../../src/backend/kernels/jsKernel.ts";
import { adam, clipByGlobalNorm, sgd } from "../../src/search/optimizers.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

Deno.test("SGD matches torch.optim.SGD by hand: momentum, weight decay, Nesterov", async () => {
  await onBackend("cpu", () => {
    for (const nesterov of [false, true]) {
      const p = tf.variable(tf.tensor1d([1, -2]));
      const opt = sgd([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov });
      const g = tf.tensor1d([0.5, 0.25]);
      // step 1: d = g + wd·p; buf = d; update = nesterov ? d + m·buf : buf
      const d1 = [0.5 + 0.01 * 1, 0.25 + 0.01 * -2];
      const u1 = nesterov ? d1.map((v) => v + 0.9 * v) : d1;
      const p1 = [1 - 0.1 * u1[0], -2 - 0.1 * u1[1]];
      opt.step([g]);
      assert.ok(relativeError(values(p), p1) < 1e-6, `step 1 (nesterov ${nesterov})`);
      // step 2: buf = m·buf + d
      const d2 = [0.5 + 0.01 * p1[0], 0.25 + 0.01 * p1[1]];
      const b2 = [0.9 * d1[0] + d2[0], 0.9 * d1[1] + d2[1]];
      const u2 = nesterov ? [d2[0] + 0.9 * b2[0], d2[1] + 0.9 * b2[1]] : b2;
      opt.step([g]);
      assert.ok(
        relativeError(values(p), [p1[0] - 0.1 * u2[0], p1[1] - 0.1 * u2[1]]) < 1e-6,
        `step 2 (nesterov ${nesterov})`,
      );
    }
  });
});

Deno.test("Adam matches torch.optim.Adam by hand, with L2 weight decay and ε outside the square root", async () => {
  await onBackend("cpu", () => {
    const p = tf.variable(tf.tensor1d([0.5]));
    const opt = adam([p], { lr: 3e-4, betas: [0.5, 0.999], weightDecay: 1e-3 });
    let x = 0.5;
    let m = 0;
    let v = 0;
    for (let t = 1; t <= 3; t++) {
      const g = 0.2 + 1e-3 * x;
      m = 0.5 * m + 0.5 * g;
      v = 0.999 * v + 0.001 * g * g;
      x -= (3e-4 / (1 - 0.5 ** t)) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
      opt.step([tf.tensor1d([0.2])]);
      assert.ok(relativeError(values(p), [x]) < 1e-6, `step ${t}: ${values(p)} vs ${x}`);
    }
  });
});

Deno.test("optimizer state round-trips: a restored optimizer continues exactly", async () => {
  await onBackend("cpu", () => {
    const run = (restoreAt?: number) => {
      const p = tf.variable(tf.tensor1d([1, 2, 3]));
      let opt = adam([p], { lr: 0.01 });
      for (let i = 0; i < 4; i++) {
        if (i === restoreAt) {
          const state = opt.state();
          const saved = Object.fromEntries(Object.entries(state).map(([k, t]) => [k, t.clone()]));
          opt = adam([p], { lr: 0.01 });
          opt.load(saved);
        }
        opt.step([tf.tensor1d([0.1 * i, -0.2, 0.3])]);
      }
      return values(p);
    };
    assert.deepEqual(run(2), run());
  });
});

Deno.test("global-norm clipping: scales to the max norm like clip_grad_norm_, leaves small gradients alone", async () => {
  await onBackend("cpu", () => {
    const { grads, norm } = clipByGlobalNorm([tf.tensor1d([3, 0]), tf.tensor1d([0, 4])], 1);
    assert.ok(relativeError(values(norm), [5]) < 1e-6);
    const scale = 1 / (5 + 1e-6);
    assert.ok(relativeError([...values(grads[0]), ...values(grads[1])], [3 * scale, 0, 0, 4 * scale]) < 1e-6);
    const small = clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 5);
    assert.deepEqual(values(small.grads[0]).map((v) => Math.round(v * 1e6) / 1e6), [0.3, 0.4]);
  });
});

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`SGD (${backend}): the fused clip+update kernel equals clipByGlobalNorm + the tf-op update`, async () => {
    await onBackend(backend, () => {
      const run = (fused: boolean, maxGradNorm: number | undefined) => {
        setJsKernelsEnabled(fused);
        const ps = [
          tf.variable(tf.tensor2d([[1, -2], [3, 0.5]])),
          tf.variable(tf.tensor1d([0.1, 0.2, -0.3])),
        ];
        const opt = sgd(ps, { lr: 0.05, momentum: 0.9, weightDecay: 3e-4, nesterov: true });
        for (let i = 1; i <= 3; i++) {
          opt.step([tf.tensor2d([[i, 2], [-1, 4]]), tf.tensor1d([0.5 * i, -3, 1])], { maxGradNorm });
        }
        setJsKernelsEnabled(true);
        return ps.flatMap(values);
      };
      for (const clip of [undefined, 5, 1e-3]) {
        assert.ok(relativeError(run(true, clip), run(false, clip)) < 1e-6, `clip ${clip}`);
      }
      assert.ok(relativeError(run(true, 1e-3), run(true, undefined)) > 1e-3, "clipping changes the result");
    });
  });
}
