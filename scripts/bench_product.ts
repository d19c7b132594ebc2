/**
 * The product's rows of the benchmark, with `main.ts serve` in a child
 * process and the recording destination in another:
 *
 * - (c) ingest while the destination is down. Each event still gets its
 *   delivery row, as in row (b), but the open breaker keeps the deliveries
 *   waiting, so the row compares storage work with storage work.
 * - (d) ingest while the destination is up, so deliveries run alongside.
 *   The same server then measures the time from the 200 response to the
 *   delivery's arrival at a moderate paced rate. Its memory is read at
 *   idle, during and after the load.
 */
import {
  type IngestSettings,
  loadRow,
  ROUTE,
  type RowResult,
} from "./bench_ingest.ts";
import {
  type LatencySummary,
  runLoad,
  summarizeLatency,
} from "./load_client.ts";
import {
  type ProcessMemory,
  readMemory,
  spawnProduct,
} from "./product_process.ts";
import {
  type DestinationProcess,
  spawnRecordingDestination,
} from "./recording_destination.ts";
import {
  type SignedEvent,
  signedHeaders,
  transcriptionEvents,
} from "./signed_events.ts";
import { waitFor } from "./wait_for.ts";

/** Rate and size of the paced enqueue-to-delivery run. */
const PACED_RATE_PER_SECOND = 200;
const PACED_REQUESTS = 1_000;
const PACED_CONNECTIONS = 8;

/** Measurements of row (d) and the runs around it. */
export interface DeliveringMeasures {
  load: RowResult;
  /** Arrival at the destination minus the 200 response, in row (d). */
  enqueueToDeliveryAtFullLoad: LatencySummary;
  /** Arrival minus response at `PACED_RATE_PER_SECOND`. */
  enqueueToDeliveryPaced: LatencySummary & { ratePerSecond: number };
  memory: {
    idleRssBytes: number;
    maxRssUnderLoadBytes: number;
    rssAfterLoadBytes: number;
  };
}

/** Writes a destinations file with one `http` destination named "bench". */
export async function writeDestinations(
  path: string,
  url: string,
): Promise<void> {
  await Deno.writeTextFile(
    path,
    JSON.stringify({ destinations: [{ name: "bench", kind: "http", url }] }),
  );
}

/** Returns a loopback port with nothing listening on it. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Measures row (c): the product while its destination refuses connections. */
export async function measureProductDestinationDown(
  events: SignedEvent[],
  settings: IngestSettings,
): Promise<RowResult> {
  const destinationsFile = `${settings.folder}/destinations_down.json`;
  await writeDestinations(
    destinationsFile,
    `http://127.0.0.1:${closedPort()}/hook`,
  );
  const product = await spawnProduct({
    denoFlags: settings.productDenoFlags,
    environment: {
      DB_PATH: `${settings.folder}/product_down.db`,
      ELEVEN_END_SECRET: settings.secret,
      DESTINATIONS_FILE: destinationsFile,
    },
  });
  try {
    return await loadRow(
      product.pid,
      `${product.url}${ROUTE}`,
      events,
      settings,
    );
  } finally {
    await product.stop();
  }
}

/** Measures row (d) and the runs around it; see `DeliveringMeasures`. */
export async function measureProductDelivering(
  events: SignedEvent[],
  settings: IngestSettings,
): Promise<DeliveringMeasures> {
  const destination = await spawnRecordingDestination();
  const destinationsFile = `${settings.folder}/destinations_up.json`;
  await writeDestinations(destinationsFile, destination.url);
  const product = await spawnProduct({
    denoFlags: settings.productDenoFlags,
    environment: {
      DB_PATH: `${settings.folder}/product_up.db`,
      ELEVEN_END_SECRET: settings.secret,
      DESTINATIONS_FILE: destinationsFile,
    },
  });

  try {
    const idle = await readMemory(product.pid);
    const responded = new Map<string, number>();
    const onResponse = (event: SignedEvent, status: number, atMs: number) => {
      if (status === 200) responded.set(event.conversationId, atMs);
    };
    const sampled = await sampleMemory(
      product.pid,
      () =>
        loadRow(
          product.pid,
          `${product.url}${ROUTE}`,
          events,
          settings,
          onResponse,
        ),
    );
    await waitForArrivals(
      destination,
      settings.warmupRequests + sampled.result.succeeded,
    );
    const afterLoad = await readMemory(product.pid);
    const atFullLoad = await enqueueToDelivery(destination, responded);
    const paced = await measurePaced(product.url, destination, settings);
    return {
      load: sampled.result,
      enqueueToDeliveryAtFullLoad: atFullLoad,
      enqueueToDeliveryPaced: paced,
      memory: {
        idleRssBytes: idle.rssBytes,
        maxRssUnderLoadBytes: Math.max(sampled.maxRssBytes, afterLoad.rssBytes),
        rssAfterLoadBytes: afterLoad.rssBytes,
      },
    };
  } finally {
    await product.stop();
    await destination.stop();
  }
}

/** Runs `work` while reading the process's memory every 200 ms. */
async function sampleMemory<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; maxRssBytes: number }> {
  let maxRssBytes = 0;
  let stopped = false;
  const sampler = (async () => {
    while (!stopped) {
      const memory: ProcessMemory = await readMemory(pid);
      maxRssBytes = Math.max(maxRssBytes, memory.rssBytes);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  try {
    return { result: await work(), maxRssBytes };
  } finally {
    stopped = true;
    await sampler;
  }
}

/** Waits until the destination has received `count` deliveries. */
export function waitForArrivals(
  destination: DestinationProcess,
  count: number,
): Promise<void> {
  return waitFor(
    `${count} deliveries`,
    async () => await destination.count() >= count,
    120_000,
    100,
  );
}

/** Matches arrivals to 200 responses by conversation id. */
async function enqueueToDelivery(
  destination: DestinationProcess,
  respondedAt: Map<string, number>,
): Promise<LatencySummary> {
  const delays = (await destination.arrivals()).flatMap((arrival) => {
    const responded = respondedAt.get(arrival.conversationId);
    return responded === undefined ? [] : [arrival.arrivedAtMs - responded];
  });
  return summarizeLatency(Float64Array.from(delays));
}

/** Sends events at a moderate steady rate and times their deliveries. */
async function measurePaced(
  baseUrl: string,
  destination: DestinationProcess,
  settings: IngestSettings,
): Promise<DeliveringMeasures["enqueueToDeliveryPaced"]> {
  const events = await transcriptionEvents(
    PACED_REQUESTS,
    `paced-${Date.now()}`,
    settings.secret,
  );
  const before = await destination.count();
  const respondedAt = new Map<string, number>();
  const load = await runLoad({
    url: `${baseUrl}${ROUTE}`,
    connections: PACED_CONNECTIONS,
    requests: events.length,
    timeLimitMs: settings.timeLimitMs,
    ratePerSecond: PACED_RATE_PER_SECOND,
    buildRequest: (index) => ({
      headers: signedHeaders(events[index]),
      body: events[index].body,
    }),
    onResponse: (index, status, atMs) => {
      if (status === 200) respondedAt.set(events[index].conversationId, atMs);
    },
  });
  await waitForArrivals(destination, before + load.succeeded);

  const summary = await enqueueToDelivery(destination, respondedAt);
  return { ...summary, ratePerSecond: PACED_RATE_PER_SECOND };
}
