import { DatabaseSync } from "node:sqlite";
import { dirname } from "node:path";
import { MIGRATIONS } from "./schema.ts";

/**
 * How long one SQLite call waits for a lock before returning SQLITE_BUSY.
 * It is short on purpose: `DatabaseSync` blocks the event loop while it
 * waits, so longer waits happen asynchronously in the callers' retry loops.
 */
export const LOCK_WAIT_MS = 50;

/**
 * Opens (creating when needed) the SQLite file in WAL mode and brings its
 * schema up to date. `synchronous=FULL` makes every commit durable on disk
 * before the transaction returns, which is what lets a 200 promise that the
 * event survives a power cut, not only a process crash.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ":memory:") {
    Deno.mkdirSync(dirname(path), { recursive: true });
  }

  const database = new DatabaseSync(path);
  database.exec(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`);
  database.exec("PRAGMA journal_mode = WAL");
  database.exec("PRAGMA synchronous = FULL");
  database.exec("PRAGMA foreign_keys = ON");
  migrate(database);
  return database;
}

/** Applies the migrations newer than `PRAGMA user_version`, each atomically. */
export function migrate(database: DatabaseSync): void {
  const row = database.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };

  for (
    let version = row.user_version;
    version < MIGRATIONS.length;
    version++
  ) {
    database.exec("BEGIN IMMEDIATE");
    try {
      database.exec(MIGRATIONS[version]);
      database.exec(`PRAGMA user_version = ${version + 1}`);
      database.exec("COMMIT");
    } catch (error) {
      database.exec("ROLLBACK");
      throw error;
    }
  }
}

/** SQLite result codes the callers branch on. */
export const SQLITE_BUSY = 5;
export const SQLITE_FULL = 13;

/**
 * SQLite's own messages for the result codes above, from `sqlite3_errstr`.
 * Deno's `node:sqlite` (2.9) sets no `errcode` on its errors, only the
 * generic `code` "ERR_SQLITE_ERROR", so the code is read from the message.
 */
const MESSAGE_CODES: readonly [string, number][] = [
  ["database is locked", SQLITE_BUSY],
  ["database or disk is full", SQLITE_FULL],
];

/**
 * Returns the primary SQLite result code of an error from `node:sqlite`:
 * `errcode` where the runtime sets it, otherwise the code whose message
 * the error carries. Returns undefined for any other error.
 */
export function sqliteErrorCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { errcode?: unknown }).errcode;
  if (typeof code === "number") return code & 0xff;

  const message = (error as { message?: unknown }).message;
  if (typeof message !== "string") return undefined;
  return MESSAGE_CODES.find(([text]) => message.includes(text))?.[1];
}

/** Runs `work` inside `BEGIN IMMEDIATE` … `COMMIT`, rolling back on error. */
export function transaction<T>(database: DatabaseSync, work: () => T): T {
  database.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    database.exec("COMMIT");
    return result;
  } catch (error) {
    if (database.isTransaction) database.exec("ROLLBACK");
    throw error;
  }
}
