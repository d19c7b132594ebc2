import assert from "node:assert/strict";
import { listRecentAttempts } from "./attempt_queries.ts";
import { openDatabase } from "./database.ts";
import { DeliveryQueue } from "./delivery_queue.ts";
import { EventWriter } from "./event_writer.ts";

Deno.test("recent attempts filter by destination", async () => {
  const database = openDatabase(":memory:");
  const writer = new EventWriter(database, { now: () => 0 });
  for (const id of ["c1", "c2"]) {
    await writer.write({
      fields: { type: "post_call_transcription", conversationId: id },
      dedupKey: `post_call_transcription:${id}`,
      body: "{}",
      destinations: ["crm", "archive"],
    });
  }
  const queue = new DeliveryQueue(database);
  let now = 1_000;
  for (const destination of ["crm", "archive", "crm", "archive"]) {
    const [claimed] = queue.claim(destination, 1, now, now + 60_000);
    queue.resolve([{
      record: {
        deliveryId: claimed.id,
        attempt: 1,
        startedAt: now,
        durationMs: 1,
        status: 200,
      },
      resolution: { state: "succeeded" },
      claim: { deliveryId: claimed.id, leaseExpiresAt: claimed.leaseExpiresAt },
    }], now);
    now += 1_000;
  }

  const crm = listRecentAttempts(database, 10, "crm");
  const all = listRecentAttempts(database, 10);
  database.close();

  assert.deepEqual(crm.map((a) => a.destination), ["crm", "crm"]);
  assert.deepEqual(crm.map((a) => a.started_at), [3_000, 1_000]);
  assert.equal(all.length, 4);
  assert.deepEqual(all.map((a) => a.started_at), [4_000, 3_000, 2_000, 1_000]);
});
