import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  openDatabase,
  SQLITE_BUSY,
  SQLITE_FULL,
  sqliteErrorCode,
} from "./database.ts";

function errorOf(work: () => void): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  assert.fail("expected the statement to fail");
}

Deno.test("sqliteErrorCode maps a held lock to SQLITE_BUSY", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-database-" });
  const holder = openDatabase(`${folder}/test.db`);
  const waiter = new DatabaseSync(`${folder}/test.db`);
  try {
    holder.exec("BEGIN IMMEDIATE");
    waiter.exec("PRAGMA busy_timeout = 0");
    const error = errorOf(() => waiter.exec("BEGIN IMMEDIATE"));

    assert.equal(sqliteErrorCode(error), SQLITE_BUSY);
  } finally {
    holder.exec("ROLLBACK");
    waiter.close();
    holder.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("sqliteErrorCode maps a full database to SQLITE_FULL", () => {
  const database = openDatabase(":memory:");
  try {
    const pages = database.prepare("PRAGMA page_count").get()?.page_count;
    database.exec(`PRAGMA max_page_count = ${Number(pages)}`);
    const error = errorOf(() =>
      database.exec(
        "CREATE TABLE filler (blob BLOB); INSERT INTO filler VALUES (zeroblob(100000))",
      )
    );

    assert.equal(sqliteErrorCode(error), SQLITE_FULL);
  } finally {
    database.close();
  }
});

Deno.test("sqliteErrorCode ignores other errors", () => {
  const database = openDatabase(":memory:");
  try {
    const error = errorOf(() => database.exec("SELECT * FROM missing_table"));

    assert.equal(sqliteErrorCode(error), undefined);
    assert.equal(sqliteErrorCode(new Error("database is")), undefined);
    assert.equal(sqliteErrorCode("database is locked"), undefined);
  } finally {
    database.close();
  }
});
