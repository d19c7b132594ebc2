/** What a scripted destination does with one request. */
export type DestinationReply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | "hang";

/** A request the destination received. */
export interface ReceivedRequest {
  headers: Headers;
  body: string;
  receivedAt: number;
}

/** A real HTTP server on loopback that plays a destination. */
export interface TestDestination {
  url: string;
  received: ReceivedRequest[];
  /** Replies to use, in order, before falling back to the default. */
  script(...replies: DestinationReply[]): void;
  /** The reply once the script runs out; 200 unless changed. */
  setDefault(reply: DestinationReply): void;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a destination on a free loopback port. Replies can fail, hang or
 * respond with 429 on command, and `close()` releases hanging requests.
 */
export function startDestination(): TestDestination {
  const received: ReceivedRequest[] = [];
  const scripted: DestinationReply[] = [];
  let fallback: DestinationReply = { status: 200, body: "ok" };
  const closing = Promise.withResolvers<void>();
  const waiters: { count: number; resolve: () => void }[] = [];

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      received.push({
        headers: request.headers,
        body: await request.text(),
        receivedAt: performance.now(),
      });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) {
        waiter.resolve();
      }

      const reply = scripted.shift() ?? fallback;
      if (reply === "hang") {
        await closing.promise;
        return new Response("closed", { status: 503 });
      }
      return new Response(reply.body ?? "", {
        status: reply.status,
        headers: reply.headers,
      });
    },
  );

  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    script: (...replies) => scripted.push(...replies),
    setDefault: (reply) => {
      fallback = reply;
    },
    waitForRequests(count) {
      if (received.length >= count) return Promise.resolve();
      const waiter = Promise.withResolvers<void>();
      waiters.push({ count, resolve: waiter.resolve });
      return waiter.promise;
    },
    async close() {
      closing.resolve();
      await server.shutdown();
    },
  };
}
