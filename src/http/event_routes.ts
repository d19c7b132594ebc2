import { Hono } from "hono";
import { z } from "zod";
import {
  getEvent,
  InvalidCursorError,
  listEvents,
} from "../store/event_queries.ts";
import type { AppContext } from "./app_context.ts";
import { jsonError } from "./responses.ts";

const isoDate = z.string().refine(
  (value) => !Number.isNaN(Date.parse(value)),
  "expected an ISO 8601 date such as 2026-12-04T15:00:00Z",
).transform((value) => Date.parse(value));

const optionalText = z.string().max(500).optional().transform((value) =>
  value?.trim() || undefined
);

/** Query string of `GET /events`. */
export const eventQuerySchema = z.object({
  type: optionalText,
  conversation_id: optionalText,
  agent_id: optionalText,
  caller: optionalText,
  q: optionalText,
  since: isoDate.optional(),
  until: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(100).optional(),
}).strict();

/** `GET /events` and `GET /events/:id`; mount behind the admin guard. */
export function eventRoutes(app: AppContext): Hono {
  const routes = new Hono();

  routes.get("/", (c) => {
    const parsed = eventQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const name = issue.path.join(".") || "query";
      return jsonError(
        c,
        400,
        `query parameter ${name} is invalid: ${issue.message}`,
      );
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

  routes.get("/:id{evt_[0-9A-Z]+}", (c) => {
    const event = getEvent(app.database, c.req.param("id"));
    if (!event) return jsonError(c, 404, "event not found");
    return c.json(event);
  });

  return routes;
}
