import assert from "node:assert/strict";
import { assertJsonError, countEvents } from "./support/assertions.ts";
import {
  POST_CALL_FIXTURES,
  readFixture,
  transcriptionFor,
} from "./support/fixtures.ts";
import { startTestServer } from "./support/test_server.ts";

interface SignatureVector {
  name: string;
  fixture: string;
  secrets: string[];
  header: string;
  /** The verifier's clock, in Unix seconds. */
  now: number;
  expect: "accept" | "reject";
  append_to_body?: string;
}

const signatureVectors = JSON.parse(
  new TextDecoder().decode(await readFixture("signature_vectors.json")),
) as { tolerance_seconds: number; cases: SignatureVector[] };

Deno.test("conversation-end stores every fixture", async () => {
  const server = await startTestServer();
  try {
    for (const name of POST_CALL_FIXTURES) {
      const response = await server.postFixture(name);
      const body = await response.json();

      assert.equal(response.status, 200, name);
      assert.equal(body.ok, true, name);
      assert.equal(body.duplicate, false, name);
      assert.match(body.event_id, /^evt_/, name);
    }

    const stored = server.database.prepare(
      "SELECT type FROM events ORDER BY seq",
    ).all().map((row) => row.type);
    assert.deepEqual(stored, [
      "post_call_transcription",
      "post_call_audio",
      "call_initiation_failure",
      "call_initiation_failure",
      "agent_qa",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end deduplicates 20 concurrent copies", async () => {
  const server = await startTestServer();
  try {
    const body = await transcriptionFor({ conversationId: "conv_race" });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => server.postEnd(body)),
    );
    const answers = await Promise.all(responses.map((r) => r.json()));

    assert.deepEqual(responses.map((r) => r.status), Array(20).fill(200));
    assert.equal(answers.filter((a) => a.duplicate === false).length, 1);
    assert.equal(answers.filter((a) => a.duplicate === true).length, 19);
    assert.equal(new Set(answers.map((a) => a.event_id)).size, 1);
    const count = server.database.prepare(
      "SELECT count(*) AS n FROM events",
    ).get();
    assert.equal(count?.n, 1);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end event survives a restart", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  try {
    const first = await startTestServer({ folder });
    const response = await first.postFixture("post_call_transcription.json");
    const { event_id: eventId } = await response.json();
    await first.close();

    const second = await startTestServer({ folder });
    const detail = await second.admin(`/events/${eventId}`);
    const event = await detail.json();
    await second.close();

    assert.equal(detail.status, 200);
    assert.equal(event.id, eventId);
    assert.equal(event.conversation_id, "conv_2101kbxr3example0000000001");
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("conversation-end stores the body byte for byte", async () => {
  const server = await startTestServer();
  try {
    for (const name of POST_CALL_FIXTURES) {
      const response = await server.postFixture(name);
      const { event_id: eventId } = await response.json();
      const row = server.database.prepare(
        "SELECT body FROM events WHERE id = ?",
      ).get(eventId);

      const fixtureText = new TextDecoder().decode(await readFixture(name));
      assert.equal(row?.body, fixtureText, name);
    }
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end reads the filter columns", async () => {
  const server = await startTestServer();
  try {
    for (const name of POST_CALL_FIXTURES) await server.postFixture(name);
    const rows = server.database.prepare(
      `SELECT type, conversation_id, agent_id, caller_number, call_sid,
        event_timestamp, outcome FROM events ORDER BY seq`,
    ).all().map((row) => ({ ...row }));

    const agent = "agent_5601kbxq7example0000000000";
    assert.deepEqual(rows, [
      {
        type: "post_call_transcription",
        conversation_id: "conv_2101kbxr3example0000000001",
        agent_id: agent,
        caller_number: "+15550100987",
        call_sid: "CA00000000000000000000000000000001",
        event_timestamp: 1764860400,
        outcome: "success",
      },
      {
        type: "post_call_audio",
        conversation_id: "conv_2101kbxr3example0000000001",
        agent_id: agent,
        caller_number: null,
        call_sid: null,
        event_timestamp: 1764860405,
        outcome: null,
      },
      {
        type: "call_initiation_failure",
        conversation_id: "conv_2101kbxr3example0000000002",
        agent_id: agent,
        caller_number: "+15550100456",
        call_sid: "CA00000000000000000000000000000002",
        event_timestamp: 1764861000,
        outcome: "no-answer",
      },
      {
        type: "call_initiation_failure",
        conversation_id: "conv_2101kbxr3example0000000003",
        agent_id: agent,
        caller_number: "+15550100789",
        call_sid: "SCL_000000000003",
        event_timestamp: 1764861060,
        outcome: "busy",
      },
      {
        type: "agent_qa",
        conversation_id: "conv_2101kbxr3example0000000001",
        agent_id: agent,
        caller_number: null,
        call_sid: null,
        event_timestamp: 1764860500,
        outcome: null,
      },
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end repeats answer duplicate", async () => {
  const server = await startTestServer();
  try {
    const first = await server.postFixture("call_initiation_failure_sip.json");
    const second = await server.postFixture("call_initiation_failure_sip.json");
    const firstAnswer = await first.json();
    const secondAnswer = await second.json();

    assert.equal(second.status, 200);
    assert.equal(secondAnswer.duplicate, true);
    assert.equal(secondAnswer.event_id, firstAnswer.event_id);
    assert.equal(countEvents(server), 1);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end deduplicates by body without conversation id", async () => {
  const server = await startTestServer();
  try {
    const body = '{"type":"agent_qa","data":{"score":1}}';
    const other = '{"type":"agent_qa","data":{"score":2}}';
    const answers = [];
    for (const text of [body, body, other]) {
      answers.push(await (await server.postEnd(text)).json());
    }

    assert.deepEqual(answers.map((a) => a.duplicate), [false, true, false]);
    assert.equal(answers[1].event_id, answers[0].event_id);
    assert.equal(countEvents(server), 2);
  } finally {
    await server.close();
  }
});

for (const vector of signatureVectors.cases) {
  Deno.test(`conversation-end signature vector ${vector.name}`, async () => {
    const server = await startTestServer({
      now: () => vector.now * 1000,
      environment: {
        ELEVEN_END_SECRET: vector.secrets.join(","),
        SIGNATURE_TOLERANCE_SECONDS: String(signatureVectors.tolerance_seconds),
      },
    });
    try {
      const fileBytes = await readFixture(vector.fixture);
      const suffix = new TextEncoder().encode(vector.append_to_body ?? "");
      const response = await fetch(
        `${server.url}/webhooks/eleven/conversation-end`,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "elevenlabs-signature": vector.header,
          },
          body: new Uint8Array([...fileBytes, ...suffix]),
        },
      );

      if (vector.expect === "accept") {
        const answer = await response.json();
        assert.equal(response.status, 200);
        assert.equal(answer.ok, true);
        assert.equal(countEvents(server), 1);
      } else {
        await assertJsonError(response, 401);
        assert.equal(countEvents(server), 0);
      }
    } finally {
      await server.close();
    }
  });
}
