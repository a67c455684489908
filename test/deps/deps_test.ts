/** src/deps/ pins every npm package sadarts' source imports; deno.json's import map must pin the same. */
import assert from "node:assert/strict";
import { npmPackageDir } from "../../src/deps/npmFiles.ts";

const root = new URL("../../", import.meta.url);

Deno.test("every npm specifier in src/ is in src/deps/ and pinned as in deno.json", async () => {
  const imports: Record<string, string> =
    JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).imports;
  const pinned = new Set(Object.values(imports));
  const found = new Map<string, string>();
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(url);
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        // Bare package specifiers would need this repository's import map: a user's folder has none.
        // Static imports and re-exports (at a line's start), side-effect imports and dynamic imports.
        const specifiers =
          /^\s*(?:import|export)\b[^;"]*?\bfrom\s+"([^".][^"]*)"|^\s*import\s+"([^".][^"]*)"|\bimport\(\s*"([^".][^"]*)"/gm;
        for (const hit of text.matchAll(specifiers)) {
          const m = [hit[0], hit[1] ?? hit[2] ?? hit[3]];
          assert.ok(
            /^(npm:|node:)/.test(m[1]),
            `${url.pathname}: import "${m[1]}" needs an import map; use src/deps/`,
          );
          if (m[1].startsWith("npm:")) found.set(m[1], url.pathname);
        }
      }
    }
  };
  await walk(new URL("src/", root));
  for (const [spec, file] of found) {
    assert.ok(
      file.includes("/src/deps/") || spec.includes("tfjs-node"),
      `${file} imports ${spec} outside src/deps/`,
    );
    if (!spec.includes("tfjs-node")) {
      assert.ok(pinned.has(spec), `${spec} (${file}) differs from deno.json's imports`);
    }
  }
  assert.ok(found.size >= 8, `found ${found.size} npm specifiers`);
});

Deno.test("npmPackageDir finds a package's files and refuses a malformed specifier", () => {
  const dir = npmPackageDir("npm:@resvg/resvg-wasm@2.6.2");
  assert.ok(Deno.statSync(new URL("index_bg.wasm", dir)).isFile);
  assert.throws(() => npmPackageDir("@resvg/resvg-wasm"), /not of the form npm:name@version/);
});
