import assert from "node:assert/strict";
import { lockPath, lockRunFolder, RunFolderInUseError } from "../../src/runs/lock.ts";

Deno.test("lock: one holder at a time, named in the refusal; released locks go with their file", async () => {
  const dir = await Deno.makeTempDir();
  const a = lockRunFolder(dir, "deno task search --seed 0");
  const err = (() => {
    try {
      lockRunFolder(dir);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof RunFolderInUseError);
  assert.equal(err.holder?.pid, Deno.pid);
  assert.match(
    err.message,
    new RegExp(`is in use by process ${Deno.pid} on .+ since \\d{4}-.*\\(deno task search --seed 0\\): wait`),
  );
  a.release();
  a.release(); // idempotent
  assert.equal(await Deno.stat(lockPath(dir)).catch(() => undefined), undefined);
  const b = lockRunFolder(dir);
  b.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: a lock file whose holder died (no flock on it) is taken over", async () => {
  const dir = await Deno.makeTempDir();
  // A child takes the lock and is killed: the kernel drops its flock, the file stays.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const { lockRunFolder } = await import(${
        JSON.stringify(new URL("../../src/runs/lock.ts", import.meta.url).href)
      });
       lockRunFolder(${
        JSON.stringify(dir)
      }); console.log("held"); await new Promise(() => setInterval(() => {}, 1000));`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read(); // "held"
  assert.throws(() => lockRunFolder(dir), RunFolderInUseError);
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  const holder = JSON.parse(await Deno.readTextFile(lockPath(dir)));
  assert.notEqual(holder.pid, Deno.pid, "the dead holder's record is still there");
  const taken = lockRunFolder(dir);
  assert.equal(JSON.parse(await Deno.readTextFile(lockPath(dir))).pid, Deno.pid);
  taken.release();
  await Deno.remove(dir, { recursive: true });
});
