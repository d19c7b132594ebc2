import { Hono } from "hono";
import { z } from "zod";
import {
  getEvent,
  InvalidCursorError,
  listEvents,
} from "../store/event_queries.ts";
import type { AppContext } from "./app_context.ts";
import {
  decimalParameter,
  describeQueryIssue,
  readSingleValuedQuery,
} from "./query_string.ts";
import { jsonError } from "./responses.ts";

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Parses an ISO 8601 date (`2026-12-04`, read as midnight UTC) or a date and
 * time with `Z` or an offset, into Unix milliseconds. A time without an
 * offset is rejected because JavaScript would read it in the server's time
 * zone, and so is a day the month does not have, which `Date.parse` would
 * roll into the next month.
 */
function parseIsoTime(value: string): number | undefined {
  const match = ISO_8601.exec(value);
  if (!match) return undefined;

  const [year, month, day] = match.slice(1, 4).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) {
    return undefined;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

const isoTime = z.string().transform((value, context) => {
  const ms = parseIsoTime(value);
  if (ms === undefined) {
    context.addIssue({
      code: "custom",
      message:
        "expected an ISO 8601 date such as 2026-12-04 or 2026-12-04T15:00:00Z",
    });
    return z.NEVER;
  }
  return ms;
});

const optionalText = z.string()
  .max(500, "expected at most 500 characters")
  .optional()
  .transform((value) => value?.trim() || undefined);

// A "+" typed unencoded into a query string arrives as a space, and stored
// numbers are E.164, so a leading space is read back as the "+".
const callerNumber = z.string()
  .max(64, "expected a phone number such as +15550100987")
  .optional()
  .transform((value) => value?.replace(/^ /, "+").trim() || undefined);

/** Query string of `GET /events`. */
export const eventQuerySchema = z.object({
  type: optionalText,
  conversation_id: optionalText,
  agent_id: optionalText,
  caller: callerNumber,
  q: optionalText,
  since: isoTime.optional(),
  until: isoTime.optional(),
  limit: decimalParameter(1, 500).default("50"),
  cursor: z.string()
    .max(100, "expected the next_cursor of an earlier page")
    .optional(),
}).strict();

/** `GET /events` and `GET /events/:id`; mount behind the admin guard. */
export function eventRoutes(app: AppContext): Hono {
  const routes = new Hono();

  routes.get("/", (c) => {
    const read = readSingleValuedQuery(c);
    if (!read.ok) return jsonError(c, 400, read.error);
    const parsed = eventQuerySchema.safeParse(read.query);
    if (!parsed.success) {
      const message = describeQueryIssue(
        parsed.error.issues[0],
        read.query,
        Object.keys(eventQuerySchema.shape),
      );
      return jsonError(c, 400, message);
    }

    const query = parsed.data;
    try {
      return c.json(listEvents(app.database, {
        type: query.type,
        conversationId: query.conversation_id,
        agentId: query.agent_id,
        caller: query.caller,
        text: query.q,
        sinceMs: query.since,
        untilMs: query.until,
        limit: query.limit,
        cursor: query.cursor,
      }));
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        return jsonError(c, 400, error.message);
      }
      throw error;
    }
  });

  // Any id that is not stored, well-formed or not, is "event not found".
  // `/events/ui` is registered before these routes, so it never gets here.
  routes.get("/:id", (c) => {
    const event = getEvent(app.database, c.req.param("id"));
    if (!event) return jsonError(c, 404, "event not found");
    return c.json(event);
  });

  return routes;
}
