import {
  configure,
  getLogger,
  jsonLinesFormatter,
  type Logger,
  type LogRecord,
} from "@logtape/logtape";
import type { LogLevelName } from "./config.ts";

const encoder = new TextEncoder();

/**
 * Sends JSON log lines to stdout. The write is synchronous so the line is out
 * before the process can crash, and ordering matches the code's order.
 */
function stdoutSink(record: LogRecord): void {
  Deno.stdout.writeSync(encoder.encode(jsonLinesFormatter(record)));
}

/** Configures LogTape once for the process; call from `main.ts` only. */
export async function configureLogging(level: LogLevelName): Promise<void> {
  await configure({
    reset: true,
    sinks: { stdout: stdoutSink },
    loggers: [
      {
        category: ["asknewton"],
        lowestLevel: level === "warn" ? "warning" : level,
        sinks: ["stdout"],
      },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["stdout"],
      },
    ],
  });
}

/** Returns the logger of one part of the server, such as `["http"]`. */
export function logger(...category: string[]): Logger {
  return getLogger(["asknewton", ...category]);
}
