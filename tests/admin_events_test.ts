import assert from "node:assert/strict";
import { ADMIN_CHALLENGE } from "../src/http/admin_auth.ts";
import { assertJsonError } from "./support/assertions.ts";
import {
  INIT_SECRET,
  readFixture,
  readFixtureJson,
} from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Event ids of the seeded events, in the order they were stored. */
interface Seeded {
  transcription: string;
  audio: string;
  twilioFailure: string;
  sipFailure: string;
  unknownType: string;
  otherAgent: string;
  initiation: string;
}

/** A clock the test moves, so `received_at` differs between events. */
interface Clock {
  nowMs: number;
}

/** A transcription for another agent, with LIKE wildcards in its summary. */
const OTHER_AGENT_EVENT = JSON.stringify({
  type: "post_call_transcription",
  event_timestamp: 1767232800,
  data: {
    conversation_id: "conv_admin_other",
    agent_id: "agent_other",
    metadata: { phone_call: { external_number: "+15550100222" } },
    analysis: { transcript_summary: "Wants 100% cover for dental_plans." },
  },
});

async function storeEvent(
  server: TestServer,
  clock: Clock,
  atMs: number,
  body: Uint8Array<ArrayBuffer> | string,
): Promise<string> {
  clock.nowMs = atMs;
  const response = await server.postEnd(body);
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer.event_id;
}

/**
 * Stores seven events: three at T0 (a minute apart) and four an hour later,
 * the last being an initiation request.
 */
async function seedEvents(server: TestServer, clock: Clock): Promise<Seeded> {
  const at = (offsetMs: number, fixture: string) =>
    readFixture(fixture).then((body) =>
      storeEvent(server, clock, T0 + offsetMs, body)
    );
  const seeded = {
    transcription: await at(0, "post_call_transcription.json"),
    audio: await at(MINUTE_MS, "post_call_audio.json"),
    twilioFailure: await at(
      2 * MINUTE_MS,
      "call_initiation_failure_twilio.json",
    ),
    sipFailure: await at(HOUR_MS, "call_initiation_failure_sip.json"),
    unknownType: await at(HOUR_MS + MINUTE_MS, "unknown_type.json"),
    otherAgent: await storeEvent(
      server,
      clock,
      T0 + HOUR_MS + 2 * MINUTE_MS,
      OTHER_AGENT_EVENT,
    ),
  };

  clock.nowMs = T0 + HOUR_MS + 3 * MINUTE_MS;
  const init = await fetch(`${server.url}/webhooks/eleven/conversation-init`, {
    method: "POST",
    headers: { authorization: `Bearer ${INIT_SECRET}` },
    body: await readFixture("conversation_init_request.json"),
  });
  await init.body?.cancel();
  assert.equal(init.status, 200);
  const row = server.database.prepare(
    "SELECT id FROM events WHERE type = 'conversation_initiation'",
  ).get();
  return { ...seeded, initiation: String(row?.id) };
}

async function withSeededServer(
  test: (server: TestServer, seeded: Seeded) => Promise<void>,
): Promise<void> {
  const clock = { nowMs: T0 };
  const server = await startTestServer({ now: () => clock.nowMs });
  try {
    await test(server, await seedEvents(server, clock));
  } finally {
    await server.close();
  }
}

async function listIds(server: TestServer, query: string): Promise<string[]> {
  const response = await server.admin(`/events?${query}`);
  const page = await response.json();
  assert.equal(response.status, 200, JSON.stringify(page));
  return page.items.map((item: { id: string }) => item.id);
}

// Authentication

Deno.test("events answer 401 without a token", async () => {
  const server = await startTestServer();
  try {
    for (const path of ["/events", "/events/evt_0", "/admin/queue"]) {
      const response = await fetch(`${server.url}${path}`);

      assert.equal(
        response.headers.get("www-authenticate"),
        ADMIN_CHALLENGE,
        path,
      );
      await assertJsonError(response, 401);
    }
  } finally {
    await server.close();
  }
});

