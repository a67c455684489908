/**
 * Reading a data file the same way for every format: a missing file is an error that says what the file
 * is and where it comes from; a file that does not decode is an error that names it.
 * @module
 */

/**
 * Read `path` and decode it. `missing(name)` words the error for a file that does not exist; a decoding
 * error is re-thrown prefixed with the file's name.
 */
export async function readDataFile<T>(
  path: string | URL,
  decode: (bytes: Uint8Array) => T,
  missing: (name: string) => string,
): Promise<T> {
  const name = path instanceof URL ? path.pathname : path;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(missing(name));
    throw e;
  }
  try {
    return decode(bytes);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** The bytes of `path`, or undefined when there is no such file (other errors are thrown). */
export async function readFileIfExists(path: string | URL): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}
