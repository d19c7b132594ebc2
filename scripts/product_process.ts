/**
 * Runs `main.ts serve` in a child process on a free loopback port, as an
 * operator runs it, so a load client never shares the server's event loop.
 */
import { TextLineStream } from "../tests/support/text_lines.ts";

const MAIN_MODULE = new URL("../main.ts", import.meta.url).pathname;
const DENO_CONFIG = new URL("../deno.json", import.meta.url);
const START_TIMEOUT_MS = 30_000;

/**
 * Returns the `--v8-flags=…` options of the `start` task in deno.json, so
 * a measured server runs with the same V8 settings as `deno task start`.
 */
export async function startTaskV8Flags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(DENO_CONFIG));
  const task = String(config.tasks?.start ?? "");
  return task.split(/\s+/).filter((word) => word.startsWith("--v8-flags="));
}

/** The server running as its own process. */
export interface ProductProcess {
  /** Base URL such as `http://127.0.0.1:41234`. */
  url: string;
  pid: number;
  /** Log lines that `keepLine` selected, in order. */
  lines: string[];
  kill(signal: Deno.Signal): void;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number>;
}

/** How to start the server. */
export interface SpawnOptions {
  /** Variables added to `HOST=127.0.0.1` and `PORT=0`. */
  environment: Record<string, string>;
  /** Log lines to keep; the rest are read and dropped. */
  keepLine?: (line: string) => boolean;
  /** Extra `deno run` flags, such as `--cpu-prof`. */
  denoFlags?: string[];
}

/**
 * Starts the server with the V8 flags of `deno task start` and resolves
 * once its "server started" log line shows the URL. Standard output is
 * read continuously, because the server writes its logs synchronously and
 * would stall on a full pipe.
 */
export async function spawnProduct(
  options: SpawnOptions,
): Promise<ProductProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      ...await startTaskV8Flags(),
      ...(options.denoFlags ?? []),
      MAIN_MODULE,
      "serve",
    ],
    env: {
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      ...options.environment,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const lines: string[] = [];
  const errors: string[] = [];
  const started = Promise.withResolvers<string>();
  const collect = async (
    stream: ReadableStream<Uint8Array>,
    isStderr: boolean,
  ) => {
    const reader = stream.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TextLineStream(),
    );
    for await (const line of reader) {
      if (isStderr) errors.push(line);
      if (options.keepLine?.(line)) lines.push(line);
      if (line.includes('"server started"')) {
        started.resolve(JSON.parse(line).properties.url);
      }
    }
  };
  const streams = Promise.all([
    collect(child.stdout, false),
    collect(child.stderr, true),
  ]);
  const exited = streams.then(() => child.status).then((status) => {
    started.reject(
      new Error(`server exited before it started:\n${errors.join("\n")}`),
    );
    return status.code;
  });

  const timer = setTimeout(() => {
    started.reject(new Error(`server did not start in ${START_TIMEOUT_MS} ms`));
    child.kill("SIGKILL");
  }, START_TIMEOUT_MS);
  try {
    const url = await started.promise;
    return {
      url,
      pid: child.pid,
      lines,
      kill: (signal) => child.kill(signal),
      exited,
      stop() {
        child.kill("SIGTERM");
        return exited;
      },
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads `/proc/<pid>/<name>` with `cat`, because Deno lets a program read
 * another process's `/proc` files only with `--allow-all`, while
 * `--allow-run` is enough for this.
 */
function catProcFile(pid: number, name: string): Promise<string> {
  return readSystemFile(`/proc/${pid}/${name}`);
}

/** Reads a file under `/proc` or `/sys` with `cat`; see `catProcFile`. */
export async function readSystemFile(path: string): Promise<string> {
  const output = await new Deno.Command("cat", {
    args: [path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const detail = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`failed to read ${path}: ${detail}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** Resident memory of a process, from `/proc/<pid>/status` (Linux only). */
export interface ProcessMemory {
  /** `VmRSS`: resident now. */
  rssBytes: number;
  /** `VmHWM`: the highest resident size since the process started. */
  peakRssBytes: number;
}

/** Reads a process's resident memory. */
export async function readMemory(pid: number): Promise<ProcessMemory> {
  const status = await catProcFile(pid, "status");
  const kibibytes = (field: string) => {
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    if (!match) {
      throw new Error(`/proc/${pid}/status has no ${field} line`);
    }
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kibibytes("VmRSS"), peakRssBytes: kibibytes("VmHWM") };
}

/**
 * Reads the CPU time a process has used so far, user and system, in
 * seconds, from fields 14 and 15 of `/proc/<pid>/stat`. It assumes 100
 * clock ticks per second, the value of `getconf CLK_TCK` on Linux x86-64.
 */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await catProcFile(pid, "stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Converts bytes to MiB with one decimal. */
export function toMebibytes(bytes: number): number {
  return Math.round(bytes / 1024 / 1024 * 10) / 10;
}