Deno.test("events answer 401 to a wrong token", async () => {
  const server = await startTestServer();
  try {
    const wrongHeaders = [
      "Bearer admin-token-for-tests-0002",
      "Bearer admin-token-for-tests-0001x",
      "Basic YWRtaW46YWRtaW4=",
      "admin-token-for-tests-0001",
    ];
    for (const authorization of wrongHeaders) {
      const response = await fetch(`${server.url}/events`, {
        headers: { authorization },
      });

      assert.equal(
        response.headers.get("www-authenticate"),
        ADMIN_CHALLENGE,
        authorization,
      );
      await assertJsonError(response, 401);
    }
  } finally {
    await server.close();
  }
});

Deno.test("events answer 503 without ADMIN_TOKEN", async () => {
  const server = await startTestServer({ environment: { ADMIN_TOKEN: "" } });
  try {
    for (const path of ["/events", "/events/evt_0"]) {
      const response = await server.admin(path);

      const error = await assertJsonError(response, 503);
      assert.match(error, /ADMIN_TOKEN is not set/, path);
    }
  } finally {
    await server.close();
  }
});

// Listing and filters

Deno.test("events list newest first", () =>
  withSeededServer(async (server, seeded) => {
    const ids = await listIds(server, "");

    assert.deepEqual(ids, [
      seeded.initiation,
      seeded.otherAgent,
      seeded.unknownType,
      seeded.sipFailure,
      seeded.twilioFailure,
      seeded.audio,
      seeded.transcription,
    ]);
  }));

Deno.test("events list item shape", () =>
  withSeededServer(async (server, seeded) => {
    const response = await server.admin("/events?limit=500");
    const page = await response.json();
    const item = page.items.find((i: { id: string }) =>
      i.id === seeded.transcription
    );

    assert.equal(page.next_cursor, null);
    assert.deepEqual(item, {
      id: seeded.transcription,
      type: "post_call_transcription",
      conversation_id: "conv_2101kbxr3example0000000001",
      agent_id: "agent_5601kbxq7example0000000000",
      caller: "+*******0987",
      call_sid: "CA00000000000000000000000000000001",
      outcome: "success",
      received_at: "2026-01-01T00:00:00.000Z",
      event_timestamp: 1764860400,
      delivery_counts: {},
    });
  }));

Deno.test("events filter by type", () =>
  withSeededServer(async (server, seeded) => {
    const ids = await listIds(server, "type=call_initiation_failure");

    assert.deepEqual(ids, [seeded.sipFailure, seeded.twilioFailure]);
  }));

Deno.test("events filter by conversation_id", () =>
  withSeededServer(async (server, seeded) => {
    const ids = await listIds(
      server,
      "conversation_id=conv_2101kbxr3example0000000001",
    );

    assert.deepEqual(ids, [
      seeded.unknownType,
      seeded.audio,
      seeded.transcription,
    ]);
  }));

Deno.test("events filter by agent_id", () =>
  withSeededServer(async (server, seeded) => {
    const ids = await listIds(server, "agent_id=agent_other");

    assert.deepEqual(ids, [seeded.otherAgent]);
  }));

Deno.test("events filter by caller", () =>
  withSeededServer(async (server, seeded) => {
    const ids = await listIds(server, "caller=%2B15550100987");

    assert.deepEqual(ids, [seeded.initiation, seeded.transcription]);
  }));

Deno.test("events filter by an unencoded caller", () =>
  withSeededServer(async (server, seeded) => {
    // A "+" typed into a query string decodes as a space.
    const ids = await listIds(server, "caller=+15550100987");

    assert.deepEqual(ids, [seeded.initiation, seeded.transcription]);
  }));

Deno.test("events list masks callers", () =>
  withSeededServer(async (server) => {
    const response = await server.admin("/events");
    const text = await response.text();

    for (const number of ["+15550100987", "+15550100456", "+15550100789"]) {
      assert.ok(!text.includes(number), number);
    }
    assert.ok(text.includes('"caller":"+*******0456"'));
  }));

