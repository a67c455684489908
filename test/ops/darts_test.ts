import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { setJsKernelsEnabled } from "../../src/backend/kernels/jsKernel.ts";
import type { BatchNormParams } from "../../src/ops/batchNorm.ts";
import {
  DARTS_OPS,
  dartsOp,
  type DartsOpParams,
  dartsOpParams,
  type DilConvParams,
  factorizedReduce,
  factorizedReduceParams,
} from "../../src/ops/darts.ts";
import { ParamStore } from "../../src/ops/params.ts";
import { onBackend, relativeError, values } from "../helpers.ts";

/** A tensor as test/fixtures/make_darts_ops.py writes it: torch's layout, row-major. */
interface TorchTensor {
  shape: number[];
  data: number[];
}

/** One op of the fixture: its parameters and what one train forward and backward gave in PyTorch. */
interface TorchCase {
  op: string;
  stride: number;
  affine: boolean;
  poolBn: boolean;
  paramCount: number;
  params: Record<string, TorchTensor>;
  output: TorchTensor;
  inputGrad: number[];
  paramGrads: Record<string, number[]>;
  /** BN running statistics after the forward. */
  buffers: Record<string, number[]>;
  /** Eval-mode output after that forward (some cases). */
  evalOutput?: number[];
}

interface Fixture {
  primitives: string[];
  input: TorchTensor;
  /** R of the loss sum(out · R), by output height. */
  weights: Record<string, TorchTensor>;
  cases: TorchCase[];
  counts: { op: string; stride: number; affine: boolean; channels: number; params: number }[];
}

// Made by test/fixtures/make_darts_ops.py from quark0/darts' operations.py in float64, with parameters and
// inputs rounded to 6 digits beforehand: the references are exact to ~5e-7, so 1e-4 is float32's margin.
const fixture: Fixture = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/darts_ops.json", import.meta.url)),
);
const TOLERANCE = 1e-4;

/** How a torch tensor is laid out relative to ours. */
type Layout = "dense" | "depthwise" | "vector";
/** torch → ours: conv weight [out, in, kh, kw] → [kh, kw, in, out]; depthwise [C, 1, kh, kw] → [kh, kw, C, 1]. */
const TO_OURS: Record<Layout, number[] | undefined> = {
  dense: [2, 3, 1, 0],
  depthwise: [2, 3, 0, 1],
  vector: undefined,
};
/** ours → torch: the inverse permutations. */
const TO_TORCH: Record<Layout, number[] | undefined> = {
  dense: [3, 2, 0, 1],
  depthwise: [2, 3, 0, 1],
  vector: undefined,
};

function bnNames(prefix: string, bn: BatchNormParams): Record<string, [tf.Variable | undefined, Layout]> {
  return {
    [`${prefix}.weight`]: [bn.gamma, "vector"],
    [`${prefix}.bias`]: [bn.beta, "vector"],
    [`${prefix}.running_mean`]: [bn.runningMean, "vector"],
    [`${prefix}.running_var`]: [bn.runningVar, "vector"],
  };
}

/** torch's DilConv.op: 0 ReLU, 1 depthwise, 2 pointwise, 3 BN (SepConv's second half starts at 4). */
function dilConvNames(first: number, d: DilConvParams): Record<string, [tf.Variable | undefined, Layout]> {
  return {
    [`op.${first}.weight`]: [d.depthwise.filter, "depthwise"],
    [`op.${first + 1}.weight`]: [d.pointwise.filter, "dense"],
    ...bnNames(`op.${first + 2}`, d.bn),
  };
}

/** Our variable for each torch state_dict name of the op (which also checks the structures agree). */
function torchNames(p: DartsOpParams): Record<string, [tf.Variable, Layout]> {
  let names: Record<string, [tf.Variable | undefined, Layout]> = {};
  switch (p.op) {
    case "max_pool_3x3":
    case "avg_pool_3x3":
      if (p.bn) names = bnNames("1", p.bn); // nn.Sequential(pool, BatchNorm2d)
      break;
    case "skip_connect":
      if (p.reduce) {
        names = {
          "conv_1.weight": [p.reduce.a.filter, "dense"],
          "conv_2.weight": [p.reduce.b.filter, "dense"],
          ...bnNames("bn", p.reduce.bn),
        };
      }
      break;
    case "sep_conv_3x3":
    case "sep_conv_5x5":
      names = { ...dilConvNames(1, p.sepConv.a), ...dilConvNames(5, p.sepConv.b) };
      break;
    case "dil_conv_3x3":
    case "dil_conv_5x5":
      names = dilConvNames(1, p.dilConv);
  }
  return Object.fromEntries(Object.entries(names).filter(([, [v]]) => v)) as Record<
    string,
    [tf.Variable, Layout]
  >;
}

