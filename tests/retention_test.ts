import assert from "node:assert/strict";
import { runRetention } from "../src/store/retention.ts";
import { audioBody, fakeMp3 } from "./support/audio_bodies.ts";
import {
  INIT_SECRET,
  readFixture,
  transcriptionFor,
} from "./support/fixtures.ts";
import {
  startDestination,
  type TestDestination,
} from "./support/destination.ts";
import { spawnServer } from "./support/server_process.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const DAY_MS = 24 * 3_600_000;

/** Returns a fake clock that tests move by hand. */
function fakeClock() {
  let nowMs = Date.now();
  return {
    now: () => nowMs,
    set: (ms: number) => {
      nowMs = ms;
    },
  };
}

/** Starts a server with one `crm` destination and a fake clock. */
async function withRetentionServer(
  environment: Record<string, string>,
  run: (
    server: TestServer,
    crm: TestDestination,
    clock: ReturnType<typeof fakeClock>,
  ) => Promise<void>,
): Promise<void> {
  const clock = fakeClock();
  const crm = startDestination();
  const server = await startTestServer({
    now: clock.now,
    random: () => 0,
    environment,
    destinations: [{
      name: "crm",
      kind: "http",
      url: crm.url,
      breaker: { failureThreshold: 100, cooldownMs: 1000 },
    }],
  });
  try {
    await run(server, crm, clock);
  } finally {
    await server.close();
    await crm.close();
  }
}

async function postConversation(
  server: TestServer,
  conversationId: string,
): Promise<string> {
  const response = await server.postEnd(
    await transcriptionFor({ conversationId }),
  );
  assert.equal(response.status, 200);
  return (await response.json()).event_id;
}

function rowCount(server: TestServer, sql: string, ...ids: string[]): number {
  const row = server.database.prepare(sql).get(...ids);
  return Number(row?.n);
}

function eventExists(server: TestServer, eventId: string): boolean {
  return rowCount(
    server,
    "SELECT count(*) AS n FROM events WHERE id = ?",
    eventId,
  ) === 1;
}

function deliveryState(server: TestServer, eventId: string): string {
  const row = server.database.prepare(
    "SELECT state FROM deliveries WHERE event_id = ?",
  ).get(eventId);
  return String(row?.state);
}

function audioRows(server: TestServer, eventId: string): number {
  return rowCount(
    server,
    "SELECT count(*) AS n FROM event_audio WHERE event_id = ?",
    eventId,
  );
}

function eventRow(server: TestServer, eventId: string) {
  return server.database.prepare(
    "SELECT body, summary, redacted_at, init_response FROM events WHERE id = ?",
  ).get(eventId) as {
    body: string;
    summary: string | null;
    redacted_at: number | null;
    init_response: string | null;
  };
}

Deno.test("purge removes only old finished events", async () => {
  await withRetentionServer({}, async (server, crm, clock) => {
    const today = clock.now();
    clock.set(today - 100 * DAY_MS);
    crm.script({ status: 200 }, { status: 400 });
    crm.setDefault({ status: 500 });
    const delivered = await postConversation(server, "old-delivered");
    await server.context.worker.settle();
    const dead = await postConversation(server, "old-dead");
    await server.context.worker.settle();
    const pending = await postConversation(server, "old-pending");
    await server.context.worker.settle();
    clock.set(today - 89 * DAY_MS);
    const recent = await postConversation(server, "recent");
    await server.context.worker.settle();

    clock.set(today);
    const report = await server.retention.runOnce();

    assert.equal(deliveryState(server, dead), "dead");
    assert.equal(deliveryState(server, pending), "pending");
    assert.equal(eventExists(server, delivered), false);
    assert.equal(eventExists(server, dead), true);
    assert.equal(eventExists(server, pending), true);
    assert.equal(eventExists(server, recent), true);
    assert.equal(report?.events, 1);
    assert.equal(report?.deliveries, 1);
    assert.equal(report?.attempts, 1);
    assert.equal(report?.keptEvents, 2);
    const orphans = rowCount(
      server,
      `SELECT count(*) AS n FROM outbound_attempts
        WHERE delivery_id NOT IN (SELECT id FROM deliveries)`,
    );
    assert.equal(orphans, 0);
  });
});

