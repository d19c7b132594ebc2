/**
 * Starts a helper server (a baseline server, a recording destination) in a
 * child process. The child prints `{"port": N}` as its first line of
 * standard output once it listens on 127.0.0.1.
 */
import { TextLineStream } from "../tests/support/text_lines.ts";

/** A helper server running in its own process. */
export interface ChildServer {
  port: number;
  pid: number;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<void>;
}

/** Runs `deno <args>` and resolves with the port the child printed. */
export async function spawnChildServer(
  args: string[],
  environment: Record<string, string> = {},
): Promise<ChildServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: environment,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream());
  const reader = lines.getReader();
  const first = await reader.read();
  reader.releaseLock();
  lines.cancel().catch(() => {});
  if (first.done) {
    throw new Error(`child server exited at start: deno ${args.join(" ")}`);
  }

  const { port } = JSON.parse(first.value) as { port: number };
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
