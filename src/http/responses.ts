import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Sends the JSON error shape every route shares: `{ok: false, error}`. */
export function jsonError(
  context: Context,
  status: ContentfulStatusCode,
  error: string,
  headers?: Record<string, string>,
): Response {
  return context.json({ ok: false, error }, status, headers);
}