function fromTorch(t: TorchTensor, layout: Layout): tf.Tensor {
  const perm = TO_OURS[layout];
  return tf.tidy(() => perm ? tf.transpose(tf.tensor(t.data, t.shape), perm) : tf.tensor(t.data, t.shape));
}

function toTorch(t: tf.Tensor, layout: Layout): number[] {
  const perm = TO_TORCH[layout];
  return tf.tidy(() => values(perm ? tf.transpose(t, perm) : t));
}

const nchw = (t: tf.Tensor) => tf.tidy(() => values(tf.transpose(t, [0, 3, 1, 2])));

function label(c: TorchCase): string {
  return `${c.op} stride ${c.stride}${c.affine ? " affine" : ""}${c.poolBn ? " + BN" : ""}`;
}

function checkClose(ours: number[], torch: number[], what: string): void {
  const err = relativeError(ours, torch);
  assert.ok(err <= TOLERANCE, `${what}: relative error ${err.toExponential(2)}`);
}

/** Build the case's op with torch's parameters, run one train forward and backward, compare everything. */
function checkCase(c: TorchCase): void {
  const store = new ParamStore(1);
  const p = dartsOpParams(store, "op", c.op, {
    channels: 4,
    stride: c.stride,
    affine: c.affine,
    poolBn: c.poolBn,
  });
  const names = torchNames(p);
  const paramNames = Object.keys(names).filter((n) => !n.includes("running_"));
  const bufferNames = Object.keys(names).filter((n) => n.includes("running_"));
  assert.deepEqual(paramNames.sort(), Object.keys(c.params).sort(), "parameters");
  assert.deepEqual(bufferNames.sort(), Object.keys(c.buffers).sort(), "buffers");
  assert.equal(store.size, c.paramCount, "parameter count");
  const x = tf.variable(tf.zeros(nhwcShape(fixture.input.shape)) as tf.Tensor4D);
  tf.tidy(() => {
    for (const n of paramNames) names[n][0].assign(fromTorch(c.params[n], names[n][1]));
    x.assign(tf.transpose(fromTorch(fixture.input, "vector"), [0, 2, 3, 1]) as tf.Tensor4D);
    const r = tf.transpose(fromTorch(fixture.weights[c.output.shape[2]], "vector"), [0, 2, 3, 1]);

    let out: tf.Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      out = tf.keep(dartsOp(p, x, "train"));
      return tf.sum(tf.mul(out, r));
    }, [x, ...paramNames.map((n) => names[n][0])]);
    assert.deepEqual(out!.shape, nhwcShape(c.output.shape), "output shape");
    checkClose(nchw(out!), c.output.data, "output");
    out!.dispose();
    checkClose(nchw(grads[x.name]), c.inputGrad, "input gradient");
    for (const n of paramNames) {
      checkClose(toTorch(grads[names[n][0].name], names[n][1]), c.paramGrads[n], `gradient of ${n}`);
    }
    for (const n of bufferNames) {
      checkClose(values(names[n][0]), c.buffers[n], `${n} after one train forward`);
    }

    if (c.evalOutput) {
      checkClose(nchw(dartsOp(p, x, "eval")), c.evalOutput, "eval output (running statistics)");
      for (const n of bufferNames) checkClose(values(names[n][0]), c.buffers[n], `${n} unchanged by eval`);
    }
  });
  x.dispose();
  store.dispose();
}

/** torch's [N, C, H, W] as our [N, H, W, C]. */
function nhwcShape([n, c, h, w]: number[]): [number, number, number, number] {
  return [n, h, w, c];
}

Deno.test("DARTS ops: PRIMITIVES order", () => {
  assert.deepEqual([...DARTS_OPS], fixture.primitives);
});

Deno.test("DARTS ops: parameter counts equal PyTorch's at C = 16 (both strides, affine or not)", async () => {
  await onBackend("cpu", () => {
    for (const { op, stride, affine, channels, params } of fixture.counts) {
      const store = new ParamStore();
      dartsOpParams(store, "op", op, { channels, stride, affine });
      assert.equal(store.size, params, `${op} stride ${stride} affine ${affine}`);
      store.dispose();
    }
  });
});

