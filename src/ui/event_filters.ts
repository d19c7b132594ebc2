import type { z } from "zod";
import { eventQuerySchema } from "../http/event_routes.ts";
import type { EventFilter } from "../store/event_queries.ts";

/** Events shown per page when the query string names no `limit`. */
const PAGE_SIZE = 50;

/** Labels of the query parameters, as the filter form names them. */
const LABELS: Record<string, string> = {
  type: "Type",
  q: "Text",
  conversation_id: "Conversation ID",
  agent_id: "Agent ID",
  caller: "Caller",
  since: "Received from",
  until: "Received before",
  limit: "Page size",
  cursor: "Page",
};

/** The events page's query string, read for the form and the store. */
export type ParsedFilters =
  | { ok: true; raw: Record<string, string>; filter: EventFilter }
  | { ok: false; raw: Record<string, string>; error: string };

/**
 * Reads the events page's query string with the same schema as
 * `GET /events`. Empty values count as absent, because a filter form sends
 * every field. On failure the error names the field, the value and what
 * fits, in the form's words.
 */
export function parseEventFilters(
  query: Record<string, string>,
): ParsedFilters {
  const raw = Object.fromEntries(
    Object.entries(query).filter(([, value]) => value.trim() !== ""),
  );
  const parsed = eventQuerySchema.safeParse({
    limit: String(PAGE_SIZE),
    ...raw,
  });
  if (!parsed.success) {
    return {
      ok: false,
      raw,
      error: describeIssue(parsed.error.issues[0], raw),
    };
  }

  const values = parsed.data;
  return {
    ok: true,
    raw,
    filter: {
      type: values.type,
      conversationId: values.conversation_id,
      agentId: values.agent_id,
      caller: values.caller,
      text: values.q,
      sinceMs: values.since,
      untilMs: values.until,
      limit: values.limit,
      cursor: values.cursor,
    },
  };
}

function describeIssue(issue: z.ZodIssue, raw: Record<string, string>): string {
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((key) => `"${key}"`).join(", ");
    return `Unknown filter ${names}: the page takes ${
      Object.keys(LABELS).join(", ")
    }.`;
  }
  const name = String(issue.path[0]);
  return `${LABELS[name] ?? name}: invalid value ${
    JSON.stringify(raw[name] ?? "")
  }, ${issue.message}.`;
}

/**
 * Builds an events page URL with the given filters. `cursor` replaces the
 * current page; pass undefined for the newest page.
 */
export function eventsPageUrl(
  raw: Record<string, string>,
  cursor?: string,
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(raw)) {
    if (name !== "cursor") params.set(name, value);
  }
  if (cursor) params.set("cursor", cursor);
  const query = params.toString();
  return query ? `/events/ui?${query}` : "/events/ui";
}
