/**
 * Ingest rows of the benchmark. The same load client, after a warm-up,
 * sends signed events to each server in its own process. This file has
 * rows (a) and (b), and bench_product.ts has the product's rows.
 */
import { spawnChildServer } from "./child_server.ts";
import { type LoadResult, runLoad } from "./load_client.ts";
import { readCpuSeconds } from "./product_process.ts";
import {
  type SignedEvent,
  signedHeaders,
  transcriptionEvents,
} from "./signed_events.ts";

const BASELINE_MODULE = new URL("./baseline_servers.ts", import.meta.url)
  .pathname;
/** The post-call webhook route every ingest row posts to. */
export const ROUTE = "/webhooks/eleven/conversation-end";

/** Sizes of one benchmark run. */
export interface IngestSettings {
  folder: string;
  secret: string;
  connections: number;
  /** Measured requests per row, after the warm-up. */
  requests: number;
  warmupRequests: number;
  timeLimitMs: number;
  audioBytes: number;
  /** Extra `deno run` flags for every product process, such as `--cpu-prof`. */
  productDenoFlags: string[];
}

/** Builds the events of one run: warm-up first, then the measured ones. */
export function buildEvents(
  settings: IngestSettings,
): Promise<SignedEvent[]> {
  return transcriptionEvents(
    settings.warmupRequests + settings.requests,
    `bench-${Date.now()}`,
    settings.secret,
  );
}

/** A load run with the server's CPU time over the measured requests. */
export type RowResult = LoadResult & { serverCpuMsPerRequest: number };

/**
 * Runs the warm-up, then the measured load, against one URL, reading the
 * CPU time of the server process `pid` around the measured part.
 */
export async function loadRow(
  pid: number,
  url: string,
  events: SignedEvent[],
  settings: IngestSettings,
  onResponse?: (event: SignedEvent, status: number, atMs: number) => void,
): Promise<RowResult> {
  const post = (offset: number) => (index: number) => {
    const event = events[offset + index];
    return { headers: signedHeaders(event), body: event.body };
  };
  await runLoad({
    url,
    connections: settings.connections,
    requests: settings.warmupRequests,
    timeLimitMs: settings.timeLimitMs,
    buildRequest: post(0),
  });

  const cpuBefore = await readCpuSeconds(pid);
  const result = await runLoad({
    url,
    connections: settings.connections,
    requests: settings.requests,
    timeLimitMs: settings.timeLimitMs,
    buildRequest: post(settings.warmupRequests),
    onResponse: onResponse &&
      ((index, status, atMs) =>
        onResponse(events[settings.warmupRequests + index], status, atMs)),
  });
  const cpuSeconds = await readCpuSeconds(pid) - cpuBefore;
  return {
    ...result,
    serverCpuMsPerRequest: cpuSeconds * 1000 / Math.max(1, result.sent),
  };
}

/** Measures row (a) or (b) with a comparison server from baseline_servers.ts. */
export async function measureBaseline(
  mode: "bare" | "ingest",
  events: SignedEvent[],
  settings: IngestSettings,
): Promise<RowResult> {
  const server = await spawnChildServer(
    [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      BASELINE_MODULE,
      mode,
      `${settings.folder}/baseline.db`,
    ],
    { BENCH_SECRET: settings.secret },
  );
  try {
    return await loadRow(
      server.pid,
      `http://127.0.0.1:${server.port}${ROUTE}`,
      events,
      settings,
    );
  } finally {
    await server.stop();
  }
}
