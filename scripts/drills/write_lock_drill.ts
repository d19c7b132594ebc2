/**
 * Drill: another process holds the database's write lock, as a backup
 * would. Each request must wait within the writer's lock wait (it retries
 * SQLITE_BUSY for up to 5 s) or get a 503 response. Nothing may be half
 * written, so every stored event has its delivery rows.
 */
import { TextLineStream } from "../../tests/support/text_lines.ts";
import { runLoad } from "../load_client.ts";
import { signedHeaders, transcriptionEvents } from "../signed_events.ts";
import { waitFor } from "../wait_for.ts";
import {
  countEventsWithoutDeliveries,
  countUnfinished,
  DrillBench,
  END_ROUTE,
  postEvent,
  storedConversationIds,
} from "./drill_server.ts";

const HOLDER_MODULE = new URL("./lock_holder.ts", import.meta.url).pathname;

/** Sizes of the write-lock drill. */
export interface WriteLockDrillOptions {
  holdMs: number;
  requests: number;
  connections: number;
}

/** Findings of the write-lock drill. */
export interface WriteLockDrillReport {
  requests: number;
  responses200: number;
  responses503: number;
  /** Responses other than 200 and 503, network errors included. */
  otherResponses: number;
  /** The slowest response while the lock was held, in ms. */
  maxLatencyMs: number;
  /** Events that got a 200 response but are missing from the database. */
  missingEvents: number;
  eventsWithoutDeliveries: number;
  /** Status of a request sent after the lock was released. */
  statusAfterRelease: number;
  unfinishedDeliveries: number;
}

/** Runs the drill; see the file comment. */
export async function runWriteLockDrill(
  options: WriteLockDrillOptions,
): Promise<WriteLockDrillReport> {
  const bench = new DrillBench();
  await bench.open();
  try {
    const server = await bench.spawn({ destination: { timeoutMs: 1_000 } });
    try {
      return await loadWhileLocked(bench, server.url, options);
    } finally {
      await server.stop();
    }
  } finally {
    await bench.close();
  }
}

async function loadWhileLocked(
  bench: DrillBench,
  baseUrl: string,
  options: WriteLockDrillOptions,
): Promise<WriteLockDrillReport> {
  const events = await transcriptionEvents(
    options.requests + 1,
    `lock-${Date.now()}`,
    bench.secret,
  );
  const acknowledged = new Set<string>();
  const holder = await holdLock(bench.dbPath(), options.holdMs);

  const load = await runLoad({
    url: `${baseUrl}${END_ROUTE}`,
    connections: options.connections,
    requests: options.requests,
    timeLimitMs: options.holdMs + 10_000,
    buildRequest: (index) => ({
      headers: signedHeaders(events[index]),
      body: events[index].body,
    }),
    onResponse: (index, status) => {
      if (status === 200) acknowledged.add(events[index].conversationId);
    },
  });
  await holder.released;

  const statusAfterRelease = await postEvent(baseUrl, events.at(-1)!);
  if (statusAfterRelease === 200) {
    acknowledged.add(events.at(-1)!.conversationId);
  }
  await waitFor(
    "every delivery to succeed",
    () => countUnfinished(bench.dbPath()) === 0,
    60_000,
    200,
  );

  const stored = storedConversationIds(bench.dbPath());
  const responses200 = load.statuses[200] ?? 0;
  const responses503 = load.statuses[503] ?? 0;
  return {
    requests: load.sent,
    responses200,
    responses503,
    otherResponses: load.sent - responses200 - responses503,
    maxLatencyMs: load.latency.maxMs,
    missingEvents: [...acknowledged].filter((id) => !stored.has(id)).length,
    eventsWithoutDeliveries: countEventsWithoutDeliveries(bench.dbPath()),
    statusAfterRelease,
    unfinishedDeliveries: countUnfinished(bench.dbPath()),
  };
}

/** Starts lock_holder.ts and resolves once it holds the lock. */
async function holdLock(
  dbPath: string,
  holdMs: number,
): Promise<{ released: Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      HOLDER_MODULE,
      dbPath,
      String(holdMs),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream())[Symbol.asyncIterator]();

  const first = await lines.next();
  if (first.value !== "locked") {
    throw new Error(`lock holder did not take the lock: ${first.value}`);
  }
  const released = (async () => {
    for (let line = await lines.next(); !line.done; line = await lines.next());
    const status = await child.status;
    if (!status.success) {
      throw new Error(`lock holder failed with exit code ${status.code}`);
    }
  })();
  return { released };
}
