import assert from "node:assert/strict";
import { assertJsonError, countEvents } from "./support/assertions.ts";
import {
  END_SECRET,
  INIT_SECRET,
  readFixture,
  readFixtureJson,
  signatureFor,
  transcriptionFor,
} from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const ROUTE = "/webhooks/eleven/conversation-init";
const CALLER = "+15550100987";

/** Posts an initiation request body with the given headers. */
function postInit(
  server: TestServer,
  body: Uint8Array<ArrayBuffer> | string,
  headers: HeadersInit,
): Promise<Response> {
  return fetch(`${server.url}${ROUTE}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** Posts the fixture's initiation request, or a variation, with the Bearer secret. */
async function postInitRequest(
  server: TestServer,
  changes: Record<string, string> = {},
): Promise<Response> {
  const request = {
    ...await readFixtureJson("conversation_init_request.json"),
    ...changes,
  };
  return postInit(server, JSON.stringify(request), {
    authorization: `Bearer ${INIT_SECRET}`,
  });
}

/** Builds a transcription for `caller` with `eventTimestamp` in Unix seconds. */
async function transcriptionAt(options: {
  conversationId: string;
  caller: string;
  summary: string;
  eventTimestamp: number;
}): Promise<string> {
  const bytes = await transcriptionFor(options);
  const event = JSON.parse(new TextDecoder().decode(bytes));
  event.event_timestamp = options.eventTimestamp;
  return JSON.stringify(event);
}

Deno.test("conversation-init accepts the Bearer secret", async () => {
  const server = await startTestServer();
  try {
    const response = await postInit(
      server,
      await readFixture("conversation_init_request.json"),
      { authorization: `Bearer ${INIT_SECRET}` },
    );
    await response.body?.cancel();

    assert.equal(response.status, 200);
    assert.equal(countEvents(server), 1);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init accepts X-Webhook-Secret", async () => {
  const server = await startTestServer();
  try {
    const response = await postInit(
      server,
      await readFixture("conversation_init_request.json"),
      { "x-webhook-secret": INIT_SECRET },
    );
    await response.body?.cancel();

    assert.equal(response.status, 200);
    assert.equal(countEvents(server), 1);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init accepts a signature made with its secret", async () => {
  const server = await startTestServer();
  try {
    const body = await readFixture("conversation_init_request.json");
    const response = await postInit(server, body, {
      "elevenlabs-signature": await signatureFor(body, INIT_SECRET),
    });
    await response.body?.cancel();

    assert.equal(response.status, 200);
    assert.equal(countEvents(server), 1);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init accepts any configured secret", async () => {
  const server = await startTestServer({
    environment: { ELEVEN_INIT_SECRET: `old-init-secret-0001,${INIT_SECRET}` },
  });
  try {
    const response = await postInitRequest(server);
    await response.body?.cancel();

    assert.equal(response.status, 200);
    assert.equal(countEvents(server), 1);
  } finally {
    await server.close();
  }
});

const rejectedCredentials: [
  string,
  (body: Uint8Array<ArrayBuffer>) => Promise<HeadersInit>,
][] = [
  ["no credentials", () => Promise.resolve({})],
  [
    "a wrong Bearer secret",
    () => Promise.resolve({ authorization: "Bearer wrong-init-secret" }),
  ],
  [
    "a wrong X-Webhook-Secret",
    () => Promise.resolve({ "x-webhook-secret": "wrong-init-secret" }),
  ],
  [
    "a Bearer secret with a suffix",
    () => Promise.resolve({ authorization: `Bearer ${INIT_SECRET}x` }),
  ],
  [
    "the post-call secret",
    () => Promise.resolve({ authorization: `Bearer ${END_SECRET}` }),
  ],
  [
    "a signature made with the post-call secret",
    async (body) => ({
      "elevenlabs-signature": await signatureFor(body, END_SECRET),
    }),
  ],
  [
    "an expired signature",
    async (body) => ({
      "elevenlabs-signature": await signatureFor(
        body,
        INIT_SECRET,
        Math.floor(Date.now() / 1000) - 3600,
      ),
    }),
  ],
];

for (const [name, credentials] of rejectedCredentials) {
  Deno.test(`conversation-init answers 401 to ${name}`, async () => {
    const server = await startTestServer();
    try {
      const body = await readFixture("conversation_init_request.json");
      const response = await postInit(server, body, await credentials(body));

      await assertJsonError(response, 401);
      assert.equal(countEvents(server), 0);
    } finally {
      await server.close();
    }
  });
}

Deno.test("conversation-init answers 400 to a body that is not JSON", async () => {
  const server = await startTestServer();
  try {
    const response = await postInit(server, "caller_id=+15550100987", {
      authorization: `Bearer ${INIT_SECRET}`,
    });

    await assertJsonError(response, 400);
    assert.equal(countEvents(server), 0);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init answers 400 to a JSON array", async () => {
  const server = await startTestServer();
  try {
    const response = await postInit(server, "[]", {
      authorization: `Bearer ${INIT_SECRET}`,
    });

    await assertJsonError(response, 400);
    assert.equal(countEvents(server), 0);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init answers 405 to GET", async () => {
  const server = await startTestServer();
  try {
    const response = await fetch(`${server.url}${ROUTE}`);

    assert.equal(response.headers.get("allow"), "POST");
    await assertJsonError(response, 405);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init answers 503 without ELEVEN_INIT_SECRET", async () => {
  const server = await startTestServer({
    environment: { ELEVEN_INIT_SECRET: "" },
  });
  try {
    const response = await postInitRequest(server);

    const error = await assertJsonError(response, 503);
    assert.match(error, /ELEVEN_INIT_SECRET is not set/);
    assert.equal(countEvents(server), 0);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init answers a first-time caller", async () => {
  const server = await startTestServer();
  try {
    const response = await postInitRequest(server);
    const answer = await response.json();

    assert.equal(response.status, 200);
    assert.match(
      response.headers.get("content-type") ?? "",
      /^application\/json/,
    );
    assert.deepEqual(answer, {
      type: "conversation_initiation_client_data",
      dynamic_variables: {
        caller_id: CALLER,
        called_number: "+15550100123",
        call_sid: "CA00000000000000000000000000000004",
        is_returning_caller: false,
        previous_call_count: 0,
        last_call_at: "",
        last_call_summary: "",
      },
    });
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init never answers null variables", async () => {
  const server = await startTestServer();
  try {
    const response = await postInit(server, "{}", {
      authorization: `Bearer ${INIT_SECRET}`,
    });
    const answer = await response.json();
    const variables = answer.dynamic_variables;

    assert.equal(response.status, 200);
    for (
      const name of [
        "caller_id",
        "called_number",
        "call_sid",
        "last_call_at",
        "last_call_summary",
      ]
    ) {
      assert.equal(variables[name], "", name);
    }
    assert.equal(variables.is_returning_caller, false);
    assert.equal(variables.previous_call_count, 0);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init recognises a returning caller", async () => {
  const server = await startTestServer();
  try {
    const calls = [
      {
        conversationId: "conv_first",
        summary: "First call about a visa.",
        eventTimestamp: 1764860400,
      },
      {
        conversationId: "conv_second",
        summary: "Second call about dental.",
        eventTimestamp: 1764946800,
      },
    ];
    for (const call of calls) {
      const stored = await server.postEnd(
        await transcriptionAt({ ...call, caller: CALLER }),
      );
      await stored.body?.cancel();
      assert.equal(stored.status, 200, call.conversationId);
    }
    const other = await server.postEnd(
      await transcriptionAt({
        conversationId: "conv_other",
        caller: "+15550100111",
        summary: "Someone else.",
        eventTimestamp: 1765000000,
      }),
    );
    await other.body?.cancel();

    const response = await postInitRequest(server);
    const variables = (await response.json()).dynamic_variables;

    assert.equal(variables.is_returning_caller, true);
    assert.equal(variables.previous_call_count, 2);
    assert.equal(variables.last_call_summary, "Second call about dental.");
    assert.equal(variables.last_call_at, "2025-12-05T15:00:00.000Z");
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init counts only transcriptions as calls", async () => {
  const server = await startTestServer();
  try {
    for (const name of ["post_call_audio.json", "unknown_type.json"]) {
      await (await server.postFixture(name)).body?.cancel();
    }
    await (await postInitRequest(server, { call_sid: "CA_earlier_ring" })).body
      ?.cancel();

    const response = await postInitRequest(server);
    const variables = (await response.json()).dynamic_variables;

    assert.equal(variables.previous_call_count, 0);
    assert.equal(variables.is_returning_caller, false);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init merges INIT_DATA_FILE", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  try {
    const initDataFile = `${folder}/init_data.json`;
    const override = {
      agent: { first_message: "Hi, this is Newton.", language: "en" },
    };
    await Deno.writeTextFile(
      initDataFile,
      JSON.stringify({
        dynamic_variables: {
          company: "AskNewton",
          support_hours: 9,
          caller_id: "fixed-value-loses",
        },
        conversation_config_override: override,
      }),
    );
    const server = await startTestServer({
      folder,
      environment: { INIT_DATA_FILE: initDataFile },
    });
    try {
      const response = await postInitRequest(server);
      const answer = await response.json();

      assert.equal(answer.dynamic_variables.company, "AskNewton");
      assert.equal(answer.dynamic_variables.support_hours, 9);
      assert.equal(answer.dynamic_variables.caller_id, CALLER);
      assert.equal(answer.dynamic_variables.previous_call_count, 0);
      assert.deepEqual(answer.conversation_config_override, override);
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("conversation-init repeats its answer for a call_sid", async () => {
  const server = await startTestServer();
  try {
    const first = await postInitRequest(server);
    const firstText = await first.text();
    const stored = await server.postEnd(
      await transcriptionAt({
        conversationId: "conv_between",
        caller: CALLER,
        summary: "A call between rings.",
        eventTimestamp: 1764860400,
      }),
    );
    await stored.body?.cancel();

    const repeated = await postInitRequest(server);
    const repeatedText = await repeated.text();
    const newCall = await postInitRequest(server, { call_sid: "CA_new_call" });
    const newCallVariables = (await newCall.json()).dynamic_variables;

    assert.equal(repeated.status, 200);
    assert.equal(repeatedText, firstText);
    assert.equal(newCallVariables.previous_call_count, 1);
    assert.equal(countEvents(server), 3);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init stores the request as an event", async () => {
  const server = await startTestServer();
  try {
    const body = await readFixture("conversation_init_request.json");
    const response = await postInit(server, body, {
      authorization: `Bearer ${INIT_SECRET}`,
    });
    const answerText = await response.text();
    const row = server.database.prepare(
      `SELECT type, agent_id, caller_number, call_sid, body, init_response
      FROM events`,
    ).get();

    assert.equal(row?.type, "conversation_initiation");
    assert.equal(row?.agent_id, "agent_5601kbxq7example0000000000");
    assert.equal(row?.caller_number, CALLER);
    assert.equal(row?.call_sid, "CA00000000000000000000000000000004");
    assert.equal(row?.body, new TextDecoder().decode(body));
    assert.equal(row?.init_response, answerText);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-init without call_sid deduplicates by hash", async () => {
  const server = await startTestServer();
  try {
    const body = JSON.stringify({ caller_id: CALLER, agent_id: "agent_x" });
    const headers = { authorization: `Bearer ${INIT_SECRET}` };
    const first = await postInit(server, body, headers);
    await first.body?.cancel();
    const second = await postInit(server, body, headers);
    await second.body?.cancel();

    const rows = server.database.prepare(
      "SELECT dedup_key FROM events WHERE type = 'conversation_initiation'",
    ).all();
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(rows.length, 1);
    assert.match(
      String(rows[0].dedup_key),
      /^conversation_initiation:sha256:[0-9a-f]{64}$/,
    );
  } finally {
    await server.close();
  }
});