Deno.test("events filter by text in the body", () =>
  withSeededServer(async (server, seeded) => {
    const ids = await listIds(server, "q=work%20visa");

    assert.deepEqual(ids, [seeded.transcription]);
  }));

Deno.test("events text filter treats % and _ literally", () =>
  withSeededServer(async (server, seeded) => {
    const percent = await listIds(server, "q=%25");
    const underscore = await listIds(server, "q=dental_plans");
    const wildcardOnly = await listIds(server, "q=dental%25plans");

    assert.deepEqual(percent, [seeded.otherAgent]);
    assert.deepEqual(underscore, [seeded.otherAgent]);
    assert.deepEqual(wildcardOnly, []);
  }));

Deno.test("events filter by since", () =>
  withSeededServer(async (server, seeded) => {
    const since = new Date(T0 + HOUR_MS).toISOString();
    const ids = await listIds(server, `since=${since}`);

    assert.deepEqual(ids, [
      seeded.initiation,
      seeded.otherAgent,
      seeded.unknownType,
      seeded.sipFailure,
    ]);
  }));

Deno.test("events filter by until", () =>
  withSeededServer(async (server, seeded) => {
    const until = new Date(T0 + HOUR_MS).toISOString();
    const ids = await listIds(server, `until=${until}`);

    assert.deepEqual(ids, [
      seeded.twilioFailure,
      seeded.audio,
      seeded.transcription,
    ]);
  }));

Deno.test("events read since with an offset or as a date", () =>
  withSeededServer(async (server) => {
    const withOffset = await listIds(
      server,
      "since=2026-01-01T01:00:00%2B01:00",
    );
    const dateOnly = await listIds(server, "since=2026-01-01");
    const dayAfter = await listIds(server, "since=2026-01-02");

    assert.equal(withOffset.length, 7);
    assert.equal(dateOnly.length, 7);
    assert.equal(dayAfter.length, 0);
  }));

Deno.test("events filter by since and until", () =>
  withSeededServer(async (server, seeded) => {
    const since = new Date(T0 + MINUTE_MS).toISOString();
    const until = new Date(T0 + HOUR_MS + MINUTE_MS).toISOString();
    const ids = await listIds(server, `since=${since}&until=${until}`);

    assert.deepEqual(ids, [
      seeded.sipFailure,
      seeded.twilioFailure,
      seeded.audio,
    ]);
  }));

Deno.test("events combine filters", () =>
  withSeededServer(async (server, seeded) => {
    const ids = await listIds(
      server,
      "type=post_call_transcription&caller=%2B15550100987",
    );

    assert.deepEqual(ids, [seeded.transcription]);
  }));

Deno.test("events limit the page size", () =>
  withSeededServer(async (server, seeded) => {
    const response = await server.admin("/events?limit=2");
    const page = await response.json();

    assert.deepEqual(page.items.map((i: { id: string }) => i.id), [
      seeded.initiation,
      seeded.otherAgent,
    ]);
    assert.equal(typeof page.next_cursor, "string");
  }));

Deno.test("events default to 50 a page", async () => {
  const server = await startTestServer();
  try {
    for (let i = 0; i < 51; i++) {
      const body = `{"type":"agent_qa","data":{"conversation_id":"conv_${i}"}}`;
      await (await server.postEnd(body)).body?.cancel();
    }
    const response = await server.admin("/events");
    const page = await response.json();

    assert.equal(page.items.length, 50);
    assert.equal(typeof page.next_cursor, "string");
  } finally {
    await server.close();
  }
});

Deno.test("events cursor walks every page once", () =>
  withSeededServer(async (server) => {
    const all = await listIds(server, "limit=500");
    const walked: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor
        ? `limit=3&cursor=${encodeURIComponent(cursor)}`
        : "limit=3";
      const response = await server.admin(`/events?${query}`);
      const page = await response.json();
      assert.equal(response.status, 200, JSON.stringify(page));
      walked.push(...page.items.map((i: { id: string }) => i.id));
      pageSizes.push(page.items.length);
      cursor = page.next_cursor;
    } while (cursor && pageSizes.length < 10);

    assert.deepEqual(pageSizes, [3, 3, 1]);
    assert.deepEqual(walked, all);
    assert.equal(new Set(walked).size, walked.length);
  }));

