import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppContext } from "../http/app_context.ts";
import { type DeadReplayResult, replayDead } from "../http/replay.ts";
import { jsonError } from "../http/responses.ts";
import { listRecentAttempts } from "../store/attempt_queries.ts";
import { countParameter, plural } from "./components.ts";
import { renderErrorPage } from "./error_page.ts";
import { renderQueuePage } from "./queue_page.ts";

/** Rows shown in the dead-letter and recent-attempt tables. */
const ROWS_SHOWN = 50;

/** Maximum size of the retry form, in bytes: room for about 2000 ids. */
const FORM_LIMIT_BYTES = 128 * 1024;

const DELIVERY_ID = /^msg_[0-9A-Z]{1,60}$/;
const deliveryId = z.string().regex(
  DELIVERY_ID,
  "expected a delivery id such as msg_01JB…",
);

const retryFormSchema = z.object({
  retry_one: deliveryId.optional(),
  ids: z.array(deliveryId).max(10_000).default([]),
  scope: z.enum(["selected", "all"]).optional(),
  destination: z.string().max(100).optional()
    .transform((value) => value || undefined),
  return_to: z.string().max(300).optional(),
});

/** Words the queue and event pages show after a retry of dead deliveries. */
export function retryNotice(count: number | undefined): string | undefined {
  if (count === undefined) return undefined;
  if (count === 0) {
    return "No delivery moved: the chosen deliveries are no longer dead.";
  }
  return `Moved ${
    plural(count, "dead delivery", "dead deliveries")
  } back to pending. The worker sends them as soon as each destination's circuit breaker lets it.`;
}

/**
 * Returns where a retry form sends the browser afterwards: the queue page
 * (keeping its destination filter) or an event page, with the count moved.
 * Anything else falls back to the queue page, so the form cannot redirect
 * elsewhere.
 */
function retryRedirect(returnTo: string | undefined, retried: number): string {
  const target = new URL(returnTo ?? "/admin/queue", "http://local.invalid");
  const params = new URLSearchParams();
  let path = "/admin/queue";
  if (/^\/events\/ui\/evt_[0-9A-Z]+$/.test(target.pathname)) {
    path = target.pathname;
  } else if (target.pathname === "/admin/queue") {
    const destination = target.searchParams.get("destination");
    if (destination) params.set("destination", destination);
  }
  params.set("retried", String(retried));
  return `${path}?${params}`;
}

/**
 * Sends the HTML queue dashboard, the branch of `GET /admin/queue` for
 * browsers. `filter.destination`, already checked, filters the dead
 * letters and recent attempts. With `filter.error` the page shows the
 * error above the unfiltered dashboard, with status 400.
 */
export function queuePage(
  c: Context,
  app: AppContext,
  filter: { destination?: string; error?: string },
): Response | Promise<Response> {
  const { destination } = filter;
  const nowMs = app.now();
  const counts = app.queue.countOpen();
  const pending = counts.filter((count) => count.state === "pending");
  const configured = app.destinations.map((d) => d.name);

  return renderQueuePage(c, {
    destinationFilter: destination,
    destinations: [
      ...new Set([...configured, ...counts.map((count) => count.destination)]),
    ],
    counts,
    oldestPendingAgeMs: pending.length
      ? Math.max(
        0,
        nowMs - Math.min(...pending.map((count) => count.oldestCreatedAt)),
      )
      : undefined,
    breakers: app.worker.breakers(),
    dead: app.queue.listDead(ROWS_SHOWN, destination),
    attempts: listRecentAttempts(app.database, ROWS_SHOWN, destination),
    nowMs,
    notice: retryNotice(countParameter(c.req.query("retried"))),
    error: filter.error,
  });
}

/**
 * `POST /admin/queue/retry`: the dead-letter form. `retry_one` retries one
 * delivery; `scope=selected` the checked `ids`; `scope=all` every dead
 * delivery, of `destination` when the form names one. Mount behind the admin
 * guard, which checks `Origin` for signed-in browsers.
 */
export function queueActions(app: AppContext): Hono {
  const routes = new Hono();
  const formLimit = bodyLimit({
    maxSize: FORM_LIMIT_BYTES,
    onError: (c) =>
      jsonError(c, 413, `form is larger than ${FORM_LIMIT_BYTES} bytes`),
  });

  routes.post("/admin/queue/retry", formLimit, async (c) => {
    const body = await c.req.parseBody({ all: true });
    const ids = body.ids === undefined ? [] : [body.ids].flat();
    const parsed = retryFormSchema.safeParse({ ...body, ids });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return renderErrorPage(
        c,
        400,
        "Retry failed",
        `Form field ${issue.path.join(".")}: ${issue.message}.`,
      );
    }

    const form = parsed.data;
    let result: DeadReplayResult;
    if (form.retry_one) {
      result = replayDead(app, { ids: [form.retry_one] });
    } else if (form.scope === "all") {
      result = replayDead(app, { destination: form.destination });
    } else if (form.ids.length > 0) {
      result = replayDead(app, { ids: form.ids });
    } else {
      return renderErrorPage(
        c,
        400,
        "Nothing selected",
        "Select at least one dead delivery, or use the button that retries all of them.",
      );
    }
    if (!result.ok) {
      return renderErrorPage(
        c,
        result.status,
        "Retry failed",
        `Cannot retry dead deliveries: ${result.error}.`,
      );
    }
    return c.redirect(retryRedirect(form.return_to, result.replayed), 303);
  });

  return routes;
}
