import assert from "node:assert/strict";
import {
  ADMIN_TOKEN,
  END_SECRET,
  INIT_SECRET,
  POST_CALL_FIXTURES,
  readFixture,
  signatureFor,
} from "./support/fixtures.ts";
import { spawnServer } from "./support/server_process.ts";

/** Full phone numbers that occur in the fixtures. */
const PHONE_NUMBERS = [
  "+15550100987",
  "+15550100456",
  "+15550100789",
  "+15550100123",
];

/** Text from the transcription fixture's transcript and summary. */
const TRANSCRIPT_TEXTS = [
  "work visa",
  "94107",
  "Ça coûte",
  "Hi, this is Newton",
];

interface LogLine {
  level: string;
  message: string;
  properties: Record<string, unknown>;
}

interface SentWebhook {
  route: string;
  eventId?: string;
  status: number;
  /** The masked caller the log line must show, if the body has a caller. */
  maskedCaller?: string;
}

const MASKED_CALLERS: Record<string, string | undefined> = {
  "post_call_transcription.json": "+*******0987",
  "post_call_audio.json": undefined,
  "call_initiation_failure_twilio.json": "+*******0456",
  "call_initiation_failure_sip.json": "+*******0789",
  "unknown_type.json": undefined,
};

/**
 * Sends every post-call fixture, one request with a forged signature and an
 * initiation request, and lists the events, as an operator would.
 */
async function sendWebhooks(url: string): Promise<{
  sent: SentWebhook[];
  signatures: string[];
}> {
  const sent: SentWebhook[] = [];
  const signatures: string[] = [];

  for (const name of POST_CALL_FIXTURES) {
    const body = await readFixture(name);
    const signature = await signatureFor(body);
    signatures.push(signature);
    const response = await fetch(
      `${url}/webhooks/eleven/conversation-end`,
      {
        method: "POST",
        headers: { "elevenlabs-signature": signature },
        body,
      },
    );
    const answer = await response.json();
    sent.push({
      route: "conversation_end",
      eventId: answer.event_id,
      status: response.status,
      maskedCaller: MASKED_CALLERS[name],
    });
  }

  const forged = await signatureFor(
    await readFixture("post_call_transcription.json"),
    "wsec_forged_secret",
  );
  signatures.push(forged);
  const rejected = await fetch(
    `${url}/webhooks/eleven/conversation-end`,
    {
      method: "POST",
      headers: { "elevenlabs-signature": forged },
      body: await readFixture("post_call_transcription.json"),
    },
  );
  await rejected.body?.cancel();
  sent.push({ route: "conversation_end", status: rejected.status });

  const init = await fetch(
    `${url}/webhooks/eleven/conversation-init`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${INIT_SECRET}` },
      body: await readFixture("conversation_init_request.json"),
    },
  );
  await init.body?.cancel();
  sent.push({
    route: "conversation_init",
    status: init.status,
    maskedCaller: "+*******0987",
  });

  const listing = await fetch(`${url}/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  await listing.body?.cancel();
  return { sent, signatures };
}

/**
 * Starts the server as a child process, sends the webhooks, stops the server
 * with SIGTERM, and returns everything it printed.
 */
async function runServerAndSendWebhooks(): Promise<{
  output: string[];
  sent: SentWebhook[];
  signatures: string[];
}> {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  const server = await spawnServer({
    DB_PATH: `${folder}/asknewton.db`,
    ELEVEN_END_SECRET: END_SECRET,
    ELEVEN_INIT_SECRET: INIT_SECRET,
    ADMIN_TOKEN,
  });
  let exitCode: number | undefined;
  try {
    const { sent, signatures } = await sendWebhooks(server.url);
    server.kill("SIGTERM");
    exitCode = await server.exited;
    assert.equal(exitCode, 0, server.lines.join("\n"));
    return { output: server.lines, sent, signatures };
  } finally {
    if (exitCode === undefined) {
      server.kill("SIGKILL");
      await server.exited;
    }
    await Deno.remove(folder, { recursive: true });
  }
}

const run = await runServerAndSendWebhooks();
const webhookLines = run.output
  .filter((line) => line.startsWith("{"))
  .map((line) => JSON.parse(line) as LogLine)
  .filter((line) => line.message === "webhook handled");

Deno.test("logging writes only JSON lines", () => {
  for (const line of run.output) {
    assert.doesNotThrow(() => JSON.parse(line), line);
  }
});

Deno.test("logging writes one line per webhook", () => {
  assert.equal(webhookLines.length, run.sent.length);
});

Deno.test("logging describes each stored webhook", () => {
  for (const sent of run.sent.filter((s) => s.eventId)) {
    const line = webhookLines.find((l) =>
      l.properties.event_id === sent.eventId
    );
    assert.ok(line, `no log line for ${sent.eventId}`);
    const properties = line.properties;

    assert.equal(properties.route, sent.route, sent.eventId);
    assert.equal(typeof properties.type, "string", sent.eventId);
    assert.equal(properties.outcome, "stored", sent.eventId);
    assert.equal(properties.status, 200, sent.eventId);
    assert.equal(typeof properties.duration_ms, "number", sent.eventId);
    assert.equal(properties.caller, sent.maskedCaller, sent.eventId);
  }
});

Deno.test("logging describes the initiation webhook", () => {
  const line = webhookLines.find((l) =>
    l.properties.route === "conversation_init"
  );

  assert.equal(line?.properties.type, "conversation_initiation");
  assert.equal(line?.properties.outcome, "stored");
  assert.match(String(line?.properties.event_id), /^evt_/);
  assert.equal(line?.properties.caller, "+*******0987");
  assert.equal(typeof line?.properties.duration_ms, "number");
});

Deno.test("logging gives a rejected signature a reason", () => {
  const line = webhookLines.find((l) => l.properties.status === 401);

  assert.equal(line?.level, "WARN");
  assert.equal(line?.properties.outcome, "invalid_signature");
  assert.equal(line?.properties.reason, "mismatch");
});

Deno.test("logging never writes a secret", () => {
  const output = run.output.join("\n");

  for (const secret of [END_SECRET, INIT_SECRET, ADMIN_TOKEN]) {
    assert.ok(!output.includes(secret), `secret ${secret.slice(0, 8)}…`);
  }
});

Deno.test("logging never writes a full phone number", () => {
  const output = run.output.join("\n");

  for (const number of PHONE_NUMBERS) {
    assert.ok(!output.includes(number), number);
    assert.ok(!output.includes(number.slice(1)), number.slice(1));
  }
});

Deno.test("logging never writes transcript text", () => {
  const output = run.output.join("\n");

  for (const text of TRANSCRIPT_TEXTS) {
    assert.ok(!output.includes(text), text);
  }
});

Deno.test("logging never writes a signature", () => {
  const output = run.output.join("\n");

  for (const signature of run.signatures) {
    const hex = signature.slice(signature.indexOf("v0=") + 3);
    assert.ok(!output.includes(hex), hex);
  }
});
