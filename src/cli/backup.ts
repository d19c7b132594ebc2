import { ConfigError, parseConfig } from "../config.ts";
import { backupDatabase } from "../store/backup.ts";

/**
 * `backup <file>`: writes a consistent copy of `DB_PATH` to a new file,
 * safe to run while the server takes webhooks. Prints the copy's size and
 * event count. Returns the exit code.
 */
export async function backupCommand(
  args: string[],
  environment: Record<string, string>,
): Promise<number> {
  if (args.length !== 1 || args[0].trim() === "") {
    console.error(
      "backup: expected one argument, the new backup file, such as: backup data/backups/asknewton-2026-12-04.db",
    );
    return 2;
  }
  const [target] = args;

  let dbPath: string;
  try {
    dbPath = parseConfig(environment).dbPath;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (!(await fileExists(dbPath))) {
    console.error(
      `backup: DB_PATH ${
        JSON.stringify(dbPath)
      } does not exist, so there is nothing to back up`,
    );
    return 1;
  }

  try {
    const result = await backupDatabase(dbPath, target);
    console.log(
      `backup written to ${target}: ${result.bytes} bytes, ${result.events} events, integrity check ${result.check}`,
    );
    return result.check === "ok" ? 0 : 1;
  } catch (error) {
    console.error(describeFailure(target, error));
    return 1;
  }
}

function describeFailure(target: string, error: unknown): string {
  const file = JSON.stringify(target);
  if (error instanceof Deno.errors.AlreadyExists) {
    return `backup: ${file} already exists; a backup never overwrites a file, so choose a new name`;
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `backup: this executable may not write ${file}; write backups inside the folder it was built for (COMPILE_DATA_DIR, see docs/operations.md)`;
  }
  return `backup: cannot write ${file}: ${(error as Error).message}`;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