Deno.test("purge takes a replayed dead event next time", async () => {
  await withRetentionServer({}, async (server, crm, clock) => {
    const today = clock.now();
    clock.set(today - 100 * DAY_MS);
    crm.script({ status: 400 });
    const eventId = await postConversation(server, "replayed");
    await server.context.worker.settle();

    clock.set(today);
    await server.retention.runOnce();
    assert.equal(eventExists(server, eventId), true);

    const replay = await server.admin("/admin/replay-failed", {
      method: "POST",
    });
    assert.equal(replay.status, 200);
    await server.context.worker.settle();
    const report = await server.retention.runOnce();

    assert.equal(eventExists(server, eventId), false);
    assert.equal(report?.events, 1);
    assert.equal(report?.attempts, 2);
  });
});

Deno.test("purge removes stored audio with its event", async () => {
  await withRetentionServer({}, async (server, _crm, clock) => {
    const today = clock.now();
    clock.set(today - 100 * DAY_MS);
    const posted = await server.postEnd(await audioBody(fakeMp3(200_000)));
    const { event_id: eventId } = await posted.json();
    await server.context.worker.settle();
    assert.equal(audioRows(server, eventId), 1);

    clock.set(today);
    const report = await server.retention.runOnce();

    assert.equal(eventExists(server, eventId), false);
    assert.equal(audioRows(server, eventId), 0);
    assert.equal(report?.audio, 1);
  });
});

Deno.test("purge keeps everything when RETENTION_DAYS is 0", async () => {
  await withRetentionServer(
    { RETENTION_DAYS: "0" },
    async (server, _crm, clock) => {
      const today = clock.now();
      clock.set(today - 1000 * DAY_MS);
      const eventId = await postConversation(server, "ancient");
      await server.context.worker.settle();

      clock.set(today);
      const report = await server.retention.runOnce();

      assert.equal(server.retention.enabled, false);
      assert.equal(eventExists(server, eventId), true);
      assert.equal(report?.events, 0);
    },
  );
});

Deno.test("purge works through many small batches", async () => {
  await withRetentionServer({}, async (server, _crm, clock) => {
    const today = clock.now();
    clock.set(today - 100 * DAY_MS);
    for (let i = 0; i < 7; i++) await postConversation(server, `batch-${i}`);
    await server.context.worker.settle();

    const report = await runRetention(server.database, {
      now: () => today,
      retentionDays: 90,
      redactAfterDays: 0,
      purgeBatchSize: 2,
    });

    assert.equal(report.events, 7);
    assert.equal(report.deliveries, 7);
    assert.equal(
      rowCount(server, "SELECT count(*) AS n FROM events"),
      0,
    );
  });
});

Deno.test("purge stops between batches when aborted", async () => {
  await withRetentionServer({}, async (server, _crm, clock) => {
    const today = clock.now();
    clock.set(today - 100 * DAY_MS);
    for (let i = 0; i < 4; i++) await postConversation(server, `abort-${i}`);
    await server.context.worker.settle();

    const controller = new AbortController();
    const running = runRetention(server.database, {
      now: () => today,
      retentionDays: 90,
      redactAfterDays: 0,
      purgeBatchSize: 1,
      signal: controller.signal,
    });
    controller.abort();
    const report = await running;

    assert.equal(report.events, 1);
    assert.equal(rowCount(server, "SELECT count(*) AS n FROM events"), 3);
  });
});

Deno.test("redaction blanks transcripts and keeps metadata", async () => {
  await withRetentionServer(
    { REDACT_AFTER_DAYS: "7" },
    async (server, _crm, clock) => {
      const today = clock.now();
      clock.set(today - 10 * DAY_MS);
      const eventId = await postConversation(server, "talkative");
      await server.context.worker.settle();

      clock.set(today);
      const report = await server.retention.runOnce();

      const row = eventRow(server, eventId);
      const data = JSON.parse(row.body).data;
      const messages = data.transcript.map((turn: { message: string }) =>
        turn.message
      );
      assert.deepEqual(messages, ["", "", "", ""]);
      assert.equal(data.transcript[2].tool_calls[0].params_as_json, "");
      assert.equal(data.transcript[2].tool_results[0].result_value, "");
      assert.equal(data.analysis.transcript_summary, "");
      assert.equal(data.analysis.call_summary_title, "");
      assert.equal(data.analysis.data_collection_results.zip_code.value, null);
      assert.equal(
        data.analysis.data_collection_results.zip_code.rationale,
        "",
      );
      assert.equal(data.analysis.call_successful, "success");
      assert.equal(data.metadata.call_duration_secs, 82);
      assert.equal(data.metadata.phone_call.external_number, "+15550100987");
      assert.equal(data.conversation_id, "talkative");
      assert.equal(row.summary, null);
      assert.equal(row.redacted_at, today);
      assert.equal(report?.redacted, 1);
    },
  );
});

