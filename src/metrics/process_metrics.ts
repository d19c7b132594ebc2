/**
 * Process metrics under the names that prom-client, the Prometheus client
 * for Node.js, uses for its default metrics, so dashboards built for it
 * chart this server too.
 *
 * @module
 */

import process from "node:process";
import type { CollectedSample, MetricsRegistry } from "./registry.ts";

/** Options for {@linkcode registerProcessMetrics}. */
export interface ProcessMetricsOptions {
  /**
   * Clock in milliseconds since the Unix epoch, read once at registration
   * for `process_start_time_seconds`. Defaults to `Date.now`.
   */
  now?: () => number;
  /**
   * Directory that contains this process's `fd/` folder and `limits` file.
   * Defaults to `/proc/self`, which exists on Linux only.
   */
  procDirectory?: string;
}

/** Names of the metrics that {@linkcode registerProcessMetrics} registers. */
export const PROCESS_METRIC_NAMES = [
  "process_cpu_seconds_total",
  "process_start_time_seconds",
  "process_resident_memory_bytes",
  "process_open_fds",
  "process_max_fds",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_external_memory_bytes",
] as const;

/**
 * Registers CPU time, start time, memory and file descriptor metrics on
 * `registry`. Values are read at render time. Where the platform does not
 * report a value (no `/proc`, no read permission), that metric renders no
 * sample rather than a guess.
 *
 * Deno 2.9.6 reads `/proc/self` only under `--allow-all` (a rule since Deno
 * 1.43, see https://github.com/denoland/deno/issues/23703), so with
 * narrower permissions `process_open_fds` and `process_max_fds` render no
 * sample.
 *
 * @example
 * ```ts
 * import { MetricsRegistry } from "./registry.ts";
 * import { registerProcessMetrics } from "./process_metrics.ts";
 *
 * const registry = new MetricsRegistry();
 * registerProcessMetrics(registry);
 * registry.render().includes("process_resident_memory_bytes "); // true
 * ```
 */
export function registerProcessMetrics(
  registry: MetricsRegistry,
  options: ProcessMetricsOptions = {},
): void {
  const now = options.now ?? Date.now;
  const procDirectory = options.procDirectory ?? "/proc/self";

  registry.counter({
    name: "process_cpu_seconds_total",
    help:
      "User and system CPU time used by all threads of this process, in seconds.",
    // process.cpuUsage() returns microseconds for the whole process, worker
    // threads included: on Deno 2.9.6 its total matched utime + stime in
    // /proc/self/stat after a busy Worker.
    collect: () => {
      const { user, system } = process.cpuUsage();
      return [{ labels: {}, value: (user + system) / 1e6 }];
    },
  });
  // NOTE: this is the time of registration, so it trails the real process
  // start by whatever startup ran before registerProcessMetrics.
  registry.gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since the Unix epoch, in seconds.",
  }).set(now() / 1000);

  registerMemoryMetrics(registry);
  registerFdMetrics(registry, procDirectory);
}

function registerMemoryMetrics(registry: MetricsRegistry): void {
  const gauges: [string, string, keyof Deno.MemoryUsage][] = [
    ["process_resident_memory_bytes", "Resident set size, in bytes.", "rss"],
    [
      "nodejs_heap_size_total_bytes",
      "V8 heap size reserved, in bytes.",
      "heapTotal",
    ],
    [
      "nodejs_heap_size_used_bytes",
      "V8 heap size in use, in bytes.",
      "heapUsed",
    ],
    [
      "nodejs_external_memory_bytes",
      "Memory of C++ objects bound to JavaScript objects, in bytes.",
      "external",
    ],
  ];
  for (const [name, help, field] of gauges) {
    registry.gauge({
      name,
      help,
      collect: () => [{ labels: {}, value: Deno.memoryUsage()[field] }],
    });
  }
}

function registerFdMetrics(
  registry: MetricsRegistry,
  procDirectory: string,
): void {
  registry.gauge({
    name: "process_open_fds",
    help: "Number of open file descriptors.",
    collect: () => optionalSample(countOpenFds(`${procDirectory}/fd`)),
  });
  registry.gauge({
    name: "process_max_fds",
    help: "Soft limit on open file descriptors.",
    collect: () => optionalSample(readMaxFds(`${procDirectory}/limits`)),
  });
}

function optionalSample(value: number | undefined): CollectedSample[] {
  return value === undefined ? [] : [{ labels: {}, value }];
}

/**
 * Counts the entries of `fdDirectory` whose link can still be read. The
 * listing keeps one descriptor of its own open while it reads, and that
 * entry is gone by the time its link is read, so it is not counted.
 */
function countOpenFds(fdDirectory: string): number | undefined {
  let names: string[];
  try {
    names = Array.from(Deno.readDirSync(fdDirectory), (entry) => entry.name);
  } catch (error) {
    if (isUnavailable(error)) return undefined;
    throw error;
  }

  let count = 0;
  for (const name of names) {
    try {
      Deno.readLinkSync(`${fdDirectory}/${name}`);
      count++;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  return count;
}

/** Reads the soft limit from the "Max open files" row of a limits file. */
function readMaxFds(limitsPath: string): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(limitsPath);
  } catch (error) {
    if (isUnavailable(error)) return undefined;
    throw error;
  }

  // The row reads "Max open files  <soft> <hard> files". A soft limit of
  // "unlimited" does not match, so it renders no sample.
  const match = /^Max open files\s+(\d+)\s/m.exec(text);

  return match === null ? undefined : Number(match[1]);
}

function isUnavailable(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable;
}
