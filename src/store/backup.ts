import { backup, DatabaseSync } from "node:sqlite";
import { LOCK_WAIT_MS } from "./database.ts";

/** Summary of a finished backup. */
export interface BackupResult {
  /** Size of the backup file, in bytes. */
  bytes: number;
  /** Events in the backup. */
  events: number;
  /** The output of `PRAGMA quick_check` on the copy: "ok" when sound. */
  check: string;
}

/**
 * Copies the database at `sourcePath` into a new file at `targetPath` with
 * SQLite's online backup API, while other connections keep writing. All
 * pages are copied in one step, inside one read transaction, so the copy
 * is a consistent snapshot and a write during the backup cannot restart
 * it. Raises `Deno.errors.AlreadyExists` when `targetPath` exists: a backup
 * never overwrites a file.
 *
 * `VACUUM INTO` would compact the copy too, but Deno 2.9 lets
 * `node:sqlite` attach another file only under `--allow-all`, and the
 * executable runs with narrower permissions.
 */
export async function backupDatabase(
  sourcePath: string,
  targetPath: string,
): Promise<BackupResult> {
  // Creating the file first claims the name atomically: a second backup to
  // the same path fails here instead of overwriting the first.
  (await Deno.open(targetPath, { write: true, createNew: true })).close();

  const source = new DatabaseSync(sourcePath);
  try {
    source.exec(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`);
    // A rate of -1 copies every page in one step.
    await backup(source, targetPath, { rate: -1 });
  } catch (error) {
    await Deno.remove(targetPath).catch(() => undefined);
    throw error;
  } finally {
    source.close();
  }

  const copy = new DatabaseSync(targetPath);
  let events: number;
  let check: string;
  try {
    // The copy inherits WAL mode; a rollback journal keeps it one file.
    copy.exec("PRAGMA journal_mode = DELETE");
    events = Number(
      copy.prepare("SELECT count(*) AS count FROM events").get()?.count,
    );
    check = String(copy.prepare("PRAGMA quick_check").get()?.quick_check);
  } finally {
    copy.close();
  }

  const { size } = await Deno.stat(targetPath);
  return { bytes: size, events, check };
}
