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
    if (e instanceof Deno.errors.IsADirectory) throw new Error(folderNotFile(name));
    throw e;
  }
  try {
    return decode(bytes);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** The message for a folder where a file was expected. */
function folderNotFile(name: string): string {
  return `${name} is a folder, not a file: give the file's path (or move the folder away if it stands ` +
    `where a file should be)`;
}

/** Whether `path` exists (as anything); errors other than its absence are thrown. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * The bytes of `path`, or undefined when there is no such file; a folder in its place is an error that
 * says so (other errors are thrown as they are).
 */
export async function readFileIfExists(path: string | URL): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof Deno.errors.IsADirectory) {
      throw new Error(folderNotFile(path instanceof URL ? path.pathname : path));
    }
    throw e;
  }
}
