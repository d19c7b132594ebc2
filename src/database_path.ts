import type { DatabaseSync } from "node:sqlite";
import { dirname } from "node:path";
import { openDatabase } from "./store/database.ts";

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = "SQLite format 3\0";

const PATH_EXAMPLE = "expected a file path such as data/asknewton.db";

/**
 * Finds why `DB_PATH` cannot be a SQLite database: it is a folder, a file
 * that is not SQLite, or a path through a file. Returns one line that names
 * `DB_PATH`, its value and the fix, or undefined when none of these applies.
 * Never throws. An open may still fail for reasons these checks cannot see,
 * such as a damaged file or a lock held by another program.
 */
export function findDatabasePathProblem(path: string): string | undefined {
  if (path === ":memory:") return undefined;

  const fault = findFault(path);
  if (fault === undefined) return undefined;
  return `DB_PATH: cannot open ${
    JSON.stringify(path)
  } as a SQLite database: ${fault}`;
}

/**
 * Opens the database at `DB_PATH` as `serve` does. Every failure becomes an
 * error whose message names `DB_PATH`, its value, what failed and what to
 * do, instead of SQLite's or the operating system's bare message.
 */
export function openDatabaseAtPath(path: string): DatabaseSync {
  const problem = findDatabasePathProblem(path);
  if (problem) throw new Error(problem);

  try {
    return openDatabase(path);
  } catch (error) {
    throw new Error(
      `DB_PATH: cannot open ${JSON.stringify(path)} as a SQLite database: ${
        (error as Error).message
      }; check that its folder can be created and written, and that no other program locks the file`,
      { cause: error },
    );
  }
}

function findFault(path: string): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return findFileInPath(path);
    if (error instanceof Deno.errors.NotADirectory) {
      return findFileInPath(path) ?? (error as Error).message;
    }
    return describeAccessError(error);
  }

  if (info.isDirectory) return `it is a folder; ${PATH_EXAMPLE}`;
  if (!info.isFile) return `it is not a regular file; ${PATH_EXAMPLE}`;
  if (info.size === 0) return undefined;
  return checkHeader(path);
}

/**
 * Walks up from a missing path to the first part that exists. When that part
 * is a file, the folders below it can never be created.
 */
function findFileInPath(path: string): string | undefined {
  let folder = dirname(path);
  while (true) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(folder);
    } catch {
      // Missing, or not readable under this process's permissions: go on
      // up, and leave the verdict to the open when nothing is found.
      const parent = dirname(folder);
      if (parent === folder) return undefined;
      folder = parent;
      continue;
    }
    if (info.isDirectory) return undefined;
    return `${
      JSON.stringify(folder)
    } is a file, so no folder can be created inside it; expected a path inside a folder`;
  }
}

function checkHeader(path: string): string | undefined {
  const header = new Uint8Array(SQLITE_HEADER.length);
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(path, { read: true });
    const length = file.readSync(header) ?? 0;
    const text = new TextDecoder().decode(header.subarray(0, length));
    if (text === SQLITE_HEADER) return undefined;
  } catch (error) {
    return describeAccessError(error);
  } finally {
    file?.close();
  }

  return "the file exists and is not a SQLite database; expected a new path or an existing database file";
}

function describeAccessError(error: unknown): string {
  const message = (error as Error).message;
  if (!(error instanceof Deno.errors.NotCapable)) {
    return `cannot inspect it (${message})`;
  }
  // Deno 2.9 requires every permission before it touches /proc, /dev or
  // /sys; other denials come from the executable's fixed folders.
  const fix = message.includes("--allow-all")
    ? "Deno allows /proc, /dev and /sys only with every permission, so choose a path such as data/asknewton.db"
    : "set DB_PATH inside the folder the executable was built for (COMPILE_DATA_DIR, see docs/operations.md)";
  return `this process may not use it (${message}); ${fix}`;
}
