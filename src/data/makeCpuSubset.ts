/**
 * Builds the data files sadarts ships (see data/README.md):
 *
 * - `data/cifar10_train10k_16x16.bin`: all 10,000 records of `../shared/data/cifar10/train_10k.bin`,
 *   average-pooled 2x2 to 16x16 (`downsample2x`: mean of 4 bytes, rounded half up), in the sadarts format.
 * - `data/cifar10_test2k_16x16.bin`: the 2,000 records of `../shared/data/cifar10/test_2k.bin` (CIFAR-10's
 *   test set, 200 per class), pooled the same way: the held-out test set of the trainer's `cpu` preset.
 * - with `--fixtures`, also the test fixtures in the official CIFAR layout:
 *   `test/fixtures/cifar10_20.bin` (the first 20 records of train_10k.bin, byte for byte) and
 *   `test/fixtures/cifar100_5.bin` (5 synthetic CIFAR-100 records, `syntheticCifar100`).
 *
 * ```sh
 * deno run --allow-read --allow-write src/data/makeCpuSubset.ts [--source PATH] [--test-source PATH] [--fixtures]
 * ```
 * @module
 */
import { cifarRecordBytes, loadCifarFile } from "./cifar.ts";
import { downsample2x } from "./pipeline.ts";
import { encodeSadarts } from "./sadartsFormat.ts";

const ROOT = new URL("../../", import.meta.url);

/** Default source: the shared CIFAR-10 subset next to the repository. */
export const DEFAULT_SOURCE = new URL("../shared/data/cifar10/train_10k.bin", ROOT);
/** Default test source: the shared 2k images of CIFAR-10's test set. */
export const DEFAULT_TEST_SOURCE = new URL("../shared/data/cifar10/test_2k.bin", ROOT);

/** Coarse and fine labels of the synthetic CIFAR-100 records (extremes 0, 19 / 99 included). */
export const SYNTHETIC_CIFAR100_LABELS: ReadonlyArray<readonly [coarse: number, fine: number]> = [
  [0, 0],
  [19, 99],
  [7, 42],
  [3, 5],
  [12, 63],
];

/**
 * Pixel byte p (0..3071, in the official planar order: 1024 red, 1024 green, 1024 blue) of synthetic
 * record r: a pattern that differs across records, planes and positions, so a reader that mixes them up
 * fails.
 */
export function syntheticPixel(r: number, p: number): number {
  return (r * 50 + p * 7 + (p >> 10) * 13) & 255;
}

/** The synthetic CIFAR-100 fixture: 5 records of 2 label bytes (coarse, fine) + 3072 pixel bytes. */
export function syntheticCifar100(): Uint8Array {
  const per = cifarRecordBytes("cifar100");
  const out = new Uint8Array(SYNTHETIC_CIFAR100_LABELS.length * per);
  SYNTHETIC_CIFAR100_LABELS.forEach(([coarse, fine], r) => {
    out[r * per] = coarse;
    out[r * per + 1] = fine;
    for (let p = 0; p < 3072; p++) out[r * per + 2 + p] = syntheticPixel(r, p);
  });
  return out;
}

async function main(args: string[]): Promise<void> {
  const option = (name: string, fallback: URL) => {
    const at = args.indexOf(name);
    if (at >= 0 && args[at + 1] === undefined) throw new Error(`${name} needs a path`);
    return at >= 0 ? args[at + 1] : fallback;
  };
  const source = option("--source", DEFAULT_SOURCE);
  for (
    const [from, name] of [[source, "cifar10_train10k_16x16.bin"], [
      option("--test-source", DEFAULT_TEST_SOURCE),
      "cifar10_test2k_16x16.bin",
    ]] as const
  ) {
    const full = await loadCifarFile(from, { variant: "cifar10" });
    const out = new URL(`data/${name}`, ROOT);
    const bytes = encodeSadarts(downsample2x(full));
    await Deno.writeFile(out, bytes);
    console.log(`${out.pathname}: ${full.count} images 16x16x3, ${bytes.length} bytes`);
  }
  if (args.includes("--fixtures")) {
    const raw = await Deno.readFile(source);
    const c10 = new URL("test/fixtures/cifar10_20.bin", ROOT);
    await Deno.writeFile(c10, raw.subarray(0, 20 * cifarRecordBytes("cifar10")));
    const c100 = new URL("test/fixtures/cifar100_5.bin", ROOT);
    await Deno.writeFile(c100, syntheticCifar100());
    console.log(`${c10.pathname}, ${c100.pathname}`);
  }
}

if (import.meta.main) await main(Deno.args);
