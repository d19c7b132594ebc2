import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  END_SECRET,
  signatureFor,
  transcriptionFor,
} from "./support/fixtures.ts";
import { startDestination } from "./support/destination.ts";
import { type ServerProcess, spawnServer } from "./support/server_process.ts";

interface CrashSetup {
  folder: string;
  environment: Record<string, string>;
}

async function prepare(destinationUrl: string): Promise<CrashSetup> {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-crash-" });
  const destinationsFile = `${folder}/destinations.json`;
  await Deno.writeTextFile(
    destinationsFile,
    JSON.stringify({
      destinations: [{
        name: "crm",
        kind: "http",
        url: destinationUrl,
        timeoutMs: 60_000,
      }],
    }),
  );
  return {
    folder,
    environment: {
      DB_PATH: `${folder}/asknewton.db`,
      DESTINATIONS_FILE: destinationsFile,
      ELEVEN_END_SECRET: END_SECRET,
    },
  };
}

async function post(server: ServerProcess, conversationId: string) {
  const body = await transcriptionFor({ conversationId });
  const response = await fetch(
    `${server.url}/webhooks/eleven/conversation-end`,
    {
      method: "POST",
      headers: { "elevenlabs-signature": await signatureFor(body) },
      body,
    },
  );
  const answer = await response.json();
  return {
    status: response.status,
    eventId: answer.event_id as string | undefined,
  };
}

/** Reads delivery states per event straight from the SQLite file. */
function readStates(dbPath: string): Map<string, string[]> {
  const database = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const states = new Map<string, string[]>();
    const rows = database.prepare(
      "SELECT e.id, d.state FROM events e LEFT JOIN deliveries d ON d.event_id = e.id",
    ).all();
    for (const row of rows) {
      const list = states.get(String(row.id)) ?? [];
      list.push(String(row.state));
      states.set(String(row.id), list);
    }
    return states;
  } finally {
    database.close();
  }
}

async function waitUntil(check: () => boolean, limitMs: number, what: string) {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("kill -9 during a hanging delivery loses nothing", async () => {
  const destination = startDestination();
  const setup = await prepare(destination.url);
  try {
    destination.setDefault("hang");
    const first = await spawnServer(setup.environment);
    const answer = await post(first, "conv_crash_hang");
    assert.equal(answer.status, 200);
    await destination.waitForRequests(1);

    first.kill("SIGKILL");
    await first.exited;
    destination.setDefault({ status: 200 });

    const second = await spawnServer(setup.environment);
    try {
      await destination.waitForRequests(2);
      await waitUntil(
        () =>
          readStates(setup.environment.DB_PATH).get(answer.eventId!)?.[0] ===
            "succeeded",
        10_000,
        "the delivery to succeed",
      );
    } finally {
      second.kill("SIGTERM");
      await second.exited;
    }

    const ids = destination.received.map((r) => r.headers.get("webhook-id"));
    assert.equal(ids.length, 2);
    assert.equal(ids[0], ids[1]);
  } finally {
    await destination.close();
    await Deno.remove(setup.folder, { recursive: true });
  }
});

Deno.test("kill -9 while accepting keeps every 200", async () => {
  const destination = startDestination();
  const setup = await prepare(destination.url);
  try {
    const first = await spawnServer(setup.environment);
    const accepted: string[] = [];
    const acceptedConversations: string[] = [];
    const sender = async (lane: number) => {
      for (let i = 0; i < 200; i++) {
        const conversationId = `conv_crash_${lane}_${i}`;
        try {
          const answer = await post(first, conversationId);
          if (answer.status === 200) {
            accepted.push(answer.eventId!);
            acceptedConversations.push(conversationId);
          }
        } catch {
          return; // The server is gone: this request got no 200.
        }
      }
    };
    const lanes = Array.from({ length: 8 }, (_, lane) => sender(lane));
    await waitUntil(
      () => accepted.length >= 100,
      20_000,
      "100 accepted events",
    );
    first.kill("SIGKILL");
    await Promise.all(lanes);
    await first.exited;

    const second = await spawnServer(setup.environment);
    try {
      await waitUntil(
        () => {
          const states = readStates(setup.environment.DB_PATH);
          return accepted.every((id) => states.get(id)?.[0] === "succeeded");
        },
        20_000,
        "every accepted event to be delivered",
      );
    } finally {
      second.kill("SIGTERM");
      await second.exited;
    }

    const states = readStates(setup.environment.DB_PATH);
    for (const eventId of accepted) {
      assert.deepEqual(states.get(eventId), ["succeeded"], eventId);
    }
    const delivered = new Set(
      destination.received.map((r) => JSON.parse(r.body).data.conversation_id),
    );
    for (const conversationId of acceptedConversations) {
      assert.ok(delivered.has(conversationId), conversationId);
    }
  } finally {
    await destination.close();
    await Deno.remove(setup.folder, { recursive: true });
  }
});
