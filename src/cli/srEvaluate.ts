/**
 * `deno task sr:evaluate --model bicubic [--sets Set5,Set14,B100,Urban100] [--data DIR] [--json]`: PSNR and
 * SSIM of a super-resolution model on the benchmark sets by the SR literature's protocol (Y channel of
 * BT.601, border shave of the scale; src/sr/quality.ts), per set, and per image with `--json`.
 * @module
 */
import { parseArgs } from "node:util";
import {
  bicubicModel,
  loadBenchmarkSet,
  scoreSet,
  SR_BENCHMARK_SETS,
  type SrModel,
  type SrSetScore,
} from "../sr/benchmarks.ts";

const HELP = `deno task sr:evaluate --model MODEL [options]

  --model MODEL     bicubic (MATLAB's bicubic upscale, the literature's baseline)
  --sets LIST       comma-separated, from ${SR_BENCHMARK_SETS.join(", ")} (default all)
  --data DIR        the folder holding the sets (default data/sr, which ships Set5; on these machines
                    ../shared/data/sr has all four): <set>/x2/img_NNN_SRF_2_{HR,LR}.png pairs, or
                    <set>/HR/*.png ground truths whose inputs are made by bicubic downscaling
  --scale N         2 (default; the shipped pairs are x2)
  --json            one JSON object: per set and per image
`;

/** The SR literature's bicubic x2 scores (SPECS §11), printed beside a bicubic run. */
const LITERATURE_BICUBIC_X2: Record<string, [number, number]> = {
  Set5: [33.66, 0.9299],
  Set14: [30.24, 0.8688],
  B100: [29.56, 0.8431],
  Urban100: [26.88, 0.8403],
};

function modelByName(name: string, scale: number): SrModel {
  if (name === "bicubic") return bicubicModel(scale);
  throw new Error(
    `--model ${name}: sr:evaluate scores "bicubic" so far; scoring a trained SR network's run folder ` +
      "comes with the SR trainer",
  );
}

/** Run the command with `args`; returns the scores (the tests call it). */
export async function srEvaluate(
  args: string[],
  print: (line: string) => void = console.log,
): Promise<SrSetScore[]> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      model: { type: "string" },
      sets: { type: "string" },
      data: { type: "string" },
      scale: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    print(HELP);
    return [];
  }
  if (!values.model) throw new Error("--model is required (e.g. --model bicubic); --help lists the options");
  const scale = Number(values.scale ?? 2);
  if (scale !== 2) throw new Error(`--scale ${values.scale}: the benchmark pairs here are x2; use --scale 2`);
  const model = modelByName(values.model, scale);
  const sets = (values.sets ?? SR_BENCHMARK_SETS.join(",")).split(",").map((s) => s.trim()).filter(Boolean);
  const root = values.data ?? "data/sr";
  // Load every set first, so a missing one is reported before minutes of scoring.
  const loaded = [];
  for (const set of sets) loaded.push({ set, pairs: await loadBenchmarkSet(root, set, scale) });
  const scores: SrSetScore[] = [];
  for (const { set, pairs } of loaded) scores.push(await scoreSet(set, pairs, model, scale));
  if (values.json) {
    print(JSON.stringify({ model: values.model, scale, data: root, sets: scores }, null, 2));
    return scores;
  }
  print(`${values.model} x${scale}: PSNR / SSIM on Y (BT.601), shave ${scale}, data ${root}`);
  print(
    "set        images  PSNR (dB)  SSIM    " + (values.model === "bicubic" ? "literature (bicubic)" : ""),
  );
  for (const s of scores) {
    const lit = values.model === "bicubic" ? LITERATURE_BICUBIC_X2[s.set] : undefined;
    const litText = lit
      ? `${lit[0].toFixed(2)} / ${lit[1].toFixed(4)}${s.set === "Urban100" ? " (all 100 images)" : ""}`
      : "";
    print(
      `${s.set.padEnd(10)} ${String(s.images).padStart(6)}  ${s.psnr.toFixed(2).padStart(9)}  ${
        s.ssim.toFixed(4)
      }  ${litText}`,
    );
  }
  return scores;
}

if (import.meta.main) {
  try {
    await srEvaluate(Deno.args);
  } catch (e) {
    console.error(`sr:evaluate: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
