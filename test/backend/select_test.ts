import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { BackendError, parseBackendName, selectBackend } from "../../src/backend/select.ts";

Deno.test("selectBackend: unknown names fail with the list of valid ones", async () => {
  await assert.rejects(
    () => selectBackend("cuda"),
    (e: Error) =>
      e instanceof BackendError &&
      /unknown backend "cuda": choose one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu/.test(
        e.message,
      ),
  );
  assert.throws(() => parseBackendName("WASM"), /unknown backend "WASM"/);
});

Deno.test("selectBackend: tfjs-node backends that are not installed say which package and how to install it", async () => {
  for (
    const [name, pkg] of [["tensorflow", "@tensorflow/tfjs-node"], [
      "tensorflow-gpu",
      "@tensorflow/tfjs-node-gpu",
    ]]
  ) {
    await assert.rejects(() => selectBackend(name), (e: Error) => {
      assert.ok(e instanceof BackendError, "a BackendError, not a stack trace from tfjs");
      assert.match(e.message, new RegExp(`needs ${pkg}, which is not installed`));
      assert.match(e.message, /deno install --allow-scripts/);
      assert.match(e.message, /--backend wasm/);
      return true;
    });
  }
});

Deno.test("selectBackend: wasm and cpu start, say what runs, and auto picks one", async () => {
  const wasm = await selectBackend("wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.match(wasm.description, /^wasm \(XNNPACK, SIMD, \d+ threads?\)$/);
  const cpu = await selectBackend("cpu");
  assert.equal(cpu.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  const auto = await selectBackend("auto");
  assert.ok(["tensorflow-gpu", "tensorflow", "webgpu", "wasm"].includes(auto.name), auto.name);
  assert.equal(auto.requested, "auto");
});

Deno.test("selectBackend: an impossible thread count is refused before anything starts", async () => {
  await assert.rejects(
    () => selectBackend("wasm", { threads: 0 }),
    /wasm threads must be an integer from 1 to 8, got 0/,
  );
  await assert.rejects(() => selectBackend("wasm", { threads: 2.5 }), /integer from 1 to 8/);
});

Deno.test("selectBackend: webgpu runs where Deno has an adapter (else says what to do); auto skips software adapters", async () => {
  const gpu = (globalThis.navigator as any)?.gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!adapter) {
    await assert.rejects(
      () => selectBackend("webgpu"),
      (e: Error) => e instanceof BackendError && /use --backend wasm/.test(e.message),
    );
    return;
  }
  const conv = () =>
    tf.grad((x: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 1, "same")))
    )(tf.range(0, 32).reshape([1, 4, 4, 2]));
  await selectBackend("webgpu");
  assert.equal(tf.getBackend(), "webgpu");
  const onGpu = Array.from(await conv().data());
  await selectBackend("cpu");
  assert.deepEqual(onGpu, Array.from(await conv().data()));
  const software = adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter ||
    /llvmpipe|swiftshader/i.test(adapter.info?.description ?? "");
  if (software) assert.notEqual((await selectBackend("auto")).name, "webgpu");
});
