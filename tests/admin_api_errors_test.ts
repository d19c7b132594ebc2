import assert from "node:assert/strict";
import { ADMIN_CHALLENGE } from "../src/http/admin_auth.ts";
import { assertJsonError } from "./support/assertions.ts";
import {
  startDestination,
  type TestDestination,
} from "./support/destination.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

/**
 * Runs `test` against a server with two http destinations, `crm` and
 * `archive`, both real loopback servers that respond with 200.
 */
async function withServer(
  test: (server: TestServer, destinations: TestDestination[]) => Promise<void>,
): Promise<void> {
  const destinations = [startDestination(), startDestination()];
  const server = await startTestServer({
    random: () => 0,
    destinations: [
      { name: "crm", kind: "http", url: destinations[0].url },
      { name: "archive", kind: "http", url: destinations[1].url },
    ],
  });
  try {
    await test(server, destinations);
  } finally {
    await server.close();
    await Promise.all(destinations.map((d) => d.close()));
  }
}

/** Stores the transcription fixture and returns its event id. */
async function storeTranscription(server: TestServer): Promise<string> {
  const response = await server.postFixture("post_call_transcription.json");
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer.event_id;
}

/** Posts JSON to `/admin/replay-failed` with the admin token. */
function replayFailed(server: TestServer, body: string): Promise<Response> {
  return server.admin("/admin/replay-failed", { method: "POST", body });
}

// Wrong methods

/** Method, path (`EVENT` is replaced by a stored event id) and Allow. */
const wrongMethods: [string, string, string][] = [
  ["DELETE", "/admin/queue", "GET, HEAD"],
  ["POST", "/admin/queue", "GET, HEAD"],
  ["GET", "/events/replay/EVENT", "POST"],
  ["HEAD", "/events/replay/EVENT", "POST"],
  ["POST", "/events", "GET, HEAD"],
  ["DELETE", "/events/EVENT", "GET, HEAD"],
  ["PUT", "/events/evt_nope", "GET, HEAD"],
  ["GET", "/admin/replay-failed", "POST"],
  ["POST", "/events/EVENT/audio", "GET, HEAD"],
  ["POST", "/events/ui", "GET, HEAD"],
  ["DELETE", "/events/ui/EVENT", "GET, HEAD"],
  ["GET", "/admin/queue/retry", "POST"],
];

for (const [method, pathPattern, allow] of wrongMethods) {
  Deno.test(`${method} ${pathPattern} answers 405`, () =>
    withServer(async (server) => {
      const eventId = await storeTranscription(server);
      const path = pathPattern.replace("EVENT", eventId);

      const response = await server.admin(path, { method });

      assert.equal(response.headers.get("allow"), allow);
      if (method === "HEAD") {
        assert.equal(response.status, 405);
      } else {
        const error = await assertJsonError(response, 405);
        assert.equal(
          error,
          `method ${method} not allowed on ${path}: use ${allow}`,
        );
      }
    }));
}

Deno.test("wrong method without a token answers 401", () =>
  withServer(async (server) => {
    const response = await fetch(`${server.url}/admin/queue`, {
      method: "DELETE",
    });

    assert.equal(response.headers.get("www-authenticate"), ADMIN_CHALLENGE);
    await assertJsonError(response, 401);
  }));

Deno.test("public route answers 405 to a wrong method", () =>
  withServer(async (server) => {
    const response = await fetch(`${server.url}/healthz`, { method: "POST" });

    assert.equal(response.headers.get("allow"), "GET, HEAD");
    await assertJsonError(response, 405);
  }));

Deno.test("unknown admin path answers 404", () =>
  withServer(async (server) => {
    const response = await server.admin("/admin/nothing-here");

    const error = await assertJsonError(response, 404);
    assert.equal(error, "no route for GET /admin/nothing-here");
  }));

// Event ids

for (const id of ["evt_nope", "whatever", "evt_01KDX0000000000000000000000"]) {
  Deno.test(`events/${id} answers event not found`, () =>
    withServer(async (server) => {
      const response = await server.admin(`/events/${id}`);

      const error = await assertJsonError(response, 404);
      assert.equal(error, "event not found");
    }));
}

Deno.test("events page is not read as an event id", () =>
  withServer(async (server) => {
    const eventId = await storeTranscription(server);
    const html = { accept: "text/html" };

    const list = await server.admin("/events/ui", { headers: html });
    const page = await server.admin(`/events/ui/${eventId}`, { headers: html });

    assert.equal(list.status, 200);
    assert.match(list.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await list.text(), new RegExp(eventId));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Coverage for a family of two/);
  }));

