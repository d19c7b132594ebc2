import assert from "node:assert/strict";
import { parseDestinations } from "../destinations.ts";
import { openDatabase } from "../store/database.ts";
import { DeliveryQueue } from "../store/delivery_queue.ts";
import { EventWriter } from "../store/event_writer.ts";
import type { TransportResult } from "./http_transport.ts";
import { DeliveryWorker } from "./worker.ts";

Deno.test("probe that throws frees the breaker", async () => {
  let nowMs = 1_000_000;
  const database = openDatabase(":memory:");
  await new EventWriter(database, { now: () => nowMs }).write({
    fields: { type: "post_call_transcription", conversationId: "conv_1" },
    dedupKey: "post_call_transcription:conv_1",
    body: '{"type":"post_call_transcription"}',
    destinations: ["crm"],
  });
  const [destination] = parseDestinations(
    JSON.stringify({
      destinations: [{
        name: "crm",
        kind: "http",
        url: "http://127.0.0.1:9/hook",
        backoff: { baseMs: 1_000, capMs: 1_000 },
        breaker: { failureThreshold: 1, cooldownMs: 10_000 },
      }],
    }),
    undefined,
  );
  const replies: (() => TransportResult)[] = [
    () => ({ status: 503 }),
    () => {
      throw new Error("send failed before any request");
    },
    () => ({ status: 200 }),
  ];
  let sends = 0;
  const worker = new DeliveryWorker({
    queue: new DeliveryQueue(database),
    destinations: [destination],
    now: () => nowMs,
    random: () => 0,
    send: () => Promise.resolve().then(() => replies[sends++]()),
  });

  worker.start();
  await worker.settle();
  const afterFailure = worker.breakers()[0].snapshot.state;

  nowMs += 10_000;
  await worker.settle();
  const afterThrow = worker.breakers()[0].snapshot;

  nowMs += destination.timeoutMs + 30_000;
  await worker.settle();
  const afterLease = worker.breakers()[0].snapshot.state;
  const row = database.prepare("SELECT state FROM deliveries").get();
  await worker.stop(0);
  database.close();

  assert.equal(afterFailure, "open");
  assert.equal(afterThrow.state, "half_open");
  assert.equal(
    afterThrow.state === "half_open" && afterThrow.probeInFlight,
    false,
  );
  assert.equal(sends, 3);
  assert.equal(afterLease, "closed");
  assert.equal(row?.state, "succeeded");
});
