import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../src/store/database.ts";
import { MIGRATIONS } from "../src/store/schema.ts";
import {
  startDestination,
  type TestDestination,
} from "./support/destination.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

/**
 * Runs `test` with one `crm` destination that responds with 400 until the
 * test changes its default, so the first delivery goes straight to `dead`.
 */
async function withFailingCrm(
  test: (
    server: TestServer,
    crm: TestDestination,
    clock: { nowMs: number },
  ) => Promise<void>,
  settings: Record<string, unknown> = {},
): Promise<void> {
  const crm = startDestination();
  crm.setDefault({ status: 400, body: "rejected" });
  const clock = { nowMs: Date.parse("2026-01-01T00:00:00Z") };
  const server = await startTestServer({
    now: () => clock.nowMs,
    random: () => 0,
    destinations: [{ name: "crm", kind: "http", url: crm.url, ...settings }],
  });
  try {
    await test(server, crm, clock);
  } finally {
    await server.close();
    await crm.close();
  }
}

/** Stores the transcription fixture, lets the worker run, returns the id. */
async function storeAndDeliver(server: TestServer): Promise<string> {
  const response = await server.postFixture("post_call_transcription.json");
  const { event_id: eventId } = await response.json();
  await server.context.worker.settle();
  return eventId;
}

/** Replays every dead delivery and lets the worker run. */
async function replayAllDead(server: TestServer): Promise<void> {
  const response = await server.admin("/admin/replay-failed", {
    method: "POST",
  });
  assert.equal(response.status, 200, await response.clone().text());
  await response.body?.cancel();
  await server.context.worker.settle();
}

Deno.test("replay numbers attempts per run", () =>
  withFailingCrm(async (server, crm) => {
    const eventId = await storeAndDeliver(server);
    await replayAllDead(server);
    crm.setDefault({ status: 200 });
    await replayAllDead(server);

    const response = await server.admin(`/events/${eventId}`);
    const [delivery] = (await response.json()).deliveries;
    const log = delivery.attempt_log.map((
      entry: { replay: number; attempt: number; status: number },
    ) => [entry.replay, entry.attempt, entry.status]);

    assert.deepEqual(log, [[0, 1, 400], [1, 1, 400], [2, 1, 200]]);
    assert.equal(delivery.replays, 2);
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.state, "succeeded");
  }));

Deno.test("replay keeps counting attempts within a run", () =>
  withFailingCrm(async (server, crm, clock) => {
    await storeAndDeliver(server);
    crm.setDefault({ status: 503 });
    await replayAllDead(server);
    crm.setDefault({ status: 200 });
    clock.nowMs += 3_600_000;
    await server.context.worker.settle();

    const rows = server.database.prepare(
      "SELECT replay, attempt, status FROM outbound_attempts ORDER BY id",
    ).all().map((row) => [row.replay, row.attempt, row.status]);

    assert.deepEqual(rows, [[0, 1, 400], [1, 1, 503], [1, 2, 200]]);
  }, { breaker: { failureThreshold: 100, cooldownMs: 1000 } }));

Deno.test("event replay starts a delivery at replay 0", () =>
  withFailingCrm(async (server, crm) => {
    const eventId = await storeAndDeliver(server);
    crm.setDefault({ status: 200 });

    const replay = await server.admin(`/events/replay/${eventId}`, {
      method: "POST",
    });
    const [newId] = (await replay.json()).deliveries;
    await server.context.worker.settle();
    const event = await (await server.admin(`/events/${eventId}`)).json();
    const created = event.deliveries.find((d: { id: string }) =>
      d.id === newId
    );

    assert.equal(created.replays, 0);
    assert.deepEqual(
      created.attempt_log.map((entry: { replay: number }) => entry.replay),
      [0],
    );
  }));

Deno.test("event page labels replayed attempts", () =>
  withFailingCrm(async (server) => {
    const eventId = await storeAndDeliver(server);
    await replayAllDead(server);

    const response = await server.admin(`/events/ui/${eventId}`, {
      headers: { accept: "text/html" },
    });
    const page = await response.text();

    assert.equal(response.status, 200);
    assert.match(page, /<td data-label="Attempt" class="num">1<\/td>/);
    assert.match(
      page,
      /<td data-label="Attempt" class="num">replay 1, attempt 1<\/td>/,
    );
    assert.match(page, /1 attempt since replay 1/);
  }));

Deno.test("replay-all skips removed destinations", async () => {
  const crm = startDestination();
  const old = startDestination();
  crm.setDefault({ status: 410 });
  old.setDefault({ status: 410 });
  const folder = await Deno.makeTempDir({ prefix: "asknewton-replay-" });
  const crmSettings = { name: "crm", kind: "http", url: crm.url };
  try {
    const first = await startTestServer({
      folder,
      random: () => 0,
      destinations: [crmSettings, { name: "old", kind: "http", url: old.url }],
    });
    await storeAndDeliver(first);
    await first.close();

    const second = await startTestServer({
      folder,
      random: () => 0,
      destinations: [crmSettings],
    });
    try {
      const filtered = await second.admin("/admin/queue?destination=old");
      const named = await second.admin("/admin/replay-failed", {
        method: "POST",
        body: '{"destination":"old"}',
      });
      crm.setDefault({ status: 200 });
      const all = await second.admin("/admin/replay-failed", {
        method: "POST",
      });
      await second.context.worker.settle();
      const states = second.database.prepare(
        "SELECT destination, state FROM deliveries ORDER BY destination",
      ).all().map((row) => `${row.destination}:${row.state}`);

      assert.equal(filtered.status, 200);
      assert.equal((await filtered.json()).dead[0].destination, "old");
      assert.equal(named.status, 400);
      assert.match((await named.json()).error, /"old" is not configured/);
      assert.deepEqual(await all.json(), { ok: true, replayed: 1 });
      assert.deepEqual(states, ["crm:succeeded", "old:dead"]);
      assert.equal(old.received.length, 1);
    } finally {
      await second.close();
    }
  } finally {
    await crm.close();
    await old.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("migration keeps old attempts as replay 0", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-migrate-" });
  const path = `${folder}/old.db`;
  try {
    const old = new DatabaseSync(path);
    old.exec(MIGRATIONS[0]);
    old.exec(MIGRATIONS[1]);
    old.exec("PRAGMA user_version = 2");
    old.exec(`
      INSERT INTO events (id, type, dedup_key, received_at, body)
      VALUES ('evt_1', 'agent_qa', 'k1', 0, '{}');
      INSERT INTO deliveries (id, event_id, destination, state, attempts,
        next_attempt_at, created_at, updated_at)
      VALUES ('msg_1', 'evt_1', 'crm', 'dead', 1, 0, 0, 0);
      INSERT INTO outbound_attempts (delivery_id, attempt, started_at,
        duration_ms, status)
      VALUES ('msg_1', 1, 0, 5, 400);`);
    old.close();

    const database = openDatabase(path);
    const delivery = database.prepare("SELECT replays FROM deliveries").get();
    const attempt = database.prepare("SELECT replay FROM outbound_attempts")
      .get();
    database.close();

    assert.equal(delivery?.replays, 0);
    assert.equal(attempt?.replay, 0);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
