/**
 * Builds the single executable `dist/asknewton-webhooks` with `deno compile`.
 * The permission flags live here and nowhere else; `deno task compile` runs
 * this script, and tests read the same flags from it.
 *
 * Build-time variables:
 * - `COMPILE_DATA_DIR` (default `./data`): folders the executable may read
 *   and write, comma-separated. `DB_PATH` and backup files must be inside.
 * - `COMPILE_CONFIG_DIR` (default `./config`): folders it may only read,
 *   for `DESTINATIONS_FILE` and `INIT_DATA_FILE`.
 * - `DENORT_BIN`: a `denort` runtime binary of the same Deno version.
 *   `deno compile` reads this variable itself; without it, Deno downloads
 *   `denort-<target>.zip` from dl.deno.land on first use and caches it.
 *
 * Relative folders resolve against the working directory the executable
 * starts in, not the one it was built in.
 *
 * @module
 */

import { ENVIRONMENT_VARIABLES } from "../src/config.ts";

/** Path of the executable, relative to the repository root. */
export const OUTPUT_PATH = "dist/asknewton-webhooks";

/** What a build depends on, read from the build machine's environment. */
export interface CompileSettings {
  /** Folders read and written at run time: the database and backups. */
  dataDir: string;
  /** Folders only read at run time: the JSON configuration files. */
  configDir: string;
  /** Path of a local `denort` binary, or undefined to let Deno fetch one. */
  denortBin?: string;
}

/** Reads the build settings from environment variables, with defaults. */
export function compileSettings(
  environment: Record<string, string | undefined>,
): CompileSettings {
  return {
    dataDir: environment.COMPILE_DATA_DIR?.trim() || "./data",
    configDir: environment.COMPILE_CONFIG_DIR?.trim() || "./config",
    denortBin: environment.DENORT_BIN?.trim() || undefined,
  };
}

/**
 * Returns the permissions baked into the executable: the network (it
 * listens and calls destinations configured at run time), exactly the
 * environment variables it reads, and file access to the given folders
 * only. Never `--allow-all`, and no subprocesses, FFI or system info.
 */
export function permissionFlags(settings: CompileSettings): string[] {
  const variables = ENVIRONMENT_VARIABLES.map(([name]) => name).join(",");
  return [
    "--allow-net",
    `--allow-env=${variables}`,
    `--allow-read=${settings.dataDir},${settings.configDir}`,
    `--allow-write=${settings.dataDir}`,
  ];
}

/** Builds the `deno` command line and environment of one build. */
export function compileCommand(settings: CompileSettings): {
  args: string[];
  env: Record<string, string>;
} {
  return {
    args: [
      "compile",
      ...permissionFlags(settings),
      // The same young-generation size as `deno task start`: it keeps the
      // resident memory under load near 100 MiB instead of 165 MiB.
      "--v8-flags=--max-semi-space-size=2",
      // The lock file also lists test-only packages such as puppeteer-core;
      // embed only what main.ts imports.
      "--exclude-unused-npm",
      "--output",
      OUTPUT_PATH,
      "main.ts",
    ],
    env: settings.denortBin ? { DENORT_BIN: settings.denortBin } : {},
  };
}

async function main(): Promise<number> {
  const settings = compileSettings({
    COMPILE_DATA_DIR: Deno.env.get("COMPILE_DATA_DIR"),
    COMPILE_CONFIG_DIR: Deno.env.get("COMPILE_CONFIG_DIR"),
    DENORT_BIN: Deno.env.get("DENORT_BIN"),
  });
  if (settings.denortBin) {
    try {
      await Deno.stat(settings.denortBin);
    } catch {
      console.error(
        `compile: DENORT_BIN ${
          JSON.stringify(settings.denortBin)
        } does not exist; point it at the denort binary of Deno ${Deno.version.deno}, or unset it to let deno download one`,
      );
      return 1;
    }
  } else {
    console.error(
      "compile: DENORT_BIN is not set, so deno compile downloads the denort runtime from dl.deno.land unless it is cached",
    );
  }

  await Deno.mkdir("dist", { recursive: true });
  const command = compileCommand(settings);
  console.error(`compile: deno ${command.args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: command.args,
    env: command.env,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

if (import.meta.main) {
  Deno.exit(await main());
}
