import assert from "node:assert/strict";
import { openDatabase } from "./database.ts";
import { DeliveryQueue } from "./delivery_queue.ts";
import { EventWriter } from "./event_writer.ts";

/** Creates a queue on a fresh in-memory database with one pending delivery. */
async function queueWithOneDelivery() {
  const database = openDatabase(":memory:");
  const writer = new EventWriter(database, { now: () => 0 });
  await writer.write({
    fields: { type: "post_call_transcription", conversationId: "conv_1" },
    dedupKey: "post_call_transcription:conv_1",
    body: '{"type":"post_call_transcription"}',
    destinations: ["crm"],
  });
  return { database, queue: new DeliveryQueue(database) };
}

function deliveryState(database: ReturnType<typeof openDatabase>) {
  return database.prepare("SELECT state, attempts FROM deliveries").get();
}

Deno.test("stale outcome leaves a later claim alone", async () => {
  const { database, queue } = await queueWithOneDelivery();
  const [first] = queue.claim("crm", 1, 1_000, 2_000);
  queue.sweepExpiredLeases(2_000);
  const [second] = queue.claim("crm", 1, 2_001, 3_001);

  queue.resolve([{
    record: {
      deliveryId: first.id,
      attempt: 1,
      startedAt: 1_000,
      durationMs: 5,
      status: 503,
    },
    resolution: { state: "pending", nextAttemptAt: 9_000 },
    claim: { deliveryId: first.id, leaseExpiresAt: first.leaseExpiresAt },
  }], 2_500);
  const afterStale = deliveryState(database);

  queue.resolve([{
    record: {
      deliveryId: second.id,
      attempt: 1,
      startedAt: 2_001,
      durationMs: 5,
      status: 200,
    },
    resolution: { state: "succeeded" },
    claim: { deliveryId: second.id, leaseExpiresAt: second.leaseExpiresAt },
  }], 2_600);
  const afterCurrent = deliveryState(database);
  const attempts = database.prepare(
    "SELECT count(*) AS n FROM outbound_attempts",
  ).get();
  database.close();

  assert.equal(first.id, second.id);
  assert.equal(afterStale?.state, "in_flight");
  assert.equal(afterCurrent?.state, "succeeded");
  assert.equal(attempts?.n, 2);
});

Deno.test("release of a stale claim changes nothing", async () => {
  const { database, queue } = await queueWithOneDelivery();
  const [first] = queue.claim("crm", 1, 1_000, 2_000);
  queue.sweepExpiredLeases(2_000);
  const [second] = queue.claim("crm", 1, 2_001, 3_001);

  queue.release([{
    deliveryId: first.id,
    leaseExpiresAt: first.leaseExpiresAt,
  }], 2_500);
  const state = deliveryState(database);
  database.close();

  assert.equal(second.id, first.id);
  assert.equal(state?.state, "in_flight");
});