Deno.test("audio route is not read as an event id", () =>
  withServer(async (server) => {
    const eventId = await storeTranscription(server);

    const response = await server.admin(`/events/${eventId}/audio`);

    const error = await assertJsonError(response, 404);
    assert.match(error, /^event has no audio/);
  }));

// Query strings of GET /events

const LIMIT_EXPECTED = "expected a whole number from 1 to 500";

for (
  const [raw, shown] of [
    ["1e2", "1e2"],
    ["%20%205", "  5"],
    ["5%20", "5 "],
    ["0x10", "0x10"],
    ["%2B5", "+5"],
    ["1.5", "1.5"],
    ["", ""],
  ]
) {
  Deno.test(`events reject limit=${raw}`, () =>
    withServer(async (server) => {
      const response = await server.admin(`/events?limit=${raw}`);

      const error = await assertJsonError(response, 400);
      assert.equal(
        error,
        `query parameter limit: invalid value ${
          JSON.stringify(shown)
        }, ${LIMIT_EXPECTED}`,
      );
    }));
}

Deno.test("events accept limit with leading zeros", () =>
  withServer(async (server) => {
    await storeTranscription(server);

    const response = await server.admin("/events?limit=001");
    const page = await response.json();

    assert.equal(response.status, 200, JSON.stringify(page));
    assert.equal(page.items.length, 1);
  }));

for (const query of ["limit=1&limit=2", "type=a&type=b&type=c"]) {
  Deno.test(`events reject ${query}`, () =>
    withServer(async (server) => {
      const name = query.slice(0, query.indexOf("="));
      const count = query.split("&").length;

      const response = await server.admin(`/events?${query}`);

      const error = await assertJsonError(response, 400);
      assert.equal(
        error,
        `query parameter ${name}: given ${count} times, expected once`,
      );
    }));
}

// Query strings of GET /admin/queue

Deno.test("queue rejects an unknown parameter", () =>
  withServer(async (server) => {
    const response = await server.admin("/admin/queue?bogus=1");

    const error = await assertJsonError(response, 400);
    assert.equal(
      error,
      'unknown query parameter "bogus": expected one of destination, retried',
    );
  }));

Deno.test("queue rejects an unknown destination", () =>
  withServer(async (server) => {
    const response = await server.admin("/admin/queue?destination=nope");

    const error = await assertJsonError(response, 400);
    assert.equal(
      error,
      'query parameter destination: destination "nope" is not configured, expected one of crm, archive',
    );
  }));

Deno.test("queue rejects a repeated destination", () =>
  withServer(async (server) => {
    const response = await server.admin(
      "/admin/queue?destination=crm&destination=archive",
    );

    const error = await assertJsonError(response, 400);
    assert.match(error, /^query parameter destination: given 2 times/);
  }));

Deno.test("queue filters by a configured destination", () =>
  withServer(async (server, [crm]) => {
    crm.setDefault({ status: 410 });
    await storeTranscription(server);
    await server.context.worker.settle();

    const crmQueue = await server.admin("/admin/queue?destination=crm");
    const archiveQueue = await server.admin("/admin/queue?destination=archive");
    const crmDead = (await crmQueue.json()).dead;
    const archiveDead = (await archiveQueue.json()).dead;

    assert.equal(crmQueue.status, 200);
    assert.equal(crmDead.length, 1);
    assert.equal(crmDead[0].destination, "crm");
    assert.equal(archiveQueue.status, 200);
    assert.equal(archiveDead.length, 0);
  }));

Deno.test("queue reads an empty destination as all", () =>
  withServer(async (server) => {
    const response = await server.admin("/admin/queue?destination=");
    const queue = await response.json();

    assert.equal(response.status, 200, JSON.stringify(queue));
    assert.deepEqual(queue.dead, []);
  }));

Deno.test("queue page shows a bad filter", () =>
  withServer(async (server) => {
    const response = await server.admin(
      "/admin/queue?destination=%3Cb%3Enope",
      { headers: { accept: "text/html" } },
    );
    const page = await response.text();

    assert.equal(response.status, 400);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(
      page,
      /<div class="error-box" role="alert">query parameter destination: destination &quot;&lt;b&gt;nope&quot; is not configured, expected one of crm, archive<\/div>/,
    );
    assert.doesNotMatch(page, /<b>nope/);
    assert.match(page, /<select id="queue-destination"/);
  }));

