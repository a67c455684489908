/**
 * Where an npm package's own files are (its .wasm binaries, scripts), however Deno resolved it: in a
 * project with a node_modules folder (this repository) `import.meta.resolve` gives a file URL; in a
 * folder without one (a user's notebook importing sadarts by path) Deno keeps npm packages in its global
 * cache and `import.meta.resolve` gives back the `npm:` specifier, so the folder is looked up in the cache
 * that `deno info --json` names.
 * @module
 */

let npmCache: string | undefined;

/** Deno's global npm cache folder (asked of the running Deno once per process). */
function denoNpmCache(): string {
  if (npmCache) return npmCache;
  const r = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped", stderr: "null" })
    .outputSync();
  const cache = r.success ? JSON.parse(new TextDecoder().decode(r.stdout)).npmCache : undefined;
  if (typeof cache !== "string") throw new Error("cannot find Deno's npm cache folder (deno info --json)");
  return (npmCache = cache);
}

/**
 * The folder (ending in "/") of the npm package `specifier` ("npm:name@version"), as a file URL.
 * @example
 * ```ts
 * import { npmPackageDir } from "./npmFiles.ts";
 * const dir = npmPackageDir("npm:@resvg/resvg-wasm@2.6.2");
 * console.assert(dir.protocol === "file:" && dir.pathname.endsWith("/"));
 * ```
 */
export function npmPackageDir(specifier: string): URL {
  const m = specifier.match(/^npm:((?:@[^/@]+\/)?[^/@]+)@([^/]+)$/);
  if (!m) throw new Error(`npmPackageDir: "${specifier}" is not of the form npm:name@version`);
  const resolved = import.meta.resolve(specifier); // the package's entry file
  if (resolved.startsWith("file:")) {
    // Up from the entry file to the package's root (the folder node_modules/<name>/).
    const path = new URL(resolved).pathname;
    const root = path.lastIndexOf(`/node_modules/${m[1]}/`);
    if (root >= 0) return new URL(`file://${path.slice(0, root + `/node_modules/${m[1]}/`.length)}`);
  }
  const dir = `${denoNpmCache()}/registry.npmjs.org/${m[1]}/${m[2]}/`;
  try {
    Deno.statSync(`${dir}package.json`);
  } catch {
    throw new Error(`npm package ${m[1]}@${m[2]} is not in Deno's cache (${dir}): import it once first`);
  }
  return new URL(`file://${dir}`);
}
