import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { destinationsFor } from "../destinations.ts";
import type { AppContext } from "../http/app_context.ts";
import { replayEvent } from "../http/replay.ts";
import { jsonError } from "../http/responses.ts";
import {
  getEvent,
  InvalidCursorError,
  listEvents,
} from "../store/event_queries.ts";
import { countParameter, plural } from "./components.ts";
import { renderEventDetailPage } from "./event_detail_page.ts";
import { parseEventFilters } from "./event_filters.ts";
import { renderEventListPage } from "./event_list_page.ts";
import { renderErrorPage } from "./error_page.ts";
import { retryNotice } from "./queue_actions.ts";

/** Maximum size of the replay form, in bytes. */
const FORM_LIMIT_BYTES = 64 * 1024;

/** Words the event page shows after a replay of the whole event. */
function replayNotice(count: number | undefined): string | undefined {
  if (count === undefined) return undefined;
  if (count === 0) {
    return "Nothing replayed: every chosen destination still has a pending or in-flight delivery of this event.";
  }
  return `Replay queued ${plural(count, "new delivery", "new deliveries")}.`;
}

function showEventList(c: Context, app: AppContext) {
  const parsed = parseEventFilters(c.req.query());
  if (!parsed.ok) {
    return renderEventListPage(c, 400, {
      raw: parsed.raw,
      error: parsed.error,
    });
  }

  try {
    const page = listEvents(app.database, parsed.filter);
    return renderEventListPage(c, 200, { raw: parsed.raw, page });
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    return renderEventListPage(c, 400, {
      raw: parsed.raw,
      error:
        "Page: this link's cursor is not valid. Start again from the newest events.",
    });
  }
}

function showEvent(c: Context, app: AppContext, id: string) {
  const event = getEvent(app.database, id);
  if (!event) {
    return renderErrorPage(
      c,
      404,
      "Event not found",
      "No event has this id. Retention may have purged it.",
    );
  }

  return renderEventDetailPage(c, {
    event,
    replayTargets: destinationsFor(app.destinations, event.type),
    notice: replayNotice(countParameter(c.req.query("replayed"))) ??
      retryNotice(countParameter(c.req.query("retried"))),
  });
}

/** Replays the event to the destination the form names, or to all. */
async function replayFromForm(c: Context, app: AppContext, id: string) {
  const form = await c.req.parseBody();
  const destination = typeof form.destination === "string"
    ? form.destination || undefined
    : undefined;

  const result = replayEvent(app, id, destination);
  if (!result.ok) {
    return renderErrorPage(
      c,
      result.status,
      "Replay failed",
      `Cannot replay event ${id}: ${result.error}.`,
    );
  }
  const count = result.deliveries.length;
  return c.redirect(
    `/events/ui/${encodeURIComponent(id)}?replayed=${count}`,
    303,
  );
}

/**
 * `GET /events/ui` (the events page), `GET /events/ui/:id` (one event) and
 * `POST /events/ui/:id/replay`, the form behind its replay button. Mount
 * behind the admin guard, which also checks `Origin` on the POST.
 */
export function eventPages(app: AppContext): Hono {
  const routes = new Hono();
  const formLimit = bodyLimit({
    maxSize: FORM_LIMIT_BYTES,
    onError: (c) =>
      jsonError(c, 413, `form is larger than ${FORM_LIMIT_BYTES} bytes`),
  });

  routes.get("/events/ui", (c) => showEventList(c, app));
  routes.get("/events/ui/:id", (c) => showEvent(c, app, c.req.param("id")));
  routes.post(
    "/events/ui/:id/replay",
    formLimit,
    (c) => replayFromForm(c, app, c.req.param("id")),
  );
  return routes;
}
