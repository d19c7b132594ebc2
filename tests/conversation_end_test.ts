import assert from "node:assert/strict";
import { POST_CALL_FIXTURES, transcriptionFor } from "./support/fixtures.ts";
import { startTestServer } from "./support/test_server.ts";

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