// The fused JS kernels are the default on cpu and wasm; without them (cpu) the composed tf-op paths that
// other backends run are checked too.
for (const [backend, fused] of [["cpu", true], ["wasm", true], ["cpu", false]] as const) {
  const setting = `${backend}${fused ? "" : ", no fused kernels"}`;
  for (const c of fixture.cases) {
    Deno.test(`DARTS op ${label(c)} (${setting}): output, gradients and BN statistics equal PyTorch's`, async () => {
      await onBackend(backend, () => {
        setJsKernelsEnabled(fused);
        try {
          checkCase(c);
        } finally {
          setJsKernelsEnabled(true);
        }
      });
    });
  }
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`DARTS max_pool_3x3 (${backend}): gradient goes to each window's first maximum, also when all are <= 0`, async () => {
    await onBackend(backend, () => {
      const p = dartsOpParams(new ParamStore(), "pool", "max_pool_3x3", { channels: 2 });
      // Channel 0 all zeros (ties everywhere: PyTorch takes the first in row-major order), channel 1
      // −1 … −9 (tfjs-backend-wasm's own MaxPoolGrad routes such windows wrongly).
      const x = tf.tensor4d([0, -1, 0, -2, 0, -3, 0, -4, 0, -5, 0, -6, 0, -7, 0, -8, 0, -9], [1, 3, 3, 2]);
      const y = values(dartsOp(p, x, "train"));
      assert.deepEqual(
        y.filter((_, i) => i % 2 === 1),
        [-1, -1, -2, -1, -1, -2, -4, -4, -5],
        "padding is −∞",
      );
      const dx = values(tf.grad((a: tf.Tensor) => tf.sum(dartsOp(p, a as tf.Tensor4D, "train")))(x));
      const expected = [4, 2, 0, 2, 1, 0, 0, 0, 0];
      assert.deepEqual(dx.filter((_, i) => i % 2 === 0), expected, "zeros");
      assert.deepEqual(dx.filter((_, i) => i % 2 === 1), expected, "negatives");
    });
  });
}

Deno.test("DARTS ops: a train step and an eval forward leave no tensors behind", async () => {
  await onBackend("cpu", () => {
    for (const op of DARTS_OPS) {
      for (const stride of [1, 2]) {
        const store = new ParamStore(2);
        const p = dartsOpParams(store, "op", op, { channels: 4, stride, poolBn: true });
        const x = tf.randomNormal([2, 6, 6, 4], 0, 1, "float32", 3) as tf.Tensor4D;
        const step = () => {
          tf.tidy(() => {
            tf.grads((a: tf.Tensor) => tf.sum(dartsOp(p, a as tf.Tensor4D, "train")))([x]);
            dartsOp(p, x, "eval");
          });
        };
        step(); // average pooling caches its constant tensors per shape on first use
        const before = tf.memory().numTensors;
        step();
        assert.equal(tf.memory().numTensors, before, `${op} stride ${stride}`);
        x.dispose();
        store.dispose();
      }
    }
  });
});

Deno.test("DARTS ops: stride-2 zero has torch's ⌈H/2⌉ shape for odd sizes", async () => {
  await onBackend("cpu", () => {
    const p = dartsOpParams(new ParamStore(), "z", "none", { channels: 3, stride: 2 });
    const y = dartsOp(p, tf.ones([1, 7, 5, 3]), "train");
    assert.deepEqual(y.shape, [1, 4, 3, 3]);
    assert.deepEqual(values(y), new Array(36).fill(0));
  });
});

Deno.test("DARTS ops: clear errors", async () => {
  await onBackend("cpu", () => {
    const store = new ParamStore();
    assert.throws(
      () => dartsOpParams(store, "a", "conv_7x1_1x7", { channels: 4 }),
      /unknown DARTS operation "conv_7x1_1x7": choose one of none, /,
    );
    assert.throws(
      () => dartsOpParams(store, "b", "sep_conv_3x3", { channels: 0 }),
      /"b" \(sep_conv_3x3\): channels must be a positive integer/,
    );
    assert.throws(
      () => dartsOpParams(store, "c", "max_pool_3x3", { channels: 4, stride: 3 }),
      /stride must be 1 or 2/,
    );
    assert.throws(
      () => dartsOpParams(store, "d", "skip_connect", { channels: 3, stride: 2 }),
      /"d" \(skip_connect, stride 2\): FactorizedReduce needs an even channel count, got 3/,
    );
    assert.throws(
      () => factorizedReduceParams(store, "e", { cin: 4, cout: 5 }),
      /FactorizedReduce "e": cout must be an even/,
    );
    const fr = factorizedReduceParams(store, "f", { cin: 4, cout: 4 });
    assert.throws(
      () => factorizedReduce(fr, tf.zeros([1, 7, 8, 4]), "train"),
      /even height and width, got 7x8: crop or pad/,
    );
    const sep = dartsOpParams(store, "g", "sep_conv_3x3", { channels: 4 });
    assert.throws(
      () => dartsOp(sep, tf.zeros([1, 8, 8, 5]), "train"),
      /sep_conv_3x3: expected an NHWC batch with 4 channels, got shape \[1,8,8,5\]/,
    );
    store.dispose();
  });
});
