/**
 * The two comparison servers of the benchmark, each run in its own process:
 *
 * - `bare`: `Deno.serve` returning "ok", the ceiling of the load client.
 * - `ingest`: the least a durable webhook receiver must do. It verifies the
 *   HMAC with WebCrypto, parses the JSON, inserts the event and one
 *   delivery row in one transaction per request with node:sqlite in WAL
 *   mode and `synchronous=FULL` (the durability of src/store/database.ts),
 *   then responds. No framework, no batching.
 *
 * Usage: `deno run -A scripts/baseline_servers.ts bare|ingest [DB_PATH]`,
 * with the secret in `BENCH_SECRET`. It prints `{"port": N}` once listening.
 */
import { DatabaseSync } from "node:sqlite";

const TOLERANCE_SECONDS = 1800;
const encoder = new TextEncoder();

function serveBare(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      await request.arrayBuffer();
      return new Response("ok");
    },
  );
}

async function serveIngest(dbPath: string, secret: string) {
  const database = new DatabaseSync(dbPath);
  database.exec("PRAGMA journal_mode = WAL");
  database.exec("PRAGMA synchronous = FULL");
  database.exec(`
    CREATE TABLE IF NOT EXISTS events (
      id TEXT PRIMARY KEY, type TEXT NOT NULL,
      conversation_id TEXT UNIQUE, received_at INTEGER NOT NULL,
      body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS deliveries (
      id TEXT PRIMARY KEY, event_id TEXT NOT NULL, destination TEXT NOT NULL,
      state TEXT NOT NULL, next_attempt_at INTEGER NOT NULL)`);
  const insertEvent = database.prepare(`
    INSERT INTO events (id, type, conversation_id, received_at, body)
    VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO NOTHING`);
  const insertDelivery = database.prepare(`
    INSERT INTO deliveries (id, event_id, destination, state, next_attempt_at)
    VALUES (?, ?, 'bench', 'pending', ?)`);
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );

  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (!await verify(request.headers.get("elevenlabs-signature"), bytes)) {
        return Response.json({ ok: false, error: "invalid signature" }, {
          status: 401,
        });
      }
      const text = new TextDecoder().decode(bytes);
      const event = JSON.parse(text);

      const id = crypto.randomUUID();
      const now = Date.now();
      database.exec("BEGIN IMMEDIATE");
      try {
        const inserted = insertEvent.run(
          id,
          event.type,
          event.data?.conversation_id ?? null,
          now,
          text,
        );
        if (inserted.changes) insertDelivery.run(crypto.randomUUID(), id, now);
        database.exec("COMMIT");
      } catch (error) {
        database.exec("ROLLBACK");
        throw error;
      }
      return Response.json({ ok: true, event_id: id });
    },
  );

  function verify(
    header: string | null,
    body: Uint8Array,
  ): Promise<boolean> {
    const fields = new Map(
      (header ?? "").split(",").map((part) => {
        const [name, value] = part.trim().split("=");
        return [name, value] as const;
      }),
    );
    const timestamp = Number(fields.get("t"));
    const hex = fields.get("v0") ?? "";
    if (!(Math.abs(Date.now() / 1000 - timestamp) < TOLERANCE_SECONDS)) {
      return Promise.resolve(false);
    }
    if (!/^[0-9a-f]{64}$/.test(hex)) return Promise.resolve(false);

    const prefix = encoder.encode(`${timestamp}.`);
    const signed = new Uint8Array(prefix.length + body.length);
    signed.set(prefix);
    signed.set(body, prefix.length);
    const signature = Uint8Array.from(
      hex.match(/../g)!,
      (pair) => parseInt(pair, 16),
    );
    return crypto.subtle.verify("HMAC", key, signature, signed);
  }
}

if (import.meta.main) {
  const [mode, dbPath] = Deno.args;
  let server: Deno.HttpServer<Deno.NetAddr>;
  if (mode === "bare") server = serveBare();
  else if (mode === "ingest" && dbPath) {
    server = await serveIngest(dbPath, Deno.env.get("BENCH_SECRET") ?? "");
  } else {
    console.error(
      `invalid arguments ${
        JSON.stringify(Deno.args)
      }; usage: baseline_servers.ts bare | ingest DB_PATH`,
    );
    Deno.exit(2);
  }
  console.log(JSON.stringify({ port: server.addr.port }));
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
}
