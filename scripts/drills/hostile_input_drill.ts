/**
 * Drill: hostile input at volume. Every kind of bad request that the tests
 * cover is sent many times over. The server must respond to each with its
 * error status and JSON `{ok: false, error}`, stay up, keep its memory
 * bounded and store nothing.
 */
import { signBody } from "../../src/elevenlabs/signature.ts";
import { type LoadRequest, runLoad } from "../load_client.ts";
import { readMemory } from "../product_process.ts";
import { chunked, transcriptionEvents } from "../signed_events.ts";
import { DrillBench, END_ROUTE, readDatabase } from "./drill_server.ts";

/** Request bodies above this size are rejected with 413 in the drill. */
const MAX_BODY_BYTES = 65_536;
const WARMUP_REQUESTS = 200;

/** One kind of bad request and the status it must get. */
interface HostileKind {
  name: string;
  status: number;
  build: () => LoadRequest;
}

/** Sizes of the hostile-input drill. */
export interface HostileInputDrillOptions {
  /** Requests in all, spread evenly over the kinds. */
  requests: number;
  connections: number;
}

/** Findings of the hostile-input drill. */
export interface HostileInputDrillReport {
  kinds: string[];
  /** Requests sent, the warm-up round included. */
  requests: number;
  /** Responses whose status differs from the one its kind must get. */
  unexpectedStatuses: number;
  /** Kinds whose error response is not JSON `{ok: false, error}`. */
  kindsWithoutJsonError: string[];
  healthStatus: number;
  /** Resident memory after the warm-up round and after the measured one. */
  rssBeforeBytes: number;
  rssAfterBytes: number;
  storedEvents: number;
}

/** Runs the drill; see the file comment. */
export async function runHostileInputDrill(
  options: HostileInputDrillOptions,
): Promise<HostileInputDrillReport> {
  const bench = new DrillBench();
  await bench.open();
  try {
    const kinds = await hostileKinds(bench.secret);
    const server = await bench.spawn({
      environment: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) },
    });
    try {
      const url = `${server.url}${END_ROUTE}`;
      const kindsWithoutJsonError = [];
      for (const kind of kinds) {
        if (!await respondsWithJsonError(url, kind)) {
          kindsWithoutJsonError.push(kind.name);
        }
      }

      let unexpectedStatuses = 0;
      const hostileLoad = (requests: number) =>
        runLoad({
          url,
          connections: options.connections,
          requests,
          timeLimitMs: 60_000,
          buildRequest: (index) => kinds[index % kinds.length].build(),
          onResponse: (index, status) => {
            if (status !== kinds[index % kinds.length].status) {
              unexpectedStatuses += 1;
            }
          },
        });
      // A first round lets the JIT and the connection pools settle, so
      // the measured round shows growth rather than warm-up.
      const warmup = await hostileLoad(WARMUP_REQUESTS);
      const rssBefore = await readMemory(server.pid);
      const load = await hostileLoad(options.requests);
      const rssAfter = await readMemory(server.pid);
      const health = await fetch(`${server.url}/healthz`);
      await health.arrayBuffer();

      return {
        kinds: kinds.map((kind) => kind.name),
        requests: warmup.sent + load.sent,
        unexpectedStatuses,
        kindsWithoutJsonError,
        healthStatus: health.status,
        rssBeforeBytes: rssBefore.rssBytes,
        rssAfterBytes: rssAfter.rssBytes,
        storedEvents: readDatabase(
          bench.dbPath(),
          (database) =>
            Number(
              database.prepare("SELECT count(*) AS n FROM events").get()?.n,
            ),
        ),
      };
    } finally {
      await server.stop();
    }
  } finally {
    await bench.close();
  }
}

async function respondsWithJsonError(
  url: string,
  kind: HostileKind,
): Promise<boolean> {
  const request = kind.build();
  const response = await fetch(url, {
    method: request.method ?? "POST",
    headers: request.headers,
    body: request.body,
  });
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return response.status === kind.status && body.ok === false &&
      typeof body.error === "string" && body.error !== "";
  } catch {
    return false;
  }
}

/** Builds the bad requests. Each is built fresh because a stream is read once. */
async function hostileKinds(secret: string): Promise<HostileKind[]> {
  const [valid] = await transcriptionEvents(1, "hostile", secret);
  const encoder = new TextEncoder();
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const signed = async (body: Uint8Array, atSeconds = nowSeconds()) => ({
    "content-type": "application/json",
    "elevenlabs-signature": await signBody(body, secret, atSeconds),
  });

  const notJson = encoder.encode("type=post_call_transcription");
  const array = encoder.encode('[{"type":"post_call_transcription"}]');
  const noType = encoder.encode('{"data":{"conversation_id":"c"}}');
  const badUtf8 = new Uint8Array([
    ...encoder.encode('{"type":"post_call_transcription","data":"'),
    0xff,
    0xfe,
    ...encoder.encode('"}'),
  ]);
  const large = new Uint8Array(MAX_BODY_BYTES + 1).fill(0x20);
  const headersFor = {
    notJson: await signed(notJson),
    array: await signed(array),
    noType: await signed(noType),
    badUtf8: await signed(badUtf8),
    large: await signed(large),
    expired: await signed(valid.body, nowSeconds() - 3600),
  };

  return [
    {
      name: "bad signature",
      status: 401,
      build: () => ({
        headers: {
          "elevenlabs-signature": `t=${nowSeconds()},v0=${"0".repeat(64)}`,
        },
        body: valid.body,
      }),
    },
    {
      name: "missing signature",
      status: 401,
      build: () => ({ body: valid.body }),
    },
    {
      name: "not JSON",
      status: 400,
      build: () => ({ headers: headersFor.notJson, body: notJson }),
    },
    {
      name: "JSON array",
      status: 400,
      build: () => ({ headers: headersFor.array, body: array }),
    },
    {
      name: "no type",
      status: 400,
      build: () => ({ headers: headersFor.noType, body: noType }),
    },
    {
      name: "invalid UTF-8",
      status: 400,
      build: () => ({ headers: headersFor.badUtf8, body: badUtf8 }),
    },
    {
      name: "too large declared",
      status: 413,
      build: () => ({ headers: headersFor.large, body: large }),
    },
    {
      name: "too large chunked",
      status: 413,
      build: () => ({
        headers: headersFor.large,
        body: chunked(large, 16_384),
      }),
    },
    { name: "wrong method", status: 405, build: () => ({ method: "GET" }) },
    {
      name: "expired timestamp",
      status: 401,
      build: () => ({ headers: headersFor.expired, body: valid.body }),
    },
  ];
}