Deno.test("events cursor keeps the filters", () =>
  withSeededServer(async (server, seeded) => {
    const first = await (await server.admin(
      "/events?type=call_initiation_failure&limit=1",
    )).json();
    const second = await (await server.admin(
      `/events?type=call_initiation_failure&limit=1&cursor=${first.next_cursor}`,
    )).json();

    assert.deepEqual(first.items.map((i: { id: string }) => i.id), [
      seeded.sipFailure,
    ]);
    assert.deepEqual(second.items.map((i: { id: string }) => i.id), [
      seeded.twilioFailure,
    ]);
    assert.equal(second.next_cursor, null);
  }));

const badQueries: [string, RegExp][] = [
  ["limit=0", /^query parameter limit: invalid value "0", expected/],
  ["limit=501", /^query parameter limit: invalid value "501", expected/],
  ["limit=abc", /^query parameter limit: invalid value "abc", expected/],
  ["limit=2.5", /^query parameter limit: invalid value "2.5", expected/],
  ["since=yesterday", /^query parameter since: invalid value "yesterday"/],
  [
    "since=Dec%204%202025",
    /^query parameter since: invalid value "Dec 4 2025"/,
  ],
  ["since=2026-02-30", /^query parameter since: invalid value "2026-02-30"/],
  ["until=not-a-date", /^query parameter until: invalid value "not-a-date"/],
  [
    "until=2026-01-01T10:00:00",
    /^query parameter until: invalid value "2026-01-01T10:00:00", expected an ISO 8601 date/,
  ],
  ["cursor=%21%21%21", /^cursor is invalid/],
  [`cursor=${btoa("e0")}`, /^cursor is invalid/],
  [`cursor=${btoa("x5")}`, /^cursor is invalid/],
  ["colour=red", /^unknown query parameter "colour": expected one of type,/],
];

for (const [query, namePattern] of badQueries) {
  Deno.test(`events answer 400 to ${query}`, async () => {
    const server = await startTestServer();
    try {
      const response = await server.admin(`/events?${query}`);

      const error = await assertJsonError(response, 400);
      assert.match(error, namePattern);
    } finally {
      await server.close();
    }
  });
}

// One event

Deno.test("events/:id returns the body and deliveries", async () => {
  const destination = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(null, { status: 204 }),
  );
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  try {
    const destinationsFile = `${folder}/destinations.json`;
    await Deno.writeTextFile(
      destinationsFile,
      JSON.stringify({
        destinations: [{
          name: "crm",
          kind: "http",
          url: `http://127.0.0.1:${destination.addr.port}/hooks`,
        }],
      }),
    );
    const server = await startTestServer({
      folder,
      environment: { DESTINATIONS_FILE: destinationsFile },
    });
    try {
      const stored = await server.postFixture("post_call_transcription.json");
      const { event_id: eventId } = await stored.json();
      const response = await server.admin(`/events/${eventId}`);
      const event = await response.json();

      assert.equal(response.status, 200);
      assert.equal(event.id, eventId);
      assert.equal(event.type, "post_call_transcription");
      assert.equal(event.caller, "+*******0987");
      assert.deepEqual(
        event.body,
        await readFixtureJson("post_call_transcription.json"),
      );
      assert.equal(event.deliveries.length, 1);
      assert.equal(event.deliveries[0].destination, "crm");
      assert.match(event.deliveries[0].id, /^msg_/);
      assert.ok(Array.isArray(event.deliveries[0].attempt_log));
    } finally {
      await server.close();
    }
  } finally {
    await destination.shutdown();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("events/:id answers 404 to an unknown id", async () => {
  const server = await startTestServer();
  try {
    for (const id of ["evt_01KDX0000000000000000000000", "nothing-here"]) {
      const response = await server.admin(`/events/${id}`);

      await assertJsonError(response, 404);
    }
  } finally {
    await server.close();
  }
});
