import assert from "node:assert/strict";
import * as tf from "../../src/deps/tfjs_core.ts";
import { setJsKernelsEnabled } from "../../src/backend/kernels/jsKernel.ts";
import { setSimdKernelsEnabled } from "../../src/backend/kernels/simd/mod.ts";
import { batchNorm, type BatchNormParams, batchNormParams } from "../../src/ops/batchNorm.ts";
import { conv, reluConvBn } from "../../src/ops/conv.ts";
import {
  channelShuffle,
  DARTS_OPS,
  dartsOp,
  type DartsOpParams,
  factorizedReduce,
  noise,
} from "../../src/ops/darts.ts";
import { linear } from "../../src/ops/linear.ts";
import { type Mode, nameSeed, ParamStore } from "../../src/ops/params.ts";
import { maxPool } from "../../src/ops/pool.ts";
import {
  createDartsSupernet,
  dartsForward,
  type DartsSupernet,
  type DartsSupernetOptions,
  type DartsWeights,
  edgeSoftmax,
  reductionCells,
} from "../../src/supernet/darts.ts";
import { dartsEdges, nodeEdgeRanges } from "../../src/supernet/dartsTopology.ts";
import { type Candidate, mixedEdge } from "../../src/supernet/mixedEdge.ts";
import { onBackend, relativeError, values } from "../helpers.ts";
import {
  bnNames,
  checkClose,
  dartsOpNames,
  factorizedReduceNames,
  fill,
  type Layout,
  type Named,
  nchw,
  permuted,
  present,
  reluConvBnNames,
  TO_OURS,
  TO_TORCH,
} from "../torchTwin.ts";

// ---------------------------------------------------------------------------------------------------
// Shape, edge order, parameter counts

Deno.test("darts supernet: edges node-major, node ranges, reduction cells", () => {
  const edges = dartsEdges();
  assert.equal(edges.length, 14);
  assert.deepEqual(edges.slice(0, 5), [
    { from: 0, to: 0 },
    { from: 1, to: 0 },
    { from: 0, to: 1 },
    { from: 1, to: 1 },
    { from: 2, to: 1 },
  ]);
  assert.deepEqual(edges[13], { from: 4, to: 3 });
  assert.deepEqual(nodeEdgeRanges(), [[0, 2], [2, 5], [5, 9], [9, 14]]);
  assert.deepEqual(reductionCells(8), [2, 5]);
  assert.deepEqual(reductionCells(5), [1, 3]);
  assert.deepEqual(reductionCells(1), [0]);
});

