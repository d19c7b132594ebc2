import { parseConfig } from "../../src/config.ts";
import type { WebhookRecord } from "../../src/http/app_context.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import {
  ADMIN_TOKEN,
  END_SECRET,
  INIT_SECRET,
  readFixture,
  signatureFor,
} from "./fixtures.ts";

/** A server started in this process on a free loopback port. */
export interface TestServer extends RunningServer {
  folder: string;
  dbPath: string;
  records: WebhookRecord[];
  /** Posts a body to the post-call route, signed with the test secret. */
  postEnd(
    body: Uint8Array<ArrayBuffer> | string,
    headers?: HeadersInit,
  ): Promise<Response>;
  /** Posts a fixture file's exact bytes to the post-call route, signed. */
  postFixture(name: string): Promise<Response>;
  /** Sends a request with the admin bearer token. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** Shuts down and removes the temporary folder. */
  close(): Promise<void>;
}

/**
 * Starts the real server with a real SQLite file in a temporary folder.
 * `environment` overrides the test defaults; `folder` reuses a folder, as a
 * restart does.
 */
export async function startTestServer(options: {
  environment?: Record<string, string>;
  folder?: string;
  now?: () => number;
  random?: () => number;
  /** Entries of a destinations file written into the test folder. */
  destinations?: Record<string, unknown>[];
} = {}): Promise<TestServer> {
  const folder = options.folder ??
    await Deno.makeTempDir({ prefix: "asknewton-test-" });
  const dbPath = `${folder}/asknewton.db`;
  const destinationsFile = `${folder}/destinations.json`;
  if (options.destinations) {
    await Deno.writeTextFile(
      destinationsFile,
      JSON.stringify({ destinations: options.destinations }),
    );
  }
  const config = parseConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    DB_PATH: dbPath,
    ELEVEN_END_SECRET: END_SECRET,
    ELEVEN_INIT_SECRET: INIT_SECRET,
    ADMIN_TOKEN,
    ...(options.destinations ? { DESTINATIONS_FILE: destinationsFile } : {}),
    ...options.environment,
  });
  const records: WebhookRecord[] = [];
  const now = options.now ?? Date.now;
  const server = await startServer(config, {
    now,
    random: options.random,
    deliveryDrainMs: 100,
    observer: { webhookHandled: (record) => records.push(record) },
  });

  const postEnd = async (
    body: Uint8Array<ArrayBuffer> | string,
    headers?: HeadersInit,
  ) => {
    const bytes = typeof body === "string"
      ? new TextEncoder().encode(body)
      : body;
    const signature = await signatureFor(
      bytes,
      END_SECRET,
      Math.floor(now() / 1000),
    );
    return fetch(`${server.url}/webhooks/eleven/conversation-end`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "elevenlabs-signature": signature,
        ...Object.fromEntries(new Headers(headers)),
      },
      body: bytes,
    });
  };

  return {
    ...server,
    folder,
    dbPath,
    records,
    postEnd,
    postFixture: async (name) => postEnd(await readFixture(name)),
    admin: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...Object.fromEntries(new Headers(init.headers)),
        },
      }),
    async close() {
      await server.shutdown();
      if (!options.folder) await Deno.remove(folder, { recursive: true });
    },
  };
}
