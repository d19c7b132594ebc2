import { TextLineStream } from "./text_lines.ts";

const mainModule = new URL("../../main.ts", import.meta.url).pathname;

/** The server running as its own process, as an operator runs it. */
export interface ServerProcess {
  url: string;
  /** Every stdout and stderr line so far. */
  lines: string[];
  kill(signal?: Deno.Signal): void;
  /** Resolves with the exit code. */
  exited: Promise<number>;
}

/**
 * Starts `main.ts serve` in a child process on a free loopback port and
 * waits for its "server started" log line.
 */
export async function spawnServer(
  environment: Record<string, string>,
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      mainModule,
      "serve",
    ],
    env: { HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "debug", ...environment },
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const lines: string[] = [];
  const started = Promise.withResolvers<string>();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TextLineStream(),
    );
    for await (const line of reader) {
      lines.push(line);
      if (line.includes('"server started"')) {
        started.resolve(JSON.parse(line).properties.url);
      }
    }
  };
  const streams = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const exited = streams.then(() => child.status).then((status) => {
    started.reject(new Error(`server exited early:\n${lines.join("\n")}`));
    return status.code;
  });

  const startLimit = setTimeout(() => {
    child.kill("SIGKILL");
    started.reject(
      new Error(
        `server did not log "server started" within 20 s:\n${lines.join("\n")}`,
      ),
    );
  }, 20_000);
  const url = await started.promise.finally(() => clearTimeout(startLimit));
  return {
    url,
    lines,
    kill: (signal = "SIGTERM") => child.kill(signal),
    exited,
  };
}