Deno.test("darts supernet has PyTorch's parameter count (C = 16, 8 cells; PC-DARTS K = 4)", async () => {
  await onBackend("cpu", () => {
    // /work/shared/bench/torch_darts_step.py prints 1,930,646 weights, and 299,578 with --pc 4; without
    // --pc it counts its unused edge scores β (2 x 14) as weights (its arch() lists them only for K > 1).
    for (const [partialChannels, torchCount] of [[1, 1930646 - 28], [4, 299578]]) {
      const store = new ParamStore(0);
      createDartsSupernet(store, { partialChannels });
      assert.equal(store.size, torchCount, `K = ${partialChannels}`);
      store.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// The PyTorch twin (test/fixtures/make_darts_supernet.py)

interface TwinCase {
  name: string;
  partialChannels: number;
  ops: { normal: string[][]; reduce: string[][] };
  edgeWeights: boolean;
  paramCount: number;
  /** [torch name, torch shape, center, bound] of every parameter. */
  params: [string, number[], number, number][];
  input: { shape: number[]; data: number[] };
  alpha: Record<"normal" | "reduce", { shape: number[]; data: number[] }>;
  beta: Record<"normal" | "reduce", number[]> | null;
  r: number[];
  logits: number[];
  inputGrad: number[];
  alphaGrad: Record<"normal" | "reduce", number[]>;
  betaGrad: Record<"normal" | "reduce", number[]> | null;
  paramGrads: Record<string, number[]>;
  buffers: Record<string, number[]>;
  evalLogits: number[];
  /** How far PyTorch's own float32 run of the case is from its float64 one (max relative error). */
  torchFloat32Error: { logits: number; gradients: number };
}

interface TwinFixture {
  channels: number;
  layers: number;
  numClasses: number;
  cases: TwinCase[];
}

const twin: TwinFixture = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/darts_supernet.json", import.meta.url)),
);
// The references are float64 from float32-exact parameters and 6-digit inputs. Float32 through 3 cells of
// batch statistics over as few as 8 values per channel costs up to ~3e-4 in PyTorch itself (the fixture
// records its own float32 error per case): we allow twice that, and at least 1e-4.
const tolerance = (c: TwinCase) =>
  Math.max(1e-4, 2 * Math.max(c.torchFloat32Error.logits, c.torchFloat32Error.gradients));

/**
 * Our variable for each state_dict name of model_search.py's network (which also checks that the
 * structures agree). Every pooling BN of a source state maps to the state's one shared BN.
 */
function torchNames(net: DartsSupernet): Record<string, [tf.Variable, Layout]> {
  let names: Named = {
    "stem.0.weight": [net.stem.conv.filter, "dense"],
    ...bnNames("stem.1", net.stem.bn),
    "classifier.weight": [net.classifier.kernel, "linear"],
    "classifier.bias": [net.classifier.bias, "vector"],
  };
  net.cells.forEach((cell, i) => {
    const c = `cells.${i}`;
    const pre = cell.preprocess0;
    names = {
      ...names,
      ...(pre.kind === "factorizedReduce"
        ? factorizedReduceNames(`${c}.preprocess0`, pre.params)
        : reluConvBnNames(`${c}.preprocess0`, pre.params)),
      ...reluConvBnNames(`${c}.preprocess1`, cell.preprocess1),
    };
    cell.edges.forEach((ops, k) => {
      ops.forEach((p, o) => {
        const m = `${c}._ops.${k}._ops.${o}`;
        if (p.op === "max_pool_3x3" || p.op === "avg_pool_3x3") {
          names = { ...names, ...bnNames(`${m}.1`, cell.poolBn[net.edges[k].from][p.op]!) };
        } else if ("channels" in p) names = { ...names, ...dartsOpNames(m, p) };
      });
    });
  });
  return present(names);
}

/** Build the case's network with the fixture's parameters, run one train forward and backward, compare. */
function checkTwin(c: TwinCase): number {
  const store = new ParamStore(0);
  const net = createDartsSupernet(store, {
    channels: twin.channels,
    layers: twin.layers,
    numClasses: twin.numClasses,
    partialChannels: c.partialChannels,
    ops: c.ops,
  });
  assert.equal(store.size, c.paramCount, "parameter count");
  const names = torchNames(net);
  const buffers = Object.keys(names).filter((n) => n.includes(".running_"));
  assert.deepEqual(
    Object.keys(names).filter((n) => !n.includes(".running_")).sort(),
    c.params.map(([n]) => n).sort(),
    "parameter names",
  );
  for (const n of Object.keys(c.buffers)) assert.ok(buffers.includes(n), `buffer ${n}`);
  const vars = new Map<string, tf.Variable>();
  const variable = (key: string, t: tf.Tensor) => {
    vars.set(key, tf.variable(t));
    t.dispose();
    return vars.get(key)!;
  };
  const x = variable(
    "input",
    tf.tidy(() => tf.transpose(tf.tensor(c.input.data, c.input.shape), [0, 2, 3, 1])),
  );
  const alpha = {
    normal: variable(
      "alpha.normal",
      tf.tensor2d(c.alpha.normal.data, c.alpha.normal.shape as [number, number]),
    ),
    reduce: variable(
      "alpha.reduce",
      tf.tensor2d(c.alpha.reduce.data, c.alpha.reduce.shape as [number, number]),
    ),
  };
  const beta = c.beta
    ? {
      normal: variable("beta.normal", tf.tensor1d(c.beta.normal)),
      reduce: variable("beta.reduce", tf.tensor1d(c.beta.reduce)),
    }
    : undefined;
  let worst = 0;
  tf.tidy(() => {
    for (const [name, shape, center, bound] of c.params) {
      const [v, layout] = names[name];
      v.assign(permuted(fill(name, shape, center, bound), TO_OURS[layout]));
    }
    const r = tf.tensor2d(c.r, [c.input.shape[0], twin.numClasses]);
    const weights = (): DartsWeights => ({
      normal: {
        ops: tf.softmax(alpha.normal) as tf.Tensor2D,
        edges: beta && edgeSoftmax(beta.normal as tf.Tensor1D),
      },
      reduce: {
        ops: tf.softmax(alpha.reduce) as tf.Tensor2D,
        edges: beta && edgeSoftmax(beta.reduce as tf.Tensor1D),
      },
    });
    const compared = Object.keys(c.paramGrads);
    let logits: tf.Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      logits = tf.keep(dartsForward(net, x as tf.Tensor4D, weights(), "train"));
      return tf.sum(tf.mul(logits, r));
    }, [
      x,
      alpha.normal,
      alpha.reduce,
      ...(beta ? [beta.normal, beta.reduce] : []),
      ...compared.map((n) => names[n][0]),
    ]);
    const close = (ours: number[], torch: number[], what: string) => {
      worst = Math.max(worst, checkClose(ours, torch, what, tolerance(c)));
    };
    close(values(logits!), c.logits, "logits");
    close(nchw(grads[x.name]), c.inputGrad, "input gradient");
    for (const kind of ["normal", "reduce"] as const) {
      close(values(grads[alpha[kind].name]), c.alphaGrad[kind], `α ${kind} gradient`);
      if (beta) close(values(grads[beta[kind].name]), c.betaGrad![kind], `β ${kind} gradient`);
    }
    for (const n of compared) {
      const [v, layout] = names[n];
      close(values(permuted(grads[v.name], TO_TORCH[layout])), c.paramGrads[n], `gradient of ${n}`);
    }
    for (const [n, expected] of Object.entries(c.buffers)) {
      close(values(names[n][0]), expected, `${n} after one train forward`);
    }
    close(values(dartsForward(net, x as tf.Tensor4D, weights(), "eval")), c.evalLogits, "eval logits");
  });
  for (const v of vars.values()) v.dispose();
  store.dispose();
  return worst;
}

for (const backend of ["cpu", "wasm"] as const) {
  for (const c of twin.cases) {
    Deno.test(`darts supernet ${c.name} (${backend}): logits, input, α, β and weight gradients, BN statistics and eval logits equal PyTorch's`, async () => {
      await onBackend(backend, () => {
        const worst = checkTwin(c);
        console.log(`  ${c.name} ${backend}: max relative error ${worst.toExponential(2)}`);
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// The fused forward against the plain edge-by-edge definition

/**
 * The search network written the plain way, as model_search.py: every mixed op on its own (PC-DARTS:
 * split, ops, concat with the bypass, shuffle per edge), times its edge weight, summed per node; each
 * pooling with its own BN (from `poolBns`, one per edge and op).
 */
function referenceForward(
  net: DartsSupernet,
  poolBns: Map<string, BatchNormParams>,
  x: tf.Tensor4D,
  weights: {
    normal: tf.Tensor1D[];
    reduce: tf.Tensor1D[];
    edgesNormal: tf.Tensor1D;
    edgesReduce: tf.Tensor1D;
  },
  mode: Mode,
  noiseSeed: number,
): tf.Tensor2D {
  const { partialChannels: K, multiplier } = net.options;
  const stem = batchNorm(net.stem.bn, conv(net.stem.conv, x), mode);
  let [s0, s1] = [stem, stem];
  net.cells.forEach((cell, i) => {
    const rows = cell.reduction ? weights.reduce : weights.normal;
    const edgeWeights = tf.unstack(cell.reduction ? weights.edgesReduce : weights.edgesNormal);
    const states = [
      cell.preprocess0.kind === "factorizedReduce"
        ? factorizedReduce(cell.preprocess0.params, s0, mode)
        : reluConvBn(cell.preprocess0.params, s0, mode),
      reluConvBn(cell.preprocess1, s1, mode),
    ];
    for (let node = 0; node < net.options.steps; node++) {
      const incoming = net.edges.map((e, k) => [e, k] as const).filter(([e]) => e.to === node).map(
        ([e, k]) => {
          const stride = cell.reduction && e.from < 2 ? 2 : 1;
          const h = states[e.from];
          const c = h.shape[3] / K;
          const candidates: Candidate[] = cell.edges[k].map((p) => {
            const base = { channels: c, stride };
            let op: DartsOpParams;
            switch (p.op) {
              case "none":
                op = { ...base, op: p.op };
                break;
              case "noise":
                return (v) => {
                  const [n, hh, ww] = v.shape;
                  const shape: [number, number, number, number] = stride === 2
                    ? [n, Math.ceil(hh / 2), Math.ceil(ww / 2), c]
                    : [n, hh, ww, c];
                  return noise(shape, nameSeed(noiseSeed, `cells.${i}.edges.${k}.noise`));
                };
              case "max_pool_3x3":
              case "avg_pool_3x3":
                op = { ...base, op: p.op, bn: poolBns.get(`${i}.${k}.${p.op}`)! };
                break;
              default:
                op = { ...base, ...p } as DartsOpParams;
            }
            return (v) => dartsOp(op, v, mode);
          });
          let out: tf.Tensor4D;
          if (K === 1) {
            out = mixedEdge(candidates, h, rows[k]);
          } else {
            const [n, hh, ww, cc] = h.shape;
            const y = mixedEdge(candidates, tf.slice(h, [0, 0, 0, 0], [n, hh, ww, c]), rows[k]);
            const rest = tf.slice(h, [0, 0, 0, c], [n, hh, ww, cc - c]);
            const bypass = y.shape[1] === hh ? rest : maxPool(rest, { kernel: 2, stride: 2, padding: 0 });
            out = channelShuffle(tf.concat([y, bypass], 3), K);
          }
          return tf.mul(out, edgeWeights[k]) as tf.Tensor4D;
        },
      );
      states.push(tf.addN(incoming));
    }
    [s0, s1] = [s1, tf.concat(states.slice(states.length - multiplier), 3)];
  });
  return linear(net.classifier, tf.mean(s1, [1, 2]) as tf.Tensor2D);
}

/** A ragged space with every op kind, noise and an all-`none` edge, 3 nodes, the last 2 concatenated. */
function raggedOps(): DartsSupernetOptions["ops"] {
  const lists = [
    ["sep_conv_3x3", "max_pool_3x3", "noise"],
    ["skip_connect", "avg_pool_3x3"],
    ["none"],
    [...DARTS_OPS],
    ["dil_conv_5x5", "max_pool_3x3", "avg_pool_3x3", "skip_connect"],
    ["sep_conv_5x5"],
    ["dil_conv_3x3", "none", "skip_connect"],
    ["avg_pool_3x3", "sep_conv_3x3"],
    ["max_pool_3x3", "noise", "skip_connect"],
  ];
  return { normal: lists, reduce: [...lists].reverse() };
}

const REFERENCE_CASES: { name: string; options: DartsSupernetOptions }[] = [
  { name: "8 ops", options: {} },
  { name: "PC-DARTS K = 2", options: { partialChannels: 2 } },
  {
    name: "ragged ops with noise, 3 nodes, multiplier 2",
    options: { steps: 3, multiplier: 2, ops: raggedOps() },
  },
];

/** Architecture parameters of a reference case: one α vector per edge and cell type, β per cell type. */
interface Arch {
  alpha: { normal: tf.Variable[]; reduce: tf.Variable[] };
  beta: { normal: tf.Variable; reduce: tf.Variable };
}

/** What a reference comparison compares. */
type RunResult = Record<"loss" | "arch" | "w" | "eval" | "stats" | "poolStats", number[]>;

/**
 * Build the case's network (seed 5), then one train forward and backward of sum(logits²) and one eval
 * forward, by dartsForward or by {@link referenceForward}: the loss, the α, β and weight gradients, the
 * eval logits and every running statistic (the pooling BNs' per edge).
 */
function runCase(options: DartsSupernetOptions, arch: Arch, x: tf.Tensor4D, reference: boolean): RunResult {
  const store = new ParamStore(5);
  const net = createDartsSupernet(store, { channels: 4, layers: 3, ...options });
  const refStore = new ParamStore(0);
  const poolBns = new Map<string, BatchNormParams>();
  net.cells.forEach((cell, i) =>
    cell.edges.forEach((ops, k) =>
      ops.forEach(({ op }) => {
        if (op !== "max_pool_3x3" && op !== "avg_pool_3x3") return;
        const c = cell.channels / net.options.partialChannels;
        poolBns.set(`${i}.${k}.${op}`, batchNormParams(refStore, `${i}.${k}.${op}`, c, { affine: false }));
      })
    )
  );
  const steps = net.options.steps;
  const forward = (mode: Mode) => {
    const rows = {
      normal: arch.alpha.normal.map((r) => tf.softmax(r) as tf.Tensor1D),
      reduce: arch.alpha.reduce.map((r) => tf.softmax(r) as tf.Tensor1D),
    };
    const edges = {
      normal: edgeSoftmax(arch.beta.normal as tf.Tensor1D, steps),
      reduce: edgeSoftmax(arch.beta.reduce as tf.Tensor1D, steps),
    };
    return reference
      ? referenceForward(
        net,
        poolBns,
        x,
        { ...rows, edgesNormal: edges.normal, edgesReduce: edges.reduce },
        mode,
        3,
      )
      : dartsForward(
        net,
        x,
        {
          normal: { ops: rows.normal, edges: edges.normal },
          reduce: { ops: rows.reduce, edges: edges.reduce },
        },
        mode,
        { noiseSeed: 3 },
      );
  };
  const archVars = [...arch.alpha.normal, ...arch.alpha.reduce, arch.beta.normal, arch.beta.reduce];
  const out = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(forward("train"))) as tf.Scalar,
      [...archVars, ...store.trainable],
    );
    return {
      loss: values(value),
      arch: archVars.flatMap((v) => values(grads[v.name])),
      w: store.trainable.flatMap((v) => values(grads[v.name])),
      eval: values(forward("eval")),
    };
  });
  const stats = store.entries().filter(([n]) => n.includes("running") && !n.includes(".pool."))
    .flatMap(([, v]) => values(v));
  // Pooling BNs: ours are one per source state, the reference's one per edge, with the same statistics.
  const poolStats = [...poolBns.entries()].flatMap(([key, bn]) => {
    const [i, k, op] = key.split(".").map((v, j) => (j < 2 ? Number(v) : v)) as [
      number,
      number,
      "max_pool_3x3",
    ];
    const p = reference ? bn : net.cells[i].poolBn[net.edges[k].from][op]!;
    return [...values(p.runningMean!), ...values(p.runningVar!)];
  });
  store.dispose();
  refStore.dispose();
  return { ...out, stats, poolStats };
}

/** Seeded α per edge and β per cell type for a case's cells (3 cells, C=4). */
function randomArch(options: DartsSupernetOptions): Arch {
  const shapeStore = new ParamStore();
  const shape = createDartsSupernet(shapeStore, { channels: 4, layers: 3, ...options }).options;
  shapeStore.dispose();
  const rows = (kind: "normal" | "reduce", seed: number) =>
    shape.ops[kind].map((ops, e) => tf.variable(tf.randomNormal([ops.length], 0, 1, "float32", seed + e)));
  const edges = shape.ops.normal.length;
  return {
    alpha: { normal: rows("normal", 10), reduce: rows("reduce", 50) },
    beta: {
      normal: tf.variable(tf.randomNormal([edges], 0, 1, "float32", 90)),
      reduce: tf.variable(tf.randomNormal([edges], 0, 1, "float32", 91)),
    },
  };
}

for (const backend of ["cpu", "wasm"] as const) {
  for (const { name, options } of REFERENCE_CASES) {
    Deno.test(`darts supernet ${name} (${backend}) equals the edge-by-edge definition: loss, α, β and w gradients, running stats, eval logits`, async () => {
      await onBackend(backend, () => {
        const arch = randomArch(options);
        const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
        // The reference runs tfjs' composed ops on cpu; on wasm it keeps our JS kernels, since wasm's own
        // MaxPoolGrad routes gradients wrongly (src/ops/pool.ts). Both sides run them without SIMD there:
        // its float32 sums round differently per grouping, which these ill-conditioned gradients (batch
        // statistics over 8 to 128 values) turn into ~3e-4, as in PyTorch's own float32 (the twin above
        // checks the SIMD path against PyTorch).
        setSimdKernelsEnabled(false);
        let ours: RunResult, ref: RunResult;
        try {
          ours = runCase(options, arch, x, false);
          setJsKernelsEnabled(backend === "wasm");
          ref = runCase(options, arch, x, true);
        } finally {
          setJsKernelsEnabled(true);
          setSimdKernelsEnabled(true);
        }
        assert.ok(relativeError(ours.loss, ref.loss) < 1e-5, `loss ${ours.loss} vs ${ref.loss}`);
        assert.ok(relativeError(ours.arch, ref.arch) < 1e-4, "α and β gradients");
        assert.ok(relativeError(ours.w, ref.w) < 1e-4, "weight gradients");
        assert.ok(relativeError(ours.eval, ref.eval) < 1e-4, "eval-mode logits (running statistics)");
        assert.ok(relativeError(ours.stats, ref.stats) < 1e-5, "running statistics");
        assert.ok(relativeError(ours.poolStats, ref.poolStats) < 1e-5, "pooling BN running statistics");
        assert.ok(ours.stats.some((v) => v !== 0 && v !== 1), "running statistics moved");
        x.dispose();
        [...arch.alpha.normal, ...arch.alpha.reduce, arch.beta.normal, arch.beta.reduce].forEach((v) =>
          v.dispose()
        );
      });
    });
  }
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`darts supernet (${backend}): recomputed cells give the stored pass's loss, statistics and eval logits bit for bit, its gradients to rounding`, async () => {
    await onBackend(backend, () => {
      for (const { name, options } of REFERENCE_CASES) {
        const arch = randomArch(options);
        const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
        const stored = runCase(options, arch, x, false);
        const again = runCase({ ...options, recompute: true }, arch, x, false);
        // The forward is the same computation: running statistics moved once, not once more in the backward.
        for (const k of ["loss", "eval", "stats", "poolStats"] as const) {
          assert.deepEqual(again[k], stored[k], `${name}: ${k}`);
        }
        // Gradients of tensors several cells read (α, β, the stem) add up in another order.
        assert.ok(relativeError(again.arch, stored.arch) < 1e-5, `${name}: α and β gradients`);
        assert.ok(relativeError(again.w, stored.w) < 1e-5, `${name}: weight gradients`);
        assert.ok(again.w.some((v) => v !== 0), `${name}: weight gradients are there`);
        x.dispose();
        [...arch.alpha.normal, ...arch.alpha.reduce, arch.beta.normal, arch.beta.reduce].forEach((v) =>
          v.dispose()
        );
      }
    });
  });
}

Deno.test("darts supernet: recomputed cells hold a fraction of the activation memory (peak bytes of a train step)", async () => {
  await onBackend("wasm", async () => {
    const peak = async (recompute: boolean) => {
      const store = new ParamStore(2);
      const net = createDartsSupernet(store, { channels: 8, layers: 8, recompute });
      const x = tf.randomNormal([4, 16, 16, 3], 0, 1, "float32", 3) as tf.Tensor4D;
      const alpha = tf.variable(tf.zeros([14, 8]));
      const step = () =>
        tf.tidy(() => {
          const w = () => ({
            normal: { ops: tf.softmax(alpha) as tf.Tensor2D },
            reduce: { ops: tf.softmax(alpha) as tf.Tensor2D },
          });
          tf.variableGrads(() => tf.sum(dartsForward(net, x, w(), "train")) as tf.Scalar, [
            alpha,
            ...store.trainable,
          ]);
        });
      step(); // constant caches
      const before = tf.memory().numTensors;
      const info = await tf.profile(step);
      assert.equal(tf.memory().numTensors, before, "no tensors left behind");
      x.dispose();
      alpha.dispose();
      store.dispose();
      return info.peakBytes - info.newBytes;
    };
    const [stored, recomputedPeak] = [await peak(false), await peak(true)];
    console.log(`peak bytes of a train step: stored ${stored}, recomputed ${recomputedPeak}`);
    assert.ok(recomputedPeak < 0.4 * stored, `recomputed ${recomputedPeak} vs stored ${stored}`);
  });
});

// ---------------------------------------------------------------------------------------------------
// Spaces as data, the noise op, errors, leaks

const uniform = (net: DartsSupernet): DartsWeights => ({
  normal: { ops: net.options.ops.normal.map((l) => tf.fill([l.length], 1 / l.length) as tf.Tensor1D) },
  reduce: { ops: net.options.ops.reduce.map((l) => tf.fill([l.length], 1 / l.length) as tf.Tensor1D) },
});

Deno.test("darts supernet: RobustDARTS S2–S4 and a 3-op space are op lists; output shape", async () => {
  await onBackend("cpu", () => {
    const every = (ops: string[]) => Array.from({ length: 14 }, () => ops);
    for (
      const ops of [
        ["skip_connect", "sep_conv_3x3"],
        ["none", "skip_connect", "sep_conv_3x3"],
        ["noise", "sep_conv_3x3"],
        ["sep_conv_3x3", "skip_connect", "avg_pool_3x3"],
      ]
    ) {
      const store = new ParamStore(1);
      const net = createDartsSupernet(store, {
        channels: 4,
        layers: 3,
        numClasses: 7,
        ops: { normal: every(ops), reduce: every(ops) },
      });
      tf.tidy(() => {
        const w = tf.fill([14, ops.length], 1 / ops.length) as tf.Tensor2D;
        const y = dartsForward(
          net,
          tf.zeros([2, 8, 8, 3]),
          { normal: { ops: w }, reduce: { ops: w } },
          "train",
          { noiseSeed: 0 },
        );
        assert.deepEqual(y.shape, [2, 7], ops.join(", "));
      });
      store.dispose();
    }
  });
});

Deno.test("darts supernet: noise is N(0, 1), reproducible from its seed, gives no gradient to the input", async () => {
  await onBackend("cpu", () => {
    const a = values(noise([4, 16, 16, 8], 1));
    assert.deepEqual(a, values(noise([4, 16, 16, 8], 1)));
    assert.notDeepEqual(a, values(noise([4, 16, 16, 8], 2)));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    assert.ok(Math.abs(mean) < 0.05 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);

    // S4 with all weight on noise: every node is noise (the sep convs weigh 0), so the logits do not
    // depend on the input, and change with the seed.
    const store = new ParamStore(1);
    const s4 = Array.from({ length: 14 }, () => ["noise", "sep_conv_3x3"]);
    const net = createDartsSupernet(store, { channels: 4, layers: 3, ops: { normal: s4, reduce: s4 } });
    tf.tidy(() => {
      const w = tf.tensor2d(new Array(14).fill([1, 0]).flat(), [14, 2]);
      const weights = { normal: { ops: w }, reduce: { ops: w } };
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 4) as tf.Tensor4D;
      const f = (seed: number) => (v: tf.Tensor) =>
        tf.sum(dartsForward(net, v as tf.Tensor4D, weights, "train", { noiseSeed: seed }));
      assert.deepEqual(values(f(7)(x)), values(f(7)(x)), "same seed, same logits");
      assert.notDeepEqual(values(f(7)(x)), values(f(8)(x)), "another seed, other logits");
      const dx = values(tf.grad(f(7))(x));
      assert.ok(dx.every((v) => v === 0), "no gradient reaches the input through noise");
    });
    store.dispose();
  });
});

Deno.test("darts supernet: clear errors for bad options and weights", async () => {
  await onBackend("cpu", () => {
    const store = new ParamStore();
    const make = (o: DartsSupernetOptions) =>
      createDartsSupernet(new ParamStore(), { channels: 4, layers: 3, ...o });
    assert.throws(
      () => make({ channels: 16, partialChannels: 3 }),
      /partialChannels K = 3 must divide .* cell 0 has 16 channels/,
    );
    assert.throws(() => make({ channels: 6, partialChannels: 4 }), /K = 4 .* cell 0 has 6 channels/);
    assert.throws(() => make({ channels: 0 }), /channels must be a positive integer, got 0/);
    assert.throws(() => make({ multiplier: 5 }), /multiplier \(5\) cannot exceed steps \(4\)/);
    assert.throws(
      () => make({ ops: { normal: [["skip_connect"]] } }),
      /ops.normal must list the ops of each of the 14 edges, got 1 lists/,
    );
    const lists = Array.from({ length: 14 }, () => ["skip_connect", "sep_conv_3x3"]);
    assert.throws(
      () => make({ ops: { reduce: lists.map((l, e) => (e === 3 ? ["conv_7x1_1x7"] : l)) } }),
      /ops.reduce\[3\] names unknown op "conv_7x1_1x7": choose from none, .*, noise/,
    );
    assert.throws(
      () => make({ ops: { normal: lists.map((l, e) => (e === 2 ? [] : l)) } }),
      /ops.normal\[2\] must be a non-empty list/,
    );
    assert.throws(
      () => make({ ops: { normal: lists.map((l, e) => (e === 1 ? ["skip_connect", "skip_connect"] : l)) } }),
      /ops.normal\[1\] repeats an op/,
    );

    const net = createDartsSupernet(store, {
      channels: 4,
      layers: 3,
      ops: { normal: raggedOps()!.normal!.concat(lists.slice(9)) },
    });
    const x = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    const good = uniform(net);
    const w8 = tf.ones([14, 8]) as tf.Tensor2D;
    assert.throws(
      () => dartsForward(net, x, { ...good, reduce: { ops: tf.ones([14, 7]) as tf.Tensor2D } }, "train"),
      /weights.reduce.ops must have shape \[14, 8\], got \[14,7\]/,
    );
    assert.throws(
      () => dartsForward(net, x, { ...good, normal: { ops: w8 } }, "train"),
      /weights.normal.ops is a matrix, but the normal edges have different numbers of ops .*: give one vector per edge/,
    );
    assert.throws(
      () =>
        dartsForward(
          net,
          x,
          { ...good, normal: { ops: (good.normal.ops as tf.Tensor1D[]).slice(1) } },
          "train",
        ),
      /weights.normal.ops must have one vector per edge \(14\), got 13/,
    );
    assert.throws(
      () =>
        dartsForward(net, x, {
          ...good,
          normal: {
            ops: (good.normal.ops as tf.Tensor1D[]).map((
              v,
              e,
            ) => (e === 0 ? tf.ones([2]) as tf.Tensor1D : v)),
          },
        }, "train"),
      /weights.normal.ops\[0\] must be a vector of 3 weights \(sep_conv_3x3, max_pool_3x3, noise\), got shape \[2\]/,
    );
    assert.throws(
      () =>
        dartsForward(net, x, { ...good, reduce: { ops: w8, edges: tf.ones([13]) as tf.Tensor1D } }, "train"),
      /weights.reduce.edges must be a vector of 14 edge weights, got \[13\]/,
    );
    assert.throws(
      () => dartsForward(net, x, { normal: good.normal } as DartsWeights, "train"),
      /weights.reduce.ops is missing/,
    );
    assert.throws(
      () => dartsForward(net, tf.zeros([2, 8, 8, 1]) as tf.Tensor4D, good, "train"),
      /NHWC with 3 channels, got \[2,8,8,1\]/,
    );
    assert.throws(
      () => dartsForward(net, tf.zeros([2, 6, 8, 3]) as tf.Tensor4D, good, "train"),
      /divisible by 4 .* got 6x8: crop or pad/,
    );
    assert.throws(
      () => dartsForward(net, x, good, "train"),
      /cell 0 edge 0 has a noise op: pass options.noiseSeed/,
    );
    assert.throws(() => edgeSoftmax(tf.ones([13]) as tf.Tensor1D), /vector of 14 edge scores/);
    store.dispose();
  });
});

for (const partialChannels of [1, 2]) {
  Deno.test(`darts supernet (K = ${partialChannels}): a train step and an eval forward leave no tensors behind`, async () => {
    await onBackend("wasm", () => {
      const store = new ParamStore(2);
      const net = createDartsSupernet(store, { channels: 4, layers: 3, partialChannels });
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
      const alpha = tf.variable(tf.zeros([14, 8]));
      const step = () =>
        tf.tidy(() => {
          const weights = () => ({
            normal: { ops: tf.softmax(alpha) as tf.Tensor2D },
            reduce: {
              ops: tf.softmax(alpha) as tf.Tensor2D,
              edges: edgeSoftmax(tf.ones([14]) as tf.Tensor1D),
            },
          });
          tf.variableGrads(() => tf.sum(dartsForward(net, x, weights(), "train")) as tf.Scalar, [
            alpha,
            ...store.trainable,
          ]);
          dartsForward(net, x, weights(), "eval");
        });
      step(); // pooling caches its constant tensors per shape on first use
      const before = tf.memory().numTensors;
      step();
      assert.equal(tf.memory().numTensors, before);
      x.dispose();
      alpha.dispose();
      store.dispose();
    });
  });
}