Deno.test("queue page keeps the retried notice", () =>
  withServer(async (server) => {
    const response = await server.admin(
      "/admin/queue?destination=crm&retried=2",
      { headers: { accept: "text/html" } },
    );
    const page = await response.text();

    assert.equal(response.status, 200);
    assert.match(page, /Moved 2 dead deliveries back to pending/);
  }));

// Replay bodies

Deno.test("replay-failed rejects an unknown destination", () =>
  withServer(async (server, [crm]) => {
    crm.setDefault({ status: 410 });
    await storeTranscription(server);
    await server.context.worker.settle();

    const response = await replayFailed(server, '{"destination":"nope"}');

    const error = await assertJsonError(response, 400);
    assert.equal(
      error,
      'destination "nope" is not configured, expected one of crm, archive',
    );
    const dead = server.database.prepare(
      "SELECT count(*) AS n FROM deliveries WHERE state = 'dead'",
    ).get();
    assert.equal(dead?.n, 1);
  }));

const badReplayBodies: [string, string][] = [
  [
    '{"ids":["evt_01KDX0000000000000000000000"]}',
    'body field ids[0]: invalid value "evt_01KDX0000000000000000000000", expected a delivery id such as msg_01KDX3B1Y2ZQ8N4M6P7R9S0T1V',
  ],
  [
    '{"ids":["msg_01KDX0000000000000000000000","msg_lower"]}',
    'body field ids[1]: invalid value "msg_lower", expected a delivery id such as msg_01KDX3B1Y2ZQ8N4M6P7R9S0T1V',
  ],
  [
    '{"ids":"all"}',
    'body field ids: invalid value "all", expected an array of delivery ids',
  ],
  [
    '{"destination":""}',
    'body field destination: invalid value "", expected a destination name',
  ],
  [
    '{"destinations":["crm"]}',
    'unknown body field "destinations": expected an empty body or {"ids": ["msg_…"], "destination": "<name>"}',
  ],
  [
    "[]",
    'invalid body: expected an empty body or {"ids": ["msg_…"], "destination": "<name>"}',
  ],
  [
    "{ids:",
    'body is not valid JSON: expected an empty body or {"ids": ["msg_…"], "destination": "<name>"}',
  ],
];

for (const [body, expected] of badReplayBodies) {
  Deno.test(`replay-failed rejects ${body}`, () =>
    withServer(async (server) => {
      const response = await replayFailed(server, body);

      const error = await assertJsonError(response, 400);
      assert.equal(error, expected);
    }));
}

Deno.test("replay-failed takes a well-formed unknown id", () =>
  withServer(async (server) => {
    const response = await replayFailed(
      server,
      '{"ids":["msg_01KDX0000000000000000000000"]}',
    );

    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true, replayed: 0 });
  }));

Deno.test("event replay rejects an unknown destination", () =>
  withServer(async (server) => {
    const eventId = await storeTranscription(server);

    const response = await server.admin(`/events/replay/${eventId}`, {
      method: "POST",
      body: '{"destination":"nope"}',
    });

    const error = await assertJsonError(response, 400);
    assert.equal(
      error,
      'destination "nope" is not configured, expected one of crm, archive',
    );
  }));

Deno.test("event replay rejects an unknown field", () =>
  withServer(async (server) => {
    const eventId = await storeTranscription(server);

    const response = await server.admin(`/events/replay/${eventId}`, {
      method: "POST",
      body: '{"ids":[]}',
    });

    const error = await assertJsonError(response, 400);
    assert.equal(
      error,
      'unknown body field "ids": expected an empty body or {"destination": "<name>"}',
    );
  }));

Deno.test("retry form rejects an unknown destination", () =>
  withServer(async (server) => {
    const response = await server.admin("/admin/queue/retry", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "scope=all&destination=nope",
    });

    const error = await assertJsonError(response, 400);
    assert.match(
      error,
      /^Cannot retry dead deliveries: destination "nope" is not configured/,
    );
  }));

Deno.test("replay-failed rejects an oversized body", () =>
  withServer(async (server) => {
    const ids = Array.from(
      { length: 40_000 },
      (_, i) => `msg_${String(i).padStart(30, "0")}`,
    );
    const response = await replayFailed(server, JSON.stringify({ ids }));

    const error = await assertJsonError(response, 400);
    assert.match(error, /larger than 1048576 bytes/);
  }));

Deno.test("audio of an unknown id answers 404", () =>
  withServer(async (server) => {
    const response = await server.admin("/events/evt_nope/audio");

    const error = await assertJsonError(response, 404);
    assert.equal(error, "event not found");
  }));
