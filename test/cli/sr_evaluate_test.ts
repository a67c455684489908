import assert from "node:assert/strict";
import { srEvaluate } from "../../src/cli/srEvaluate.ts";

const DATA = new URL("../../data/sr/", import.meta.url).pathname;

Deno.test("sr:evaluate --model bicubic --sets Set5 --json: per set and per image, the literature's baseline", async () => {
  const lines: string[] = [];
  await srEvaluate(["--model", "bicubic", "--sets", "Set5", "--data", DATA, "--json"], (l) => lines.push(l));
  const out = JSON.parse(lines.join("\n"));
  assert.equal(out.sets[0].set, "Set5");
  assert.equal(out.sets[0].perImage.length, 5);
  assert.ok(Math.abs(out.sets[0].psnr - 33.66) < 0.1 && Math.abs(out.sets[0].ssim - 0.9299) < 0.002);
  const text: string[] = [];
  await srEvaluate(["--model", "bicubic", "--sets", "Set5", "--data", DATA], (l) => text.push(l));
  assert.match(text.at(-1)!, /^Set5\s+5\s+33\.67\s+0\.9303\s+33\.66 \/ 0\.9299$/);
});

Deno.test("sr:evaluate: bad input is refused with what to do", async () => {
  await assert.rejects(() => srEvaluate([]), /--model is required/);
  await assert.rejects(
    () => srEvaluate(["--model", "edsr"]),
    /--model edsr: sr:evaluate scores "bicubic" so far/,
  );
  await assert.rejects(
    () => srEvaluate(["--model", "bicubic", "--scale", "4"]),
    /the benchmark pairs here are x2/,
  );
  await assert.rejects(
    () => srEvaluate(["--model", "bicubic", "--sets", "Set5,Set14", "--data", DATA]),
    /no Set14 under/,
  );
  await assert.rejects(() => srEvaluate(["--model", "bicubic", "--colour"]), /Unknown option '--colour'/);
});
