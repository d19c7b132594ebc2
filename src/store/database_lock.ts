/** An exclusive lock on a database file's companion lock file. */
export interface DatabaseLock {
  release(): void;
}

/**
 * Takes an exclusive lock on `<path>.lock`, so only one server uses a
 * database file at a time. A server reclaims every delivery left in flight
 * at start, which is safe only when no other server is sending them. The
 * operating system releases the lock when the process ends, even on
 * `kill -9`. Raises when another process keeps it for longer than `waitMs`.
 */
export async function lockDatabase(
  path: string,
  waitMs = 1_000,
): Promise<DatabaseLock> {
  if (path === ":memory:") return { release() {} };

  const lockPath = `${path}.lock`;
  const file = await Deno.open(lockPath, { create: true, write: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timed_out">((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), waitMs);
  });
  const locking = file.lock(true).then(() => "locked" as const);
  const result = await Promise.race([locking, timedOut]);
  clearTimeout(timer);

  if (result === "timed_out") {
    // Closing the file ends the pending lock request, which then rejects.
    locking.catch(() => {});
    file.close();
    throw new Error(
      `DB_PATH: another process is serving ${
        JSON.stringify(path)
      } (it holds ${lockPath}); stop it, or give this server its own DB_PATH`,
    );
  }
  return { release: () => file.close() };
}
