import assert from "node:assert/strict";
import { deriveNb201, genotypeToString, parseGenotype } from "../../src/spaces/nb201.ts";

const RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";

Deno.test("nb201 genotype string round-trips, in the benchmark's edge order", () => {
  const ops = parseGenotype(RESNET);
  assert.deepEqual(ops, ["nor_conv_3x3", "none", "nor_conv_3x3", "skip_connect", "none", "skip_connect"]);
  assert.equal(genotypeToString(ops), RESNET);
});

Deno.test("nb201 genotype parser rejects malformed strings with the reason", () => {
  assert.throws(() => parseGenotype("|nor_conv_3x3~0|+|none~0|"), /3 groups/);
  assert.throws(() => parseGenotype(RESNET.replace("none~1", "none~2")), /input 1 of node 3/);
  assert.throws(
    () => parseGenotype(RESNET.replace("nor_conv_3x3~1", "sep_conv_3x3~1")),
    /unknown NAS-Bench-201 operation "sep_conv_3x3"/,
  );
  assert.throws(() => genotypeToString(["none"]), /6 edges/);
});

Deno.test("nb201 derive takes the argmax over all ops, none included", () => {
  const alpha = Array.from({ length: 6 }, () => [0, 0, 0, 0, 0]);
  alpha[0][0] = 1; // none wins on edge 1<-0
  alpha[1][3] = 0.5;
  alpha[5][4] = 0.2; // rows of ties keep the first op: none
  assert.deepEqual(deriveNb201(alpha), ["none", "nor_conv_3x3", "none", "none", "none", "avg_pool_3x3"]);
  assert.throws(() => deriveNb201(alpha.slice(1)), /6 rows/);
});
