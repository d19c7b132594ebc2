import assert from "node:assert/strict";
import { chunked } from "../scripts/signed_events.ts";
import { assertJsonError, countEvents } from "./support/assertions.ts";
import { END_SECRET, readFixture, signatureFor } from "./support/fixtures.ts";
import { startTestServer } from "./support/test_server.ts";

const ROUTE = "/webhooks/eleven/conversation-end";
const encoder = new TextEncoder();

/** Builds a post-call event of exactly `totalBytes` bytes, padded with "x". */
function eventOfSize(totalBytes: number): Uint8Array<ArrayBuffer> {
  const head =
    '{"type":"post_call_transcription","data":{"conversation_id":"conv_size","padding":"';
  const tail = '"}}';
  const padding = "x".repeat(totalBytes - head.length - tail.length);
  return encoder.encode(head + padding + tail);
}

const badBodies: [string, Uint8Array<ArrayBuffer>][] = [
  ["not JSON", encoder.encode("type=post_call_transcription")],
  ["a JSON array", encoder.encode('[{"type":"post_call_transcription"}]')],
  ["a JSON string", encoder.encode('"post_call_transcription"')],
  ["JSON null", encoder.encode("null")],
  ["JSON without type", encoder.encode('{"data":{"conversation_id":"c"}}')],
  ["JSON with a number type", encoder.encode('{"type":7,"data":{}}')],
  ["JSON with an empty type", encoder.encode('{"type":"","data":{}}')],
  [
    "invalid UTF-8",
    new Uint8Array([
      ...encoder.encode('{"type":"post_call_transcription","data":"'),
      0xff,
      0xfe,
      ...encoder.encode('"}'),
    ]),
  ],
  ["an empty body", new Uint8Array()],
];

for (const [name, body] of badBodies) {
  Deno.test(`conversation-end answers 400 for ${name}`, async () => {
    const server = await startTestServer();
    try {
      const response = await server.postEnd(body);

      await assertJsonError(response, 400);
      assert.equal(countEvents(server), 0);
    } finally {
      await server.close();
    }
  });
}

Deno.test("conversation-end checks the signature before parsing", async () => {
  const server = await startTestServer();
  try {
    const response = await server.postEnd("not JSON", {
      "elevenlabs-signature": `t=${Math.floor(Date.now() / 1000)},v0=${
        "0".repeat(64)
      }`,
    });

    await assertJsonError(response, 401);
    assert.equal(countEvents(server), 0);
  } finally {
    await server.close();
  }
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const badSignatures: [
  string,
  (body: Uint8Array<ArrayBuffer>) => Promise<string | undefined>,
][] = [
  ["a missing signature", () => Promise.resolve(undefined)],
  ["a malformed signature", () => Promise.resolve("t=now,v0=abc")],
  ["a wrong secret", (body) => signatureFor(body, "wsec_wrong_secret")],
  [
    "an expired signature",
    (body) => signatureFor(body, END_SECRET, nowSeconds() - 1801),
  ],
  [
    "a signature from the future",
    (body) => signatureFor(body, END_SECRET, nowSeconds() + 301),
  ],
];

for (const [name, sign] of badSignatures) {
  Deno.test(`conversation-end answers 401 for ${name}`, async () => {
    const server = await startTestServer();
    try {
      const body = await readFixture("post_call_transcription.json");
      const signature = await sign(body);
      const response = await fetch(`${server.url}${ROUTE}`, {
        method: "POST",
        headers: signature ? { "elevenlabs-signature": signature } : {},
        body,
      });

      await assertJsonError(response, 401);
      assert.equal(countEvents(server), 0);
    } finally {
      await server.close();
    }
  });
}

Deno.test("conversation-end answers 405 to GET", async () => {
  const server = await startTestServer();
  try {
    const response = await fetch(`${server.url}${ROUTE}`);

    assert.equal(response.headers.get("allow"), "POST");
    await assertJsonError(response, 405);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end accepts a body at MAX_BODY_BYTES", async () => {
  const server = await startTestServer({
    environment: { MAX_BODY_BYTES: "1024" },
  });
  try {
    const response = await server.postEnd(eventOfSize(1024));
    const answer = await response.json();

    assert.equal(response.status, 200);
    assert.equal(answer.ok, true);
    assert.equal(countEvents(server), 1);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end answers 413 to a large Content-Length", async () => {
  const server = await startTestServer({
    environment: { MAX_BODY_BYTES: "1024" },
  });
  try {
    const response = await server.postEnd(eventOfSize(1025));

    await assertJsonError(response, 413);
    assert.equal(countEvents(server), 0);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end answers 413 to a large chunked body", async () => {
  const server = await startTestServer({
    environment: { MAX_BODY_BYTES: "1024" },
  });
  try {
    const body = eventOfSize(4096);
    const response = await fetch(`${server.url}${ROUTE}`, {
      method: "POST",
      headers: { "elevenlabs-signature": await signatureFor(body) },
      body: chunked(body, 256),
    });

    await assertJsonError(response, 413);
    assert.equal(countEvents(server), 0);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end accepts a chunked body", async () => {
  const server = await startTestServer({
    environment: { MAX_BODY_BYTES: "1024" },
  });
  try {
    const body = eventOfSize(1000);
    const response = await fetch(`${server.url}${ROUTE}`, {
      method: "POST",
      headers: { "elevenlabs-signature": await signatureFor(body) },
      body: chunked(body, 256),
    });
    const answer = await response.json();

    assert.equal(response.status, 200);
    assert.equal(answer.ok, true);
    assert.equal(countEvents(server), 1);
  } finally {
    await server.close();
  }
});

Deno.test("conversation-end answers 503 without ELEVEN_END_SECRET", async () => {
  const server = await startTestServer({
    environment: { ELEVEN_END_SECRET: "" },
  });
  try {
    const response = await server.postFixture("post_call_transcription.json");

    const error = await assertJsonError(response, 503);
    assert.match(error, /ELEVEN_END_SECRET is not set/);
    assert.equal(countEvents(server), 0);
  } finally {
    await server.close();
  }
});
