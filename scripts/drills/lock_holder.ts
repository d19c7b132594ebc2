/**
 * Holds the write lock of a SQLite file for a while, as a backup tool
 * would: opens it with node:sqlite, runs `BEGIN IMMEDIATE`, prints
 * "locked", waits, commits, prints "released" and exits.
 *
 * Usage: `deno run --allow-read --allow-write lock_holder.ts DB_PATH HOLD_MS`
 */
import { DatabaseSync } from "node:sqlite";

const [dbPath, holdText] = Deno.args;
const holdMs = Number(holdText);
if (!dbPath || !Number.isInteger(holdMs) || holdMs < 0) {
  console.error("usage: lock_holder.ts DB_PATH HOLD_MS (whole milliseconds)");
  Deno.exit(2);
}

const database = new DatabaseSync(dbPath);
database.exec("PRAGMA busy_timeout = 5000");
database.exec("BEGIN IMMEDIATE");
console.log("locked");
await new Promise((resolve) => setTimeout(resolve, holdMs));
database.exec("COMMIT");
database.close();
console.log("released");
