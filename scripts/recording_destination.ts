/**
 * A loopback HTTP destination that records every delivery it receives: the
 * `webhook-id`, the event's conversation id and the arrival time. It can be
 * taken down (its port closed) and brought back on the same port.
 *
 * Run as a script it serves in its own process, prints `{"port": N}` and
 * returns what it recorded on `GET /arrivals`, so a benchmark can keep the
 * destination off the load client's event loop.
 */
import { type ChildServer, spawnChildServer } from "./child_server.ts";
import { wallClockMs } from "./load_client.ts";

/** One delivery as the destination saw it. */
export interface Arrival {
  webhookId: string;
  /** `data.conversation_id` of the event, or "" when it has none. */
  conversationId: string;
  /** Unix ms with a fraction, comparable across processes. */
  arrivedAtMs: number;
  /** How many times `markLifetime()` had been called when it arrived. */
  lifetime: number;
}

const CONVERSATION_ID = /"conversation_id"\s*:\s*"([^"]*)"/;

/** A destination that records deliveries; see the file comment. */
export class RecordingDestination {
  readonly arrivals: Arrival[] = [];
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #port = 0;
  #lifetime = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  /** Starts listening, on a free port the first time and the same port after. */
  start(): void {
    if (this.#server) return;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: this.#port, onListen() {} },
      (request) => this.#handle(request),
    );
    this.#port = this.#server.addr.port;
  }

  /** Closes the port, so deliveries fail with a network error. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.shutdown();
  }

  /** URL to configure as the destination. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  /** The listening port, 0 before the first `start()`. */
  get port(): number {
    return this.#port;
  }

  /** Starts a new server lifetime, so repeats within one are detected. */
  markLifetime(): void {
    this.#lifetime += 1;
  }

  /** Resolves once `count` deliveries arrived, or rejects after `timeoutMs`. */
  waitForArrivals(count: number, timeoutMs: number): Promise<void> {
    if (this.arrivals.length >= count) return Promise.resolve();
    const waiter = Promise.withResolvers<void>();
    const timer = setTimeout(
      () =>
        waiter.reject(
          new Error(
            `destination got ${this.arrivals.length} of ${count} deliveries in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    this.#waiters.push({
      count,
      resolve: () => {
        clearTimeout(timer);
        waiter.resolve();
      },
    });
    return waiter.promise;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/arrivals") {
      return Response.json(this.arrivals);
    }
    if (request.method === "GET" && url.pathname === "/count") {
      return Response.json({ count: this.arrivals.length });
    }

    const body = await request.text();
    this.arrivals.push({
      webhookId: request.headers.get("webhook-id") ?? "",
      conversationId: body.match(CONVERSATION_ID)?.[1] ?? "",
      arrivedAtMs: wallClockMs(),
      lifetime: this.#lifetime,
    });
    const ready = this.#waiters.filter((w) => this.arrivals.length >= w.count);
    this.#waiters = this.#waiters.filter((w) => this.arrivals.length < w.count);
    for (const waiter of ready) waiter.resolve();
    return new Response("ok");
  }
}

/** A recording destination running in its own process. */
export interface DestinationProcess extends ChildServer {
  url: string;
  /** Fetches everything recorded so far. */
  arrivals(): Promise<Arrival[]>;
  /** Fetches how many deliveries arrived so far. */
  count(): Promise<number>;
}

/** Starts this file as a child process and waits for its port. */
export async function spawnRecordingDestination(): Promise<DestinationProcess> {
  const child = await spawnChildServer([
    "run",
    "--allow-net",
    new URL(import.meta.url).pathname,
  ]);
  const base = `http://127.0.0.1:${child.port}`;
  return {
    ...child,
    url: `${base}/hook`,
    arrivals: async () => await (await fetch(`${base}/arrivals`)).json(),
    count: async () => (await (await fetch(`${base}/count`)).json()).count,
  };
}

if (import.meta.main) {
  const destination = new RecordingDestination();
  destination.start();
  console.log(JSON.stringify({ port: destination.port }));
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
}
