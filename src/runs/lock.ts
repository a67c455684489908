/**
 * One process at a time per run folder: an exclusive, non-blocking `flock` (`Deno.FsFile.tryLock`) on
 * the folder's `lock` file, held for as long as the run has the folder open.
 *
 * Why flock and not a pid file: the kernel releases a flock when its holder dies, however it dies
 * (SIGKILL, OOM, power cut of a network mount's client aside), so a lock left by a dead process is taken
 * over by the next opener with no guessing whether a pid is still alive or was reused. The file also
 * holds who took it (pid, host, start time, command) — only for the refusal message; the flock, not the
 * text, is the lock. flock is per open file, so two searches in one process exclude each other too.
 *
 * The holder deletes the file while it still holds the lock, then closes it. An opener that locked a
 * file which was deleted meanwhile (it opened the old inode just before the deletion) sees that the
 * path now names another inode, or none, and tries again; so at most one process ever holds the lock
 * on the file the path names.
 * @module
 */

/** Who holds a run folder (what the `lock` file says). */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  command: string;
}

/** The run folder is held by another process (or another search of this one). */
export class RunFolderInUseError extends Error {
  override name = "RunFolderInUseError";
  constructor(readonly dir: string, readonly holder: LockHolder | undefined) {
    super(
      holder
        ? `${dir} is in use by process ${holder.pid} on ${holder.host} since ${holder.started} ` +
          `(${holder.command}): wait for it to finish or stop it`
        : `${dir} is in use by another process (it is writing its name into ${dir}/lock): ` +
          `wait for it to finish or stop it`,
    );
  }
}

/** A held lock: `release` deletes the lock file and lets go (idempotent). */
export interface RunFolderLock {
  path: string;
  holder: LockHolder;
  release(): void;
}

/** The lock file of the run folder `dir`. */
export function lockPath(dir: string): string {
  return `${dir}/lock`;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "this host";
  }
}

function thisCommand(): string {
  try {
    return ["deno", Deno.mainModule.replace(/^file:\/\//, ""), ...Deno.args].join(" ");
  } catch {
    return "deno";
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(Deno.readTextFileSync(path));
    return typeof h?.pid === "number" ? h as LockHolder : undefined;
  } catch {
    return undefined;
  }
}

const sameFile = (a: Deno.FileInfo, b: Deno.FileInfo) => a.ino === b.ino && a.dev === b.dev;

/**
 * Take the lock of the existing folder `dir`, or throw {@link RunFolderInUseError} naming the holder.
 * Never waits. `command` describes this process in the holder record (default: its command line).
 */
export function lockRunFolder(dir: string, command = thisCommand()): RunFolderLock {
  const path = lockPath(dir);
  for (let attempt = 0;; attempt++) {
    const file = Deno.openSync(path, { read: true, write: true, create: true });
    let locked = false;
    try {
      locked = file.tryLockSync(true);
      if (!locked) throw new RunFolderInUseError(dir, readHolder(path));
      let now: Deno.FileInfo | undefined;
      try {
        now = Deno.statSync(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      if (now && sameFile(now, file.statSync())) {
        const holder: LockHolder = {
          pid: Deno.pid,
          host: hostname(),
          started: new Date().toISOString(),
          command,
        };
        file.truncateSync(0);
        const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
        for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
        let released = false;
        return {
          path,
          holder,
          release() {
            if (released) return;
            released = true;
            try {
              Deno.removeSync(path);
            } catch { /* already gone: nothing to tidy */ }
            file.close();
          },
        };
      }
      if (attempt > 100) throw new Error(`${path} keeps being replaced: cannot lock ${dir}`);
    } catch (e) {
      file.close();
      throw e;
    }
    file.close(); // the holder deleted the file we locked: lock the new one
  }
}
