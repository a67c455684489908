import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import {
  batchNormAffineBackwardKernel,
  batchNormAffineKernel,
  batchNormBackwardKernel,
  batchNormForwardKernel,
} from "../../src/backend/kernels/batchNormKernels.ts";
import { runJsKernel, setJsKernelsEnabled } from "../../src/backend/kernels/jsKernel.ts";
import { convFilterGradKernel } from "../../src/backend/kernels/filterKernels.ts";
import { mixedSumGradKernel, mixedSumKernel } from "../../src/backend/kernels/mixedSumKernels.ts";
import { avgPool } from "../../src/ops/pool.ts";
import { maxPoolGradKernel } from "../../src/backend/kernels/poolKernels.ts";
import { setSimdKernelsEnabled, simdKernels } from "../../src/backend/kernels/simd/mod.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

/** Outputs of `run` on wasm with the SIMD kernels, on wasm with the JS ones, and on cpu. */
async function threeWays(run: () => tf.Tensor[]): Promise<number[][][]> {
  const results: number[][][] = [];
  for (const [backend, simd] of [["wasm", true], ["wasm", false], ["cpu", true]] as const) {
    setSimdKernelsEnabled(simd);
    results.push(await onBackend(backend, () => tf.tidy(run).map(values)));
  }
  setSimdKernelsEnabled(true);
  return results;
}

function assertAgree(results: number[][][], what: string, tolerance = 1e-5) {
  const [simd, js, cpu] = results;
  simd.forEach((out, i) => {
    assert.ok(relativeError(out, js[i]) < tolerance, `${what}: output ${i} SIMD vs JS`);
    assert.ok(relativeError(out, cpu[i]) < tolerance, `${what}: output ${i} SIMD vs cpu`);
  });
}

Deno.test("SIMD kernels load into the wasm backend's heap (so the tests below compare two implementations)", async () => {
  await onBackend("wasm", () => {
    const simd = simdKernels(tf.backend());
    assert.ok(simd, "simdKernels() returned null on wasm");
    // Its stack comes from tfjs' malloc (8-byte aligned); the C code needs 16 (seen: wrong BN statistics).
    assert.equal(simd.stackPointer() % 16, 0);
  });
});

// Channel counts that exercise the 4-lane blocks and the scalar remainder; odd row counts.
for (const [rows, c] of [[7, 3], [5, 4], [9, 5], [33, 8], [3, 13], [17, 64]]) {
  Deno.test(`batch-norm kernels agree: SIMD, JS and cpu, [${rows}, ${c}]`, async () => {
    const results = await threeWays(() => {
      const x = tf.add(tf.randomNormal([rows, 1, 1, c], 0, 2, "float32", 1), 3);
      const rm = tf.randomNormal([c], 0, 1, "float32", 2);
      const rv = tf.randomUniform([c], 0.5, 2, "float32", 3);
      const tracked = runJsKernel(batchNormForwardKernel, [x, rm, rv], { eps: 1e-5, momentum: 0.1 });
      const shift = tf.randomNormal([c], 0, 1, "float32", 7);
      const shifted = runJsKernel(batchNormForwardKernel, [x, rm, rv, shift], { eps: 1e-5, momentum: 0.1 });
      // The shift moves only the running mean, by momentum · shift.
      const expectedMean = tf.add(tracked[2], tf.mul(shift, 0.1));
      const [xhat, invStd] = runJsKernel(batchNormForwardKernel, [x], { eps: 1e-5, momentum: 0.1 });
      const dy = tf.randomNormal([rows, 1, 1, c], 0, 1, "float32", 4);
      const backward = runJsKernel(batchNormBackwardKernel, [dy, xhat, invStd], {});
      return [...tracked, xhat, invStd, ...backward, shifted[2], expectedMean, shifted[0], shifted[3]];
    });
    assert.equal(results[0].length, 11);
    for (const r of results) {
      assert.ok(relativeError(r[7], r[8]) < 1e-5, "shifted running mean = mean + momentum·shift");
      assert.deepEqual(r[9], r[0], "the shift leaves x̂ alone");
      assert.deepEqual(r[10], r[3], "and the running variance");
    }
    assertAgree(results, "batch norm");
  });
}

