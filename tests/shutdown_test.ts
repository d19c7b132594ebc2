import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  END_SECRET,
  signatureFor,
  transcriptionFor,
} from "./support/fixtures.ts";
import { spawnServer } from "./support/server_process.ts";

const encoder = new TextEncoder();

/** Maximum time main.ts allows a graceful shutdown before it exits 1. */
const SHUTDOWN_LIMIT_MS = 10_000;

/** Polls the captured output until a line contains `text`. */
async function waitForLine(
  lines: string[],
  text: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!lines.some((line) => line.includes(text))) {
    if (performance.now() > deadline) {
      throw new Error(
        `no line containing ${text} within ${timeoutMs} ms:\n${
          lines.join("\n")
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Encodes one chunk of a `Transfer-Encoding: chunked` body. */
function chunk(bytes: Uint8Array): Uint8Array {
  return new Uint8Array([
    ...encoder.encode(`${bytes.length.toString(16)}\r\n`),
    ...bytes,
    ...encoder.encode("\r\n"),
  ]);
}

/** Reads from a connection until the server closes it. */
async function readUntilClosed(connection: Deno.TcpConn): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const buffer = new Uint8Array(16 * 1024);
  for (;;) {
    const count = await connection.read(buffer);
    if (count === null) return text;
    text += decoder.decode(buffer.subarray(0, count), { stream: true });
  }
}

/** Rejects when `promise` takes longer than `ms`, so a hung server fails the test. */
function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  operation: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${operation} timed out after ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Observations of one request sent across a SIGTERM. */
interface ShutdownRun {
  interimResponse: string;
  responseText: string;
  exitCode: number;
  shutdownMs: number;
  lines: string[];
}

/**
 * Starts the server, begins a chunked post-call request, sends SIGTERM once
 * the handler is reading the body, and finishes the body only after the
 * server has logged that shutdown started.
 */
async function postDuringShutdown(
  dbPath: string,
  body: Uint8Array<ArrayBuffer>,
): Promise<ShutdownRun> {
  const server = await spawnServer({
    DB_PATH: dbPath,
    ELEVEN_END_SECRET: END_SECRET,
  });
  const { hostname, port } = new URL(server.url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  let exited = false;
  try {
    // The server sends "100 Continue" only once the handler reads the body,
    // so after it arrives the request is certainly in flight.
    await connection.write(encoder.encode(
      "POST /webhooks/eleven/conversation-end HTTP/1.1\r\n" +
        `Host: ${hostname}:${port}\r\n` +
        `ElevenLabs-Signature: ${await signatureFor(body)}\r\n` +
        "Content-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n" +
        "Expect: 100-continue\r\n\r\n",
    ));
    const interim = new Uint8Array(64);
    const interimBytes = await connection.read(interim);
    const half = Math.floor(body.length / 2);
    await connection.write(chunk(body.subarray(0, half)));

    const signalledAt = performance.now();
    server.kill("SIGTERM");
    await waitForLine(server.lines, '"shutdown started"', 5_000);
    await connection.write(
      new Uint8Array([
        ...chunk(body.subarray(half)),
        ...encoder.encode("0\r\n\r\n"),
      ]),
    );
    const responseText = await withTimeout(
      readUntilClosed(connection),
      SHUTDOWN_LIMIT_MS + 5_000,
      "reading the response",
    );
    const exitCode = await withTimeout(
      server.exited,
      SHUTDOWN_LIMIT_MS + 5_000,
      "the server's exit",
    );
    exited = true;

    return {
      interimResponse: new TextDecoder().decode(
        interim.subarray(0, interimBytes ?? 0),
      ),
      responseText,
      exitCode,
      shutdownMs: performance.now() - signalledAt,
      lines: server.lines,
    };
  } finally {
    connection.close();
    if (!exited) {
      server.kill("SIGKILL");
      await server.exited;
    }
  }
}

// Deno 2.9's HttpServer.shutdown() makes the body of a request still being
// read unreadable, so the server drains its handlers before it calls it.
Deno.test("SIGTERM finishes a request in flight", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  try {
    const dbPath = `${folder}/asknewton.db`;
    const body = await transcriptionFor({ conversationId: "conv_shutdown" });
    const run = await postDuringShutdown(dbPath, body);
    const log = run.lines.join("\n");

    const database = new DatabaseSync(dbPath, { readOnly: true });
    const rows = database.prepare(
      "SELECT id FROM events WHERE conversation_id = 'conv_shutdown'",
    ).all();
    database.close();

    assert.match(run.interimResponse, /^HTTP\/1\.1 100 Continue\r\n/);
    assert.match(run.responseText, /^HTTP\/1\.1 200 OK\r\n/, log);
    const answer = JSON.parse(
      run.responseText.slice(run.responseText.indexOf("{")),
    );
    assert.equal(answer.ok, true);
    assert.equal(run.exitCode, 0, log);
    assert.ok(run.shutdownMs < SHUTDOWN_LIMIT_MS, `${run.shutdownMs} ms`);
    assert.ok(log.includes('"shutdown finished"'), log);
    assert.deepEqual(rows.map((row) => row.id), [answer.event_id]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("SIGTERM exits 0 and keeps stored events", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  try {
    const dbPath = `${folder}/asknewton.db`;
    const server = await spawnServer({
      DB_PATH: dbPath,
      ELEVEN_END_SECRET: END_SECRET,
    });
    const body = await transcriptionFor({ conversationId: "conv_before" });
    const response = await fetch(
      `${server.url}/webhooks/eleven/conversation-end`,
      {
        method: "POST",
        headers: { "elevenlabs-signature": await signatureFor(body) },
        body,
      },
    );
    const answer = await response.json();

    server.kill("SIGTERM");
    const exitCode = await withTimeout(
      server.exited,
      SHUTDOWN_LIMIT_MS + 5_000,
      "the server's exit",
    );
    const database = new DatabaseSync(dbPath, { readOnly: true });
    const rows = database.prepare("SELECT id FROM events").all();
    database.close();

    assert.equal(response.status, 200);
    assert.equal(exitCode, 0, server.lines.join("\n"));
    assert.deepEqual(rows.map((row) => row.id), [answer.event_id]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("SIGTERM does not wait for a stalled body", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  const server = await spawnServer({
    DB_PATH: `${folder}/asknewton.db`,
    ELEVEN_END_SECRET: END_SECRET,
  });
  const { hostname, port } = new URL(server.url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    await connection.write(encoder.encode(
      "POST /webhooks/eleven/conversation-end HTTP/1.1\r\n" +
        `Host: ${hostname}:${port}\r\n` +
        "Content-Type: application/json\r\n" +
        "Content-Length: 1000\r\n" +
        "Expect: 100-continue\r\n\r\n",
    ));
    await connection.read(new Uint8Array(64));
    await connection.write(encoder.encode('{"type":'));

    const signalledAt = performance.now();
    server.kill("SIGTERM");
    const exitCode = await withTimeout(
      server.exited,
      SHUTDOWN_LIMIT_MS + 5_000,
      "the server's exit",
    );

    assert.equal(exitCode, 0, server.lines.join("\n"));
    assert.ok(performance.now() - signalledAt < SHUTDOWN_LIMIT_MS);
  } finally {
    connection.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("SIGTERM right after start exits 0", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  try {
    const server = await spawnServer({ DB_PATH: `${folder}/asknewton.db` });
    server.kill("SIGTERM");
    const exitCode = await withTimeout(
      server.exited,
      SHUTDOWN_LIMIT_MS + 5_000,
      "the server's exit",
    );

    assert.equal(exitCode, 0, server.lines.join("\n"));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
