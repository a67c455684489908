import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

/** `deno task train ...args` in `cwd`: exit code, stdout, stderr. */
async function trainCli(args: string[], cwd = ROOT) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/cli/train.ts`, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, stdout: text(r.stdout), stderr: text(r.stderr) };
}

Deno.test("train CLI: --dry-run prints DARTS' parameter count and the multiply-adds, training nothing", async () => {
  const r = await trainCli(["--genotype", "DARTS_V2", "--preset", "paper", "--dry-run", "--backend", "cpu"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /parameters: 3,349,342 \(3\.349342M, DARTS' count: the auxiliary head's 476,426 apart\)/,
  );
  assert.match(r.stdout, /multiply-adds per 32x32 image: 528,359,040 \(528\.4M\)/);
});

Deno.test("train CLI: a smoke run into its default folder, read back with --resume; bad input refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      "--genotype",
      "PC_DARTS",
      "--preset",
      "smoke",
      "--epochs",
      "1",
      "--limit",
      "64",
      "--test-limit",
      "32",
      "--quiet",
    ];
    const r = await trainCli([...args, "--json"], dir);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.status, "finished");
    const [folder] = [...Deno.readDirSync(`${dir}/runs`)].map((e) => e.name);
    assert.match(folder, /^train-PC_DARTS-cifar10-smoke-s0-[0-9a-f]{8}$/);
    const again = await trainCli(args, dir);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds this run \(1 of 1 epochs done\): pass --resume/);
    const back = await trainCli([...args, "--resume", "--json"], dir);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(JSON.parse(back.stdout), summary);
    for (
      const [bad, message] of [
        [[], /give the genotype to train: --genotype NAME\|STRING\|FILE or --from runs\/<search>/],
        [["--genotype", "DARTS_V2", "--from", "x"], /one of them/],
        [
          ["--genotype", "Genotype(normal=[('sep_conv_3x3', 7)"],
          /sadarts train: parseDartsGenotype: not a DARTS genotype: at offset 36/,
        ],
        [["--genotype", "DARTS_V2", "--cells", "0"], /--cells expects a whole number ≥ 1, got "0"/],
        [
          ["--genotype", "DARTS_V2", "--auxiliary", "--dry-run"],
          /the auxiliary head needs 8–10-pixel maps at cell 5 \(32x32 inputs\), but 16x16 inputs give 4x4 there: turn it off \(--no-auxiliary/,
        ],
        [
          ["--genotype", "DARTS_V2", "--dataset", "mnist"],
          /--dataset must be cifar10 or cifar100, got "mnist"/,
        ],
        [["--genotype", "DARTS_V2", "--epochs", "two"], /--epochs expects a whole number ≥ 1, got "two"/],
        [["--from", `${dir}/runs/${folder}`], /this is a training run, not a search/],
        [
          ["--from", `${ROOT}notebooks/records/sa-cpu-s0-eb1db27a`],
          /its derived cell is not a DARTS-space genotype/,
        ],
        [["--genotype", "DARTS_V2", "--dataset", "cifar100"], /the shipped 16x16 images are CIFAR-10's/],
      ] as [string[], RegExp][]
    ) {
      const r = await trainCli([...bad, "--quiet"], dir);
      assert.equal(r.code, 1, `${bad.join(" ")}: exit code`);
      assert.match(r.stderr, message, bad.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