for (const [rows, c] of [[7, 3], [33, 8], [17, 64]]) {
  Deno.test(`affine batch-norm kernels agree: SIMD, JS and cpu, and equal γ·x̂ + β and its gradients, [${rows}, ${c}]`, async () => {
    const results = await threeWays(() => {
      const x = tf.add(tf.randomNormal([rows, 1, 1, c], 0, 2, "float32", 1), 3);
      const gamma = tf.randomUniform([c], 0.5, 1.5, "float32", 5);
      const beta = tf.randomNormal([c], 0, 1, "float32", 6);
      const dy = tf.randomNormal([rows, 1, 1, c], 0, 1, "float32", 4);
      const [xhat, invStd] = runJsKernel(batchNormForwardKernel, [x], { eps: 1e-5, momentum: 0.1 });
      const [y] = runJsKernel(batchNormAffineKernel, [xhat, gamma, beta], {});
      const grads = runJsKernel(batchNormAffineBackwardKernel, [dy, xhat, invStd, gamma], {});
      // The composed reference: γ·x̂ + β; dβ = Σ dy, dγ = Σ dy·x̂, dx = the plain backward of γ·dy.
      const [plain] = runJsKernel(batchNormBackwardKernel, [tf.mul(dy, gamma), xhat, invStd], {});
      const sums = [tf.sum(tf.mul(dy, xhat), [0, 1, 2]), tf.sum(dy, [0, 1, 2])];
      return [y, tf.add(tf.mul(xhat, gamma), beta), ...grads, plain, ...sums];
    });
    for (const [y, yRef, dx, dGamma, dBeta, dxRef, dGammaRef, dBetaRef] of results) {
      assert.ok(relativeError(y, yRef) < 1e-6, "γ·x̂ + β");
      assert.ok(relativeError(dx, dxRef) < 1e-5, "dx");
      assert.ok(relativeError(dGamma, dGammaRef) < 1e-5, "dγ");
      assert.ok(relativeError(dBeta, dBetaRef) < 1e-5, "dβ");
    }
    assertAgree(results, "affine batch norm");
  });
}

for (const terms of [1, 3, 4, 5, 9]) {
  Deno.test(`mixed-sum kernels agree: SIMD, JS and cpu, ${terms} terms over 4·3·3·5 values`, async () => {
    const results = await threeWays(() => {
      const w = tf.randomNormal([12], 0, 1, "float32", 5);
      const ts = Array.from(
        { length: terms },
        (_, k) => tf.randomNormal([4, 3, 3, 5], 0, 1, "float32", 10 + k),
      );
      const index = ts.map((_, k) => (k * 5) % 12); // some weights unused, none shared
      const dy = tf.randomNormal([4, 3, 3, 5], 0, 1, "float32", 6);
      return [
        ...runJsKernel(mixedSumKernel, [w, ...ts], { index }),
        ...runJsKernel(mixedSumGradKernel, [dy, w, ...ts], { index }),
      ];
    });
    assertAgree(results, "mixed sum");
  });
}

Deno.test("conv input gradient: the JS filter re-indexing equals the gather path, strides 1-2, dilations 1-2", async () => {
  await onBackend("wasm", () => {
    for (const [stride, dilation, pad] of [[1, 1, 1], [2, 1, 1], [1, 2, 2], [2, 1, 0]] as const) {
      const x = tf.randomNormal([2, 7, 6, 3], 0, 1, "float32", 20) as tf.Tensor4D;
      const f = tf.randomNormal([3, 3, 3, 5], 0, 1, "float32", 21) as tf.Tensor4D;
      const grad = () =>
        values(
          tf.grad((a: tf.Tensor) =>
            tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, f, stride, pad, "NHWC", dilation)))
          )(x),
        );
      const reindexed = grad();
      setJsKernelsEnabled(false);
      const gathered = grad();
      setJsKernelsEnabled(true);
      assert.ok(
        relativeError(reindexed, gathered) < 1e-5,
        `stride ${stride} dilation ${dilation} pad ${pad}`,
      );
    }
  });
});

