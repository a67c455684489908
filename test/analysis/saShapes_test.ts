import assert from "node:assert/strict";
import { FIG9_SETTINGS, smoothActivationShapes } from "../../src/analysis/saShapes.ts";
import { onBackend } from "../helpers.ts";

/** Abramowitz–Stegun 7.1.26 is too coarse here; erf by its Taylor series (|x| ≤ 3: 60 terms suffice). */
function erf(x: number): number {
  let sum = 0, term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= -x * x / (n + 1);
  }
  return 2 / Math.sqrt(Math.PI) * sum;
}

function rowsOf(setting: string, frame: ReturnType<typeof smoothActivationShapes>) {
  return (frame.toRecords() as { setting: string; alpha: number; term: number; slope: number }[])
    .filter((r) => r.setting === setting);
}

Deno.test("smoothActivationShapes: μ = 1/√2, ν = 0 is GELU, α·Φ(α), with slope Φ(α) + α·φ(α)", async () => {
  await onBackend("cpu", () => {
    const f = smoothActivationShapes([{ label: "gelu", mu: Math.SQRT1_2, nu: 0 }], {
      domain: [-2.5, 2.5],
      points: 11,
    });
    const rows = rowsOf("gelu", f);
    assert.equal(rows.length, 11);
    for (const { alpha: a, term, slope } of rows) {
      const cdf = (1 + erf(a / Math.SQRT2)) / 2;
      const pdf = Math.exp(-a * a / 2) / Math.sqrt(2 * Math.PI);
      assert.ok(Math.abs(term - a * cdf) < 2e-6, `GELU(${a}): ${term} vs ${a * cdf}`);
      assert.ok(Math.abs(slope - (cdf + a * pdf)) < 2e-5, `GELU'(${a}): ${slope} vs ${cdf + a * pdf}`);
    }
  });
});

Deno.test("smoothActivationShapes: μ → ∞ is Leaky ReLU with slope ν; ν = 1 and μ = 0 are linear", async () => {
  await onBackend("cpu", () => {
    const f = smoothActivationShapes([
      { label: "leaky", mu: 1e6, nu: 0.25 },
      { label: "mean", nu: 1 },
      { label: "flat", mu: 0, nu: 0.25 },
    ], { domain: [-2, 2], points: 9 });
    for (const r of rowsOf("leaky", f).filter((r) => r.alpha !== 0)) {
      const slope = r.alpha > 0 ? 1 : 0.25;
      assert.ok(Math.abs(r.term - slope * r.alpha) < 1e-6, `leaky(${r.alpha}) = ${r.term}`);
      assert.ok(Math.abs(r.slope - slope) < 1e-6, `leaky'(${r.alpha}) = ${r.slope}`);
    }
    for (const r of rowsOf("mean", f)) {
      assert.ok(Math.abs(r.term - r.alpha) < 1e-6 && Math.abs(r.slope - 1) < 1e-6);
    }
    // μ = 0: (1 + ν)/2 · α whatever α, i.e. the mean of α with λ scaled by 0.625.
    for (const r of rowsOf("flat", f)) {
      assert.ok(Math.abs(r.term - 0.625 * r.alpha) < 1e-6 && Math.abs(r.slope - 0.625) < 1e-6);
    }
  });
});

Deno.test("smoothActivationShapes: the paper's six Fig. 9 settings by default, in order; bad input is refused", async () => {
  await onBackend("cpu", () => {
    const f = smoothActivationShapes();
    assert.deepEqual([...new Set(f.getColumn("setting").toArray())], FIG9_SETTINGS.map((s) => s.label));
    assert.equal(f.height, 6 * 241);
    assert.throws(() => smoothActivationShapes([], {}), /at least one/);
    assert.throws(() => smoothActivationShapes(undefined, { domain: [1, -1] }), /low < high/);
    assert.throws(() => smoothActivationShapes(undefined, { points: 1 }), /points must be an integer ≥ 2/);
    assert.throws(() => smoothActivationShapes([{ nu: 2 }]), /ν must be in \[0, 1\], got 2/);
  });
});
