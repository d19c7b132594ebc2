import assert from "node:assert/strict";
import {
  findDatabasePathProblem,
  openDatabaseAtPath,
} from "./database_path.ts";

async function withFolder(run: (folder: string) => Promise<void> | void) {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-dbpath-" });
  try {
    await run(folder);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

Deno.test("database path to a folder is rejected", async () => {
  await withFolder((folder) => {
    assert.equal(
      findDatabasePathProblem(folder),
      `DB_PATH: cannot open "${folder}" as a SQLite database: it is a folder; expected a file path such as data/asknewton.db`,
    );
  });
});

Deno.test("database path to a JSON file is rejected", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/events.json`;
    await Deno.writeTextFile(path, '{"events": []}');

    assert.equal(
      findDatabasePathProblem(path),
      `DB_PATH: cannot open "${path}" as a SQLite database: the file exists and is not a SQLite database; expected a new path or an existing database file`,
    );
  });
});

Deno.test("database path through a file is rejected", async () => {
  await withFolder(async (folder) => {
    await Deno.writeTextFile(`${folder}/config.json`, "{}");
    const path = `${folder}/config.json/data/asknewton.db`;

    assert.equal(
      findDatabasePathProblem(path),
      `DB_PATH: cannot open "${path}" as a SQLite database: "${folder}/config.json" is a file, so no folder can be created inside it; expected a path inside a folder`,
    );
  });
});

Deno.test("database path in new folders is accepted", async () => {
  await withFolder((folder) => {
    assert.equal(
      findDatabasePathProblem(`${folder}/a/b/asknewton.db`),
      undefined,
    );
  });
});

Deno.test("empty database file is accepted", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/asknewton.db`;
    await Deno.writeFile(path, new Uint8Array());

    assert.equal(findDatabasePathProblem(path), undefined);
  });
});

Deno.test("existing database file is accepted", async () => {
  await withFolder((folder) => {
    const path = `${folder}/asknewton.db`;
    openDatabaseAtPath(path).close();

    assert.equal(findDatabasePathProblem(path), undefined);
  });
});

Deno.test("open of a folder names DB_PATH", async () => {
  await withFolder((folder) => {
    assert.throws(
      () => openDatabaseAtPath(folder),
      (error: Error) =>
        error.message.startsWith(`DB_PATH: cannot open "${folder}"`),
    );
  });
});

Deno.test("open of a damaged file names DB_PATH", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/asknewton.db`;
    const bytes = new Uint8Array(4096);
    bytes.set(new TextEncoder().encode("SQLite format 3\0"));
    bytes.fill(0xff, 16);
    await Deno.writeFile(path, bytes);

    assert.throws(
      () => openDatabaseAtPath(path),
      (error: Error) =>
        error.message.startsWith(
          `DB_PATH: cannot open "${path}" as a SQLite database: `,
        ) &&
        error.message.endsWith("no other program locks the file"),
    );
  });
});
