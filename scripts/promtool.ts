/**
 * Runs Prometheus' `promtool`, for the metrics lint script and the metrics
 * tests. Debian's `prometheus` package installs it as `/usr/bin/promtool`.
 *
 * @module
 */

/** Output and exit code of one `promtool` run. */
export interface PromtoolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Raised when `promtool` is not on the PATH. */
export class PromtoolMissingError extends Error {
  constructor(options?: ErrorOptions) {
    super(
      "promtool not found on the PATH: install Debian's prometheus package (apt-get install -y prometheus)",
      options,
    );
    this.name = "PromtoolMissingError";
  }
}

/**
 * Runs `promtool` with `args`, writing `input` to its standard input when
 * given, and returns what it printed.
 *
 * @throws {PromtoolMissingError} When `promtool` is not installed.
 *
 * @example
 * ```ts
 * const result = await runPromtool(["check", "metrics"], "up 1\n");
 * result.code; // 0 when promtool found nothing
 * ```
 */
export async function runPromtool(
  args: string[],
  input?: string,
): Promise<PromtoolResult> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("promtool", {
      args,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new PromtoolMissingError({ cause: error });
    }
    throw error;
  }

  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();

  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}
