import type { z } from "zod";
import { addStatement } from "./config_file_issues.ts";

/**
 * Header name syntax: the `token` rule of RFC 9110. Deno 2.9's `fetch` throws
 * "Invalid header name" for anything else, so every attempt would fail.
 */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Header value syntax: visible ASCII, space, tab and the bytes 0x80 to 0xFF,
 * as the `field-value` rule of RFC 9110 allows. Deno 2.9's `fetch` rejects
 * CR, LF, other control characters and characters above 0xFF, and its error
 * message would show the value.
 */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers that the server or its HTTP client writes for every request, in
 * lowercase. A destination's copy would either be dropped or break the
 * request: a second `content-length`, a `host` for another site, a
 * `webhook-signature` that does not match the body. `user-agent` is not
 * among them, so a destination may replace `asknewton-webhooks/<version>`
 * for a receiver that filters on it.
 */
export const SERVER_SET_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "content-type",
  "host",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "webhook-id",
  "webhook-signature",
  "webhook-timestamp",
]);

/**
 * Checks a destination's extra headers: names must be HTTP tokens, values
 * must be sendable, names the server sets are rejected, and two names that
 * differ only in case are rejected because HTTP merges them. Messages name
 * the header and never show its value, which is usually a credential.
 */
export function checkHeaders(
  headers: Record<string, string>,
  context: z.RefinementCtx,
): void {
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lowercase = name.toLowerCase();
    if (!HTTP_TOKEN.test(name)) {
      addStatement(
        context,
        [name],
        "invalid header name, expected letters, digits or !#$%&'*+-.^_`|~ with no spaces (an HTTP token)",
      );
    } else if (SERVER_SET_HEADERS.has(lowercase)) {
      addStatement(
        context,
        [name],
        "the server sets this header itself; remove it",
      );
    } else if (seen.has(lowercase)) {
      addStatement(
        context,
        [name],
        `the same header as ${
          JSON.stringify(seen.get(lowercase))
        }, because header names ignore case; keep one`,
      );
    }
    if (!seen.has(lowercase)) seen.set(lowercase, name);

    if (!HEADER_VALUE.test(value)) {
      addStatement(
        context,
        [name],
        "invalid value (value hidden), expected printable characters with no CR, LF or other control characters",
      );
    }
  }
}
