import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { AUDIO_SPLIT_MIN_CHARS } from "../src/store/audio.ts";
import { audioBody, fakeMp3 } from "./support/audio_bodies.ts";
import { ADMIN_TOKEN, readFixture } from "./support/fixtures.ts";
import {
  startDestination,
  type TestDestination,
} from "./support/destination.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const CONVERSATION_ID = "conv_2101kbxr3example0000000001";

async function withAudioServer(
  run: (server: TestServer, crm: TestDestination) => Promise<void>,
): Promise<void> {
  const crm = startDestination();
  const server = await startTestServer({
    destinations: [{
      name: "crm",
      kind: "http",
      url: crm.url,
      secret: SIGNING_SECRET,
    }],
  });
  try {
    await run(server, crm);
  } finally {
    await server.close();
    await crm.close();
  }
}

async function postAudio(server: TestServer, body: string): Promise<string> {
  const response = await server.postEnd(body);
  assert.equal(response.status, 200);
  return (await response.json()).event_id;
}

Deno.test("audio delivery is byte-exact", async () => {
  await withAudioServer(async (server, crm) => {
    const body = await audioBody(fakeMp3(300_000));
    await postAudio(server, body);
    await server.context.worker.settle();

    const [request] = crm.received;
    assert.equal(request.body.length, body.length);
    assert.equal(request.body, body);
    const verified = new Webhook(SIGNING_SECRET).verify(
      request.body,
      Object.fromEntries(request.headers),
    );
    assert.equal((verified as { type: string }).type, "post_call_audio");
  });
});

Deno.test("small audio delivery is byte-exact", async () => {
  await withAudioServer(async (server, crm) => {
    const fixture = new TextDecoder().decode(
      await readFixture("post_call_audio.json"),
    );
    await postAudio(server, fixture);
    await server.context.worker.settle();

    assert.equal(crm.received[0].body, fixture);
  });
});

Deno.test("escaped audio base64 stays whole", async () => {
  await withAudioServer(async (server, crm) => {
    // JSON allows "\/" for "/"; such text cannot be rebuilt from the bytes.
    const body = await audioBody(
      fakeMp3(120_000),
      (bytes) => bytes.toBase64().replaceAll("/", "\\/"),
    );
    const eventId = await postAudio(server, body);
    await server.context.worker.settle();

    assert.equal(crm.received[0].body, body);
    const stored = server.database.prepare(
      "SELECT body FROM events WHERE id = ?",
    ).get(eventId);
    assert.equal(stored?.body, body);
  });
});

Deno.test("large audio is stored apart from the body", async () => {
  await withAudioServer(async (server) => {
    const mp3 = fakeMp3(300_000);
    const eventId = await postAudio(server, await audioBody(mp3));

    const row = server.database.prepare(`
      SELECT length(e.body) AS body_chars, length(a.mp3) AS mp3_bytes
      FROM events e JOIN event_audio a ON a.event_id = e.id
      WHERE e.id = ?`).get(eventId);
    assert.ok(Number(row?.body_chars) < AUDIO_SPLIT_MIN_CHARS);
    assert.equal(row?.mp3_bytes, mp3.byteLength);
    const detail = await (await server.admin(`/events/${eventId}`)).json();
    assert.equal(detail.body.data.full_audio, "");
    assert.equal(detail.body.data.conversation_id, CONVERSATION_ID);
  });
});

Deno.test("search skips the stored audio", async () => {
  await withAudioServer(async (server) => {
    const mp3 = fakeMp3(300_000);
    const eventId = await postAudio(server, await audioBody(mp3));
    const base64Excerpt = mp3.toBase64().slice(1000, 1040);

    const byAudio = await server.admin(
      `/events?q=${encodeURIComponent(base64Excerpt)}`,
    );
    const byConversation = await server.admin(
      `/events?q=${CONVERSATION_ID}`,
    );

    assert.deepEqual((await byAudio.json()).items, []);
    const found = (await byConversation.json()).items;
    assert.deepEqual(found.map((item: { id: string }) => item.id), [eventId]);
  });
});

Deno.test("audio download sends the MP3", async () => {
  await withAudioServer(async (server) => {
    const mp3 = fakeMp3(300_000);
    const eventId = await postAudio(server, await audioBody(mp3));

    const response = await server.admin(`/events/${eventId}/audio`);
    const bytes = new Uint8Array(await response.arrayBuffer());

    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "audio/mpeg");
    assert.equal(
      response.headers.get("content-disposition"),
      `attachment; filename="${CONVERSATION_ID}.mp3"`,
    );
    assert.equal(response.headers.get("content-length"), String(mp3.length));
    assert.deepEqual(bytes, mp3);
  });
});

Deno.test("audio download reads small inline audio", async () => {
  await withAudioServer(async (server) => {
    const fixture = new TextDecoder().decode(
      await readFixture("post_call_audio.json"),
    );
    const eventId = await postAudio(server, fixture);

    const response = await server.admin(`/events/${eventId}/audio`);
    const bytes = new Uint8Array(await response.arrayBuffer());

    assert.equal(response.status, 200);
    const expected = Uint8Array.fromBase64(JSON.parse(fixture).data.full_audio);
    assert.deepEqual(bytes, expected);
  });
});

Deno.test("audio download answers 404 without audio", async () => {
  await withAudioServer(async (server) => {
    const posted = await server.postFixture("post_call_transcription.json");
    const { event_id: eventId } = await posted.json();

    const noAudio = await server.admin(`/events/${eventId}/audio`);
    const unknown = await server.admin("/events/evt_0000/audio");

    assert.equal(noAudio.status, 404);
    assert.equal((await noAudio.json()).ok, false);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error, "event not found");
  });
});

Deno.test("audio download needs the admin token", async () => {
  await withAudioServer(async (server) => {
    const eventId = await postAudio(server, await audioBody(fakeMp3(1000)));

    const anonymous = await fetch(`${server.url}/events/${eventId}/audio`);
    const wrong = await fetch(`${server.url}/events/${eventId}/audio`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}-wrong` },
    });

    assert.equal(anonymous.status, 401);
    assert.equal(wrong.status, 401);
    await anonymous.body?.cancel();
    await wrong.body?.cancel();
  });
});