Deno.test("redaction leaves recent events alone", async () => {
  await withRetentionServer(
    { REDACT_AFTER_DAYS: "7" },
    async (server, _crm, clock) => {
      const today = clock.now();
      clock.set(today - 6 * DAY_MS);
      const eventId = await postConversation(server, "recent-call");
      await server.context.worker.settle();
      const before = eventRow(server, eventId).body;

      clock.set(today);
      await server.retention.runOnce();

      const row = eventRow(server, eventId);
      assert.equal(row.body, before);
      assert.equal(row.redacted_at, null);
    },
  );
});

Deno.test("redaction waits for pending deliveries", async () => {
  await withRetentionServer(
    { REDACT_AFTER_DAYS: "7" },
    async (server, crm, clock) => {
      const today = clock.now();
      clock.set(today - 10 * DAY_MS);
      crm.setDefault({ status: 503 });
      const eventId = await postConversation(server, "undelivered");
      await server.context.worker.settle();

      clock.set(today);
      await server.retention.runOnce();
      assert.equal(eventRow(server, eventId).redacted_at, null);

      crm.setDefault({ status: 200 });
      await server.context.worker.settle();
      await server.retention.runOnce();
      assert.equal(eventRow(server, eventId).redacted_at, today);
    },
  );
});

Deno.test("redaction blanks the summary given to callers", async () => {
  await withRetentionServer(
    { REDACT_AFTER_DAYS: "7" },
    async (server, _crm, clock) => {
      const today = clock.now();
      clock.set(today - 10 * DAY_MS);
      await postConversation(server, "first-call");
      const ring = await initiate(server, "CA-redaction-0001");
      assert.notEqual(ring.dynamic_variables.last_call_summary, "");
      await server.context.worker.settle();

      clock.set(today);
      await server.retention.runOnce();
      const again = await initiate(server, "CA-redaction-0002");

      assert.equal(again.dynamic_variables.last_call_summary, "");
      assert.equal(again.dynamic_variables.previous_call_count, 1);
      const stored = server.database.prepare(
        "SELECT init_response FROM events WHERE call_sid = ?",
      ).get("CA-redaction-0001");
      const answer = JSON.parse(String(stored?.init_response));
      assert.equal(answer.dynamic_variables.last_call_summary, "");
      assert.equal(answer.dynamic_variables.caller_id, "+15550100987");
    },
  );
});

Deno.test("redaction removes stored audio", async () => {
  await withRetentionServer(
    { REDACT_AFTER_DAYS: "7" },
    async (server, _crm, clock) => {
      const today = clock.now();
      clock.set(today - 10 * DAY_MS);
      const posted = await server.postEnd(await audioBody(fakeMp3(200_000)));
      const { event_id: eventId } = await posted.json();
      await server.context.worker.settle();
      assert.equal(audioRows(server, eventId), 1);

      clock.set(today);
      await server.retention.runOnce();

      const body = JSON.parse(eventRow(server, eventId).body);
      assert.equal(audioRows(server, eventId), 0);
      assert.equal(body.data.full_audio, "");
      assert.equal(
        body.data.conversation_id,
        "conv_2101kbxr3example0000000001",
      );
      const download = await server.admin(`/events/${eventId}/audio`);
      const answer = await download.json();
      assert.equal(download.status, 404);
      assert.match(answer.error, /redaction/);
    },
  );
});

Deno.test("server logs each retention run", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-retention-" });
  const server = await spawnServer({
    DB_PATH: `${folder}/asknewton.db`,
    REDACT_AFTER_DAYS: "30",
  });
  try {
    const deadline = Date.now() + 10_000;
    let line: string | undefined;
    while (!line && Date.now() < deadline) {
      line = server.lines.find((text) =>
        text.includes('"retention purge finished"')
      );
      if (!line) await new Promise((resolve) => setTimeout(resolve, 20));
    }

    assert.ok(line, server.lines.join("\n"));
    const properties = JSON.parse(line).properties;
    assert.equal(properties.events, 0);
    assert.equal(properties.redacted, 0);
    assert.equal(typeof properties.duration_ms, "number");
  } finally {
    server.kill();
    await server.exited;
    await Deno.remove(folder, { recursive: true });
  }
});

async function initiate(
  server: TestServer,
  callSid: string,
): Promise<{ dynamic_variables: Record<string, unknown> }> {
  const request = JSON.parse(
    new TextDecoder().decode(
      await readFixture("conversation_init_request.json"),
    ),
  );
  request.call_sid = callSid;
  const response = await fetch(
    `${server.url}/webhooks/eleven/conversation-init`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${INIT_SECRET}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(request),
    },
  );
  assert.equal(response.status, 200);
  return await response.json();
}