for (const [ci, co, k, pad] of [[3, 4, 3, 1], [5, 8, 3, 0], [2, 16, 1, 0], [4, 20, 5, 2]]) {
  Deno.test(`conv filter-gradient kernel agrees: SIMD, JS and cpu, ci ${ci} co ${co} k ${k} pad ${pad}`, async () => {
    const results = await threeWays(() => {
      const x = tf.randomNormal([2, 6, 7, ci], 0, 1, "float32", 30);
      const ho = 6 + 2 * pad - k + 1;
      const wo = 7 + 2 * pad - k + 1;
      const dy = tf.randomNormal([2, ho, wo, co], 0, 1, "float32", 31);
      return runJsKernel(convFilterGradKernel, [x, dy], { kh: k, kw: k, padTop: pad, padLeft: pad });
    });
    assertAgree(results, "filter gradient", 1e-5);
  });
}

for (const [h, w, c] of [[5, 7, 4], [1, 3, 8], [6, 6, 3], [4, 5, 2], [3, 3, 1]]) {
  Deno.test(`3x3 average pooling kernel agrees with the depthwise formulation, values and gradient, [${h}, ${w}, ${c}]`, async () => {
    const results = await threeWays(() => {
      const x = tf.randomNormal([2, h, w, c], 0, 1, "float32", 40) as tf.Tensor4D;
      const r = tf.randomNormal([2, h, w, c], 0, 1, "float32", 41);
      const f = (v: tf.Tensor) => tf.sum(tf.mul(avgPool(v as tf.Tensor4D), r));
      const fused = [avgPool(x), tf.grad(f)(x)];
      setJsKernelsEnabled(false); // the depthwise-conv path
      const reference = [avgPool(x), tf.grad(f)(x)];
      setJsKernelsEnabled(true);
      return [...fused, ...reference];
    });
    for (const r of results) {
      assert.ok(relativeError(r[0], r[2]) < 1e-5, "values");
      assert.ok(relativeError(r[1], r[3]) < 1e-5, "gradient");
    }
    assertAgree(results, "average pooling");
  });
}

// Windows 2 (stride 2) and 3 (strides 1 and 2, padding 0 and 1), channels on the 4-lane blocks and the
// scalar remainder; values on a coarse grid so windows tie, and a NaN (the NaN takes the gradient).
for (const [kernel, stride, padding, c] of [[3, 1, 1, 6], [3, 2, 1, 8], [2, 2, 0, 5], [3, 1, 0, 4]]) {
  Deno.test(`max-pool gradient kernels agree bit for bit: SIMD, JS and cpu, ${kernel}x${kernel} stride ${stride} padding ${padding}, c=${c}`, async () => {
    const results = await threeWays(() => {
      const x = tf.round(tf.randomNormal([2, 7, 6, c], 0, 1.5, "float32", 5));
      const withNaN = tf.where(tf.equal(tf.range(0, x.size).reshape(x.shape), 37), NaN, x) as tf.Tensor4D;
      const [, oh, ow] = tf.maxPool(withNaN, kernel, stride, padding).shape;
      const dy = tf.randomNormal([2, oh, ow, c], 0, 1, "float32", 6);
      return runJsKernel(maxPoolGradKernel, [dy, withNaN], { kernel, stride, padding });
    });
    const [simd, js, cpu] = results.map((r) => r[0]);
    assert.deepEqual(simd, js, "SIMD vs JS");
    assert.deepEqual(simd, cpu, "SIMD vs cpu");
    assert.ok(simd.some((v) => v !== 0) && simd.filter((v) => v !== 0).length < simd.length / 2);
  });
}
