import type { Context } from "hono";
import { accepts } from "hono/accepts";

/**
 * Returns true when the request's `Accept` header ranks `text/html` above
 * JSON, as a browser navigating to a page does. A missing header or a bare
 * wildcard, which curl and fetch send, counts as JSON, so scripts keep
 * getting JSON.
 */
export function prefersHtml(c: Context): boolean {
  const chosen = accepts(c, {
    header: "Accept",
    supports: ["application/json", "text/html"],
    default: "application/json",
  });
  return chosen === "text/html";
}

/**
 * Returns true when the request came over HTTPS, directly or through a
 * proxy that sets `X-Forwarded-Proto`. It only decides whether cookies get
 * the `Secure` attribute and how the server's own origin is spelled.
 */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0].trim();
  if (forwarded) return forwarded.toLowerCase() === "https";
  return new URL(c.req.url).protocol === "https:";
}

/**
 * Returns the origin this request was addressed to, such as
 * `http://127.0.0.1:3000`, built from the `Host` header the client sent.
 */
export function serverOrigin(c: Context): string {
  const host = new URL(c.req.url).host;
  return `${isHttps(c) ? "https" : "http"}://${host}`;
}

/**
 * Returns true when the request's `Origin` header names this server. A
 * browser sets `Origin` on every POST and a page cannot forge it, so a
 * foreign or missing origin marks a request another site may have caused.
 */
export function isSameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  return origin !== undefined && origin === serverOrigin(c);
}

/**
 * Describes why `isSameOrigin` failed, naming the `Origin` the request sent
 * and the one expected.
 */
export function describeOriginMismatch(c: Context): string {
  const origin = c.req.header("origin");
  const sent = origin === undefined ? "is missing" : JSON.stringify(origin);
  return `Origin ${sent}, expected ${serverOrigin(c)}`;
}

/**
 * Returns the client's IP address as the socket reports it, or `"unknown"` when the
 * app runs without a socket (`app.request` in tests). `X-Forwarded-For` is
 * not read, because any client can set it.
 */
export function clientAddress(c: Context): string {
  const info = c.env as
    | Partial<Deno.ServeHandlerInfo<Deno.NetAddr>>
    | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}
