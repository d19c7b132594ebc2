import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { readFixture, transcriptionFor } from "./support/fixtures.ts";
import {
  startDestination,
  type TestDestination,
} from "./support/destination.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** Creates a fake clock that tests move by hand. */
function fakeClock() {
  let nowMs = Date.now();
  return {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

async function withDelivery(
  destinationSettings: Record<string, unknown>[],
  run: (
    server: TestServer,
    destinations: TestDestination[],
    clock: ReturnType<typeof fakeClock>,
  ) => Promise<void>,
): Promise<void> {
  const clock = fakeClock();
  const destinations = destinationSettings.map(() => startDestination());
  const server = await startTestServer({
    now: clock.now,
    random: () => 0,
    destinations: destinationSettings.map((settings, i) => ({
      kind: "http",
      url: destinations[i].url,
      ...settings,
    })),
  });
  try {
    await run(server, destinations, clock);
  } finally {
    await server.close();
    await Promise.all(destinations.map((d) => d.close()));
  }
}

function deliveryRows(server: TestServer) {
  return server.database.prepare(
    "SELECT id, destination, state, attempts, last_status, last_error FROM deliveries ORDER BY created_at, id",
  ).all();
}

Deno.test("delivery fans out only to wanted types", async () => {
  await withDelivery([
    { name: "crm", events: ["post_call_transcription"] },
    { name: "archive" },
  ], async (server, [crm, archive]) => {
    await server.postFixture("post_call_transcription.json");
    await server.postFixture("unknown_type.json");
    await server.context.worker.settle();

    assert.equal(crm.received.length, 1);
    assert.equal(archive.received.length, 2);
    const types = archive.received.map((r) => JSON.parse(r.body).type).sort();
    assert.deepEqual(types, ["agent_qa", "post_call_transcription"]);
  });
});

Deno.test("delivery sends stored bytes with a valid signature", async () => {
  await withDelivery(
    [{ name: "crm", secret: SIGNING_SECRET }],
    async (server, [crm]) => {
      const fixture = new TextDecoder().decode(
        await readFixture("post_call_transcription.json"),
      );
      await server.postEnd(fixture);
      await server.context.worker.settle();

      const [request] = crm.received;
      assert.equal(request.body, fixture);
      assert.match(request.headers.get("webhook-id") ?? "", /^msg_/);
      assert.match(request.headers.get("webhook-signature") ?? "", /^v1,/);
      const verified = new Webhook(SIGNING_SECRET).verify(
        request.body,
        Object.fromEntries(request.headers),
      );
      assert.equal(
        (verified as { type: string }).type,
        "post_call_transcription",
      );
      assert.throws(() =>
        new Webhook(SIGNING_SECRET).verify(
          request.body + " ",
          Object.fromEntries(request.headers),
        )
      );
    },
  );
});

Deno.test("delivery retry keeps one webhook-id", async () => {
  await withDelivery([{ name: "crm" }], async (server, [crm], clock) => {
    crm.script({ status: 500 });
    await server.postFixture("post_call_transcription.json");
    await server.context.worker.settle();

    assert.equal(crm.received.length, 1);
    assert.equal(deliveryRows(server)[0].state, "pending");

    clock.advance(60_000);
    await server.context.worker.settle();

    assert.equal(crm.received.length, 2);
    const ids = crm.received.map((r) => r.headers.get("webhook-id"));
    assert.equal(ids[0], ids[1]);
    const [row] = deliveryRows(server);
    assert.equal(row.state, "succeeded");
    assert.equal(row.attempts, 2);
  });
});

Deno.test("delivery dies after exactly maxAttempts", async () => {
  await withDelivery(
    [{
      name: "crm",
      maxAttempts: 3,
      breaker: { failureThreshold: 100, cooldownMs: 1000 },
    }],
    async (server, [crm], clock) => {
      crm.setDefault({ status: 503 });
      await server.postFixture("post_call_transcription.json");
      for (let round = 0; round < 6; round++) {
        await server.context.worker.settle();
        clock.advance(3_600_000);
      }

      assert.equal(crm.received.length, 3);
      const [row] = deliveryRows(server);
      assert.equal(row.state, "dead");
      assert.equal(row.attempts, 3);
      assert.equal(row.last_status, 503);
      const attempts = server.database.prepare(
        "SELECT count(*) AS n FROM outbound_attempts",
      ).get();
      assert.equal(attempts?.n, 3);
    },
  );
});

Deno.test("delivery dies after one 404", async () => {
  await withDelivery([{ name: "crm" }], async (server, [crm], clock) => {
    crm.setDefault({ status: 404, body: "no such hook" });
    await server.postFixture("post_call_transcription.json");
    await server.context.worker.settle();
    clock.advance(3_600_000);
    await server.context.worker.settle();

    assert.equal(crm.received.length, 1);
    const [row] = deliveryRows(server);
    assert.equal(row.state, "dead");
    assert.equal(row.attempts, 1);
    const attempt = server.database.prepare(
      "SELECT status, response_excerpt FROM outbound_attempts",
    ).get();
    assert.equal(attempt?.status, 404);
    assert.equal(attempt?.response_excerpt, "no such hook");
  });
});

Deno.test("delivery honours Retry-After on 429", async () => {
  await withDelivery(
    [{ name: "crm", backoff: { baseMs: 1000, capMs: 3_600_000 } }],
    async (server, [crm], clock) => {
      crm.script({ status: 429, headers: { "retry-after": "120" } });
      await server.postFixture("post_call_transcription.json");
      await server.context.worker.settle();

      const due = server.database.prepare(
        "SELECT next_attempt_at FROM deliveries",
      ).get();
      assert.equal(Number(due?.next_attempt_at), clock.now() + 120_000);

      clock.advance(119_000);
      await server.context.worker.settle();
      assert.equal(crm.received.length, 1);

      clock.advance(1_000);
      await server.context.worker.settle();
      assert.equal(crm.received.length, 2);
      assert.equal(deliveryRows(server)[0].state, "succeeded");
    },
  );
});

Deno.test("delivery retries a hanging destination", async () => {
  await withDelivery(
    [{ name: "crm", timeoutMs: 200 }],
    async (server, [crm], clock) => {
      crm.script("hang");
      await server.postFixture("post_call_transcription.json");
      await server.context.worker.settle();

      const [first] = deliveryRows(server);
      assert.equal(first.state, "pending");
      assert.match(String(first.last_error), /timed out after 200 ms/);

      clock.advance(60_000);
      await server.context.worker.settle();
      assert.equal(deliveryRows(server)[0].state, "succeeded");
    },
  );
});

Deno.test("replay-failed resends dead deliveries", async () => {
  await withDelivery([{ name: "crm" }], async (server, [crm]) => {
    crm.script({ status: 400 });
    await server.postFixture("post_call_transcription.json");
    await server.context.worker.settle();
    assert.equal(deliveryRows(server)[0].state, "dead");

    const response = await server.admin("/admin/replay-failed", {
      method: "POST",
    });
    assert.deepEqual(await response.json(), { ok: true, replayed: 1 });
    await server.context.worker.settle();

    const [row] = deliveryRows(server);
    assert.equal(row.state, "succeeded");
    assert.equal(row.attempts, 1);
    const ids = crm.received.map((r) => r.headers.get("webhook-id"));
    assert.equal(ids.length, 2);
    assert.equal(ids[0], ids[1]);
  });
});

Deno.test("replay-failed filters by ids and destination", async () => {
  await withDelivery(
    [{ name: "crm" }, { name: "archive" }],
    async (server, [crm, archive]) => {
      crm.setDefault({ status: 410 });
      archive.setDefault({ status: 410 });
      await server.postEnd(await transcriptionFor({ conversationId: "c1" }));
      await server.postEnd(await transcriptionFor({ conversationId: "c2" }));
      await server.context.worker.settle();
      crm.setDefault({ status: 200 });
      archive.setDefault({ status: 200 });

      const byDestination = await server.admin("/admin/replay-failed", {
        method: "POST",
        body: JSON.stringify({ destination: "archive" }),
      });
      assert.deepEqual(await byDestination.json(), { ok: true, replayed: 2 });

      const [oneCrm] = deliveryRows(server).filter((r) =>
        r.destination === "crm"
      );
      const byId = await server.admin("/admin/replay-failed", {
        method: "POST",
        body: JSON.stringify({ ids: [oneCrm.id] }),
      });
      assert.deepEqual(await byId.json(), { ok: true, replayed: 1 });
      await server.context.worker.settle();

      const states = deliveryRows(server).map((r) =>
        `${r.destination}:${r.state}`
      )
        .sort();
      assert.deepEqual(states, [
        "archive:succeeded",
        "archive:succeeded",
        "crm:dead",
        "crm:succeeded",
      ]);
      const invalid = await server.admin("/admin/replay-failed", {
        method: "POST",
        body: JSON.stringify({ ids: "all" }),
      });
      assert.equal(invalid.status, 400);
    },
  );
});

Deno.test("replay of one event adds new deliveries", async () => {
  await withDelivery([{ name: "crm" }], async (server, [crm], clock) => {
    const posted = await server.postFixture("post_call_transcription.json");
    const { event_id: eventId } = await posted.json();
    await server.context.worker.settle();

    const replay = await server.admin(`/events/replay/${eventId}`, {
      method: "POST",
    });
    const answer = await replay.json();
    assert.equal(replay.status, 200);
    assert.equal(answer.deliveries.length, 1);
    await server.context.worker.settle();
    assert.equal(crm.received.length, 2);
    assert.notEqual(
      crm.received[0].headers.get("webhook-id"),
      crm.received[1].headers.get("webhook-id"),
    );

    crm.script({ status: 500 });
    await server.admin(`/events/replay/${eventId}`, { method: "POST" });
    await server.context.worker.settle();
    const whileLive = await server.admin(`/events/replay/${eventId}`, {
      method: "POST",
    });
    assert.deepEqual((await whileLive.json()).deliveries, []);

    const missing = await server.admin("/events/replay/evt_0000", {
      method: "POST",
    });
    assert.equal(missing.status, 404);
    const unknown = await server.admin(`/events/replay/${eventId}`, {
      method: "POST",
      body: JSON.stringify({ destination: "nowhere" }),
    });
    assert.equal(unknown.status, 400);
    clock.advance(0);
  });
});

Deno.test("open breaker spends no attempts", async () => {
  await withDelivery([{
    name: "crm",
    concurrency: 1,
    backoff: { baseMs: 1000, capMs: 3_600_000 },
    breaker: { failureThreshold: 2, cooldownMs: 30_000 },
  }], async (server, [crm], clock) => {
    crm.setDefault({ status: 500 });
    for (const id of ["b1", "b2", "b3"]) {
      await server.postEnd(await transcriptionFor({ conversationId: id }));
    }
    await server.context.worker.settle();

    assert.equal(crm.received.length, 2);
    const [breaker] = server.context.worker.breakers();
    assert.equal(breaker.snapshot.state, "open");

    clock.advance(20_000);
    await server.context.worker.settle();
    assert.equal(crm.received.length, 2);
    const attempts = deliveryRows(server).map((r) => r.attempts).sort();
    assert.deepEqual(attempts, [0, 1, 1]);

    crm.setDefault({ status: 200 });
    clock.advance(10_000);
    await server.context.worker.settle();

    assert.equal(server.context.worker.breakers()[0].snapshot.state, "closed");
    assert.equal(crm.received.length, 5);
    assert.deepEqual(
      deliveryRows(server).map((r) => r.state),
      ["succeeded", "succeeded", "succeeded"],
    );
  });
});

Deno.test("admin queue lists dead deliveries and breakers", async () => {
  await withDelivery([{ name: "crm" }], async (server, [crm]) => {
    crm.setDefault({ status: 422, body: "<b>bad</b>" });
    await server.postFixture("post_call_transcription.json");
    await server.context.worker.settle();

    const response = await server.admin("/admin/queue");
    const queue = await response.json();
    assert.equal(response.status, 200);
    assert.deepEqual(queue.counts, [{
      destination: "crm",
      state: "dead",
      count: 1,
    }]);
    assert.equal(queue.breakers[0].destination, "crm");
    assert.equal(queue.breakers[0].state, "closed");
    assert.equal(queue.dead[0].last_status, 422);

    const resilience = await fetch(`${server.url}/health/resilience`);
    const health = await resilience.json();
    assert.equal(resilience.status, 200);
    assert.deepEqual(health.counts, queue.counts);
  });
});

Deno.test("slack gets a readable message and no audio", async () => {
  await withDelivery(
    [{ name: "slack", kind: "slack" }],
    async (server, [slack]) => {
      await server.postFixture("post_call_transcription.json");
      await server.postFixture("post_call_audio.json");
      await server.postFixture("call_initiation_failure_sip.json");
      await server.context.worker.settle();

      assert.equal(slack.received.length, 2);
      const [call, failure] = slack.received.map((r) => JSON.parse(r.body));
      assert.match(call.text, /Coverage for a family of two/);
      assert.ok(Array.isArray(call.blocks));
      assert.match(JSON.stringify(call), /\*{7}0987/);
      assert.doesNotMatch(JSON.stringify(call), /15550100987/);
      assert.doesNotMatch(JSON.stringify(call), /work visa and I need/);
      assert.match(JSON.stringify(failure), /busy/i);
      assert.equal(slack.received[0].headers.get("webhook-signature"), null);
    },
  );
});

Deno.test("replay refuses audio for slack", async () => {
  await withDelivery(
    [{ name: "crm" }, { name: "slack", kind: "slack" }],
    async (server, [crm, slack]) => {
      const posted = await server.postFixture("post_call_audio.json");
      const { event_id: eventId } = await posted.json();
      await server.context.worker.settle();
      assert.equal(crm.received.length, 1);

      const refused = await server.admin(`/events/replay/${eventId}`, {
        method: "POST",
        body: JSON.stringify({ destination: "slack" }),
      });
      assert.equal(refused.status, 400);
      assert.equal(slack.received.length, 0);
    },
  );
});

Deno.test("shutdown releases a hanging delivery", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  const crm = startDestination();
  crm.setDefault("hang");
  try {
    const server = await startTestServer({
      folder,
      destinations: [{ name: "crm", kind: "http", url: crm.url }],
    });
    await server.postFixture("post_call_transcription.json");
    await crm.waitForRequests(1);
    await server.close();

    // A clock at 0 keeps the restarted worker from claiming the delivery
    // before the check reads it.
    const restarted = await startTestServer({
      folder,
      now: () => 0,
      destinations: [{ name: "crm", kind: "http", url: crm.url }],
    });
    const [row] = deliveryRows(restarted);
    await restarted.close();
    assert.equal(row.state, "pending");
    assert.equal(row.attempts, 0);
  } finally {
    await crm.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("replay-failed adds no second live delivery", async () => {
  await withDelivery([{ name: "crm" }], async (server, [crm]) => {
    crm.script({ status: 410 }, { status: 500 });
    const posted = await server.postFixture("post_call_transcription.json");
    const { event_id: eventId } = await posted.json();
    await server.context.worker.settle();
    await server.admin(`/events/replay/${eventId}`, { method: "POST" });
    await server.context.worker.settle();

    const response = await server.admin("/admin/replay-failed", {
      method: "POST",
    });
    const states = deliveryRows(server).map((row) => row.state).sort();

    assert.deepEqual(await response.json(), { ok: true, replayed: 0 });
    assert.deepEqual(states, ["dead", "pending"]);
  });
});
