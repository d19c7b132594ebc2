/** A request handler that can stop taking work and wait for what it has. */
export interface DrainingHandler {
  fetch(request: Request, info: Deno.ServeHandlerInfo): Promise<Response>;
  /**
   * Responds to new requests with 503 from now on and resolves when every
   * request already being handled has its response, or after `limitMs`,
   * so a client that sends its body slowly cannot hold up a shutdown.
   */
  drain(limitMs: number): Promise<void>;
}

/**
 * Wraps a handler for graceful shutdown. Deno 2.9's `HttpServer.shutdown()`
 * makes the bodies of requests still being read unreadable, so a slow
 * webhook upload in flight would fail with 500 and be lost. Draining first
 * lets those requests finish and be stored; requests that arrive meanwhile
 * get 503 with `Retry-After`, which ElevenLabs retries.
 */
export function createDrainingHandler(
  handler: (
    request: Request,
    info: Deno.ServeHandlerInfo,
  ) => Response | Promise<Response>,
): DrainingHandler {
  let draining = false;
  let active = 0;
  const idle = Promise.withResolvers<void>();

  return {
    async fetch(request, info) {
      if (draining) {
        return Response.json(
          { ok: false, error: "server is shutting down; retry shortly" },
          { status: 503, headers: { "retry-after": "5", connection: "close" } },
        );
      }

      active += 1;
      try {
        const response = await handler(request, info);
        return draining ? withConnectionClose(response) : response;
      } finally {
        active -= 1;
        if (draining && active === 0) idle.resolve();
      }
    },
    async drain(limitMs) {
      draining = true;
      if (active === 0) idle.resolve();
      await settleWithin(idle.promise, limitMs);
    },
  };
}

/**
 * Copies a response with `Connection: close`, so a keep-alive client lets go
 * of the connection and the server can finish shutting down.
 */
function withConnectionClose(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.set("connection", "close");
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** Waits for `promise`, or `limitMs`, whichever comes first. */
export async function settleWithin(
  promise: Promise<unknown>,
  limitMs: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  await Promise.race([promise, limit]);
  clearTimeout(timer);
}
