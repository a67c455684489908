import assert from "node:assert/strict";

const CLI = new URL("../../src/cli/sweep.ts", import.meta.url).pathname;

async function sweepCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, stdout: text(r.stdout), stderr: text(r.stderr) };
}

Deno.test("deno task sweep: bad input is refused with one line that says what to do", async () => {
  const grid = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(grid, JSON.stringify({ methods: ["sa"], seeds: [0], preset: "smoke" }));
  const cases: [string[], RegExp][] = [
    [[], /give one grid file \(got 0\): see deno task sweep --help/],
    [[grid, "--workers", "0"], /--workers must be a positive integer, got "0"/],
    [[grid, "--frobnicate"], /unknown option --frobnicate: see deno task sweep --help/],
    [["/nonexistent.json"], /sweep grid \/nonexistent.json: cannot read it/],
  ];
  for (const [args, message] of cases) {
    const r = await sweepCli(args);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, message);
  }
  const dry = await sweepCli([grid, "--dry-run", "--root", "/nonexistent-root", "--no-records"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^sa-smoke-s0-[0-9a-f]{8} {2}sa, seed 0: to run$/m);
  assert.match((await sweepCli(["--help"])).stdout, /--workers N/);
  await Deno.remove(grid);
});
