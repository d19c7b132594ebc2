import { ENVIRONMENT_VARIABLES } from "../../src/config.ts";

const mainModule = new URL("../../main.ts", import.meta.url).pathname;

/** Permissions of `deno task start`: broad, as in development. */
export const BROAD_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
];

/** What a finished `main.ts` process printed and returned. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Non-empty lines of stdout. */
  lines: string[];
  /** Non-empty lines of stderr. */
  errorLines: string[];
}

/**
 * Runs `main.ts` with `args` in a child process and waits for it to exit.
 * Every configuration variable not given in `environment` is set empty,
 * which the server reads as unset, so the test runner's own environment
 * cannot leak in.
 */
export async function runMain(
  args: string[],
  environment: Record<string, string> = {},
  options: { permissions?: string[]; cwd?: string } = {},
): Promise<CommandResult> {
  const unset = Object.fromEntries(
    ENVIRONMENT_VARIABLES.map(([name]) => [name, ""]),
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(options.permissions ?? BROAD_PERMISSIONS),
      mainModule,
      ...args,
    ],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...unset, ...environment },
    stdout: "piped",
    stderr: "piped",
  }).output();

  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const nonEmpty = (text: string) => text.split("\n").filter((line) => line);
  return {
    code: output.code,
    stdout,
    stderr,
    lines: nonEmpty(stdout),
    errorLines: nonEmpty(stderr),
  };
}
