/**
 * Delivery throughput: a backlog of deliveries enqueued with the product's
 * own EventWriter, then drained by the product (in its own process) into a
 * loopback destination (in a third process).
 */
import { DatabaseSync } from "node:sqlite";
import { describePostCallEvent } from "../src/elevenlabs/events.ts";
import { openDatabase } from "../src/store/database.ts";
import { EventWriter } from "../src/store/event_writer.ts";
import { spawnProduct } from "./product_process.ts";
import { spawnRecordingDestination } from "./recording_destination.ts";
import type { IngestSettings } from "./bench_ingest.ts";
import type { SignedEvent } from "./signed_events.ts";
import { waitFor } from "./wait_for.ts";

/** Measurements of draining the backlog. */
export interface DeliveryMeasures {
  deliveries: number;
  /** From the first arrival at the destination to the last. */
  drainMs: number;
  deliveriesPerSecond: number;
  /** Deliveries in state `succeeded` after the server stopped. */
  succeeded: number;
}

/**
 * Enqueues one delivery per event while no server runs, then starts the
 * server and times the destination's arrivals until every delivery arrived.
 */
export async function measureDelivery(
  events: SignedEvent[],
  settings: IngestSettings,
): Promise<DeliveryMeasures> {
  const dbPath = `${settings.folder}/delivery.db`;
  await enqueueBacklog(dbPath, events);

  const destination = await spawnRecordingDestination();
  const destinationsFile = `${settings.folder}/delivery_destinations.json`;
  await Deno.writeTextFile(
    destinationsFile,
    JSON.stringify({
      destinations: [{ name: "bench", kind: "http", url: destination.url }],
    }),
  );
  const product = await spawnProduct({
    denoFlags: settings.productDenoFlags,
    environment: {
      DB_PATH: dbPath,
      ELEVEN_END_SECRET: settings.secret,
      DESTINATIONS_FILE: destinationsFile,
    },
  });

  let arrivedAt: number[];
  try {
    await waitFor(
      `${events.length} deliveries`,
      async () => await destination.count() >= events.length,
      120_000,
      100,
    );
    arrivedAt = (await destination.arrivals()).map((a) => a.arrivedAtMs);
  } finally {
    await product.stop();
    await destination.stop();
  }

  const drainMs = Math.max(...arrivedAt) - Math.min(...arrivedAt);
  return {
    deliveries: arrivedAt.length,
    drainMs,
    deliveriesPerSecond: (arrivedAt.length - 1) / (drainMs / 1000),
    succeeded: countSucceeded(dbPath),
  };
}

async function enqueueBacklog(
  dbPath: string,
  events: SignedEvent[],
): Promise<void> {
  const database = openDatabase(dbPath);
  const writer = new EventWriter(database, { now: Date.now });
  const decoder = new TextDecoder();
  await Promise.all(events.map((event) => {
    const body = decoder.decode(event.body);
    const fields = describePostCallEvent(JSON.parse(body));
    return writer.write({
      fields,
      dedupKey: `${fields.type}:${fields.conversationId}`,
      body,
      destinations: ["bench"],
    });
  }));
  await writer.drain();
  database.close();
}

function countSucceeded(dbPath: string): number {
  const database = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const row = database.prepare(
      "SELECT count(*) AS n FROM deliveries WHERE state = 'succeeded'",
    ).get();
    return Number(row?.n);
  } finally {
    database.close();
  }
}
