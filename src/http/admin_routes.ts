import { Hono } from "hono";
import { z } from "zod";
import type { BreakerStatus } from "../delivery/worker.ts";
import { isoTime } from "../store/event_queries.ts";
import { queuePage } from "../ui/queue_actions.ts";
import type { AppContext } from "./app_context.ts";
import { prefersHtml } from "./browser_request.ts";
import { readOptionalJson } from "./optional_json_body.ts";
import { parseQueueFilter } from "./queue_query.ts";
import { DELIVERY_ID_PATTERN, replayDead, replayEvent } from "./replay.ts";
import { jsonError } from "./responses.ts";

const destinationName = z.string()
  .min(1, "expected a destination name")
  .max(100, "expected a destination name");

const replayEventSchema = z.object({
  destination: destinationName.optional(),
}).strict();

const replayFailedSchema = z.object({
  ids: z.array(
    z.string().regex(
      DELIVERY_ID_PATTERN,
      "expected a delivery id such as msg_01KDX3B1Y2ZQ8N4M6P7R9S0T1V",
    ),
    { invalid_type_error: "expected an array of delivery ids" },
  ).max(10_000, "expected at most 10000 ids"),
  destination: destinationName,
}).partial().strict();

/** Breaker state as JSON: `{destination, state, …}` with ISO times. */
export function breakerJson(status: BreakerStatus): Record<string, unknown> {
  const { snapshot } = status;
  return {
    destination: status.destination,
    state: snapshot.state,
    consecutive_failures: snapshot.consecutiveFailures,
    opened_at: snapshot.state === "open" ? isoTime(snapshot.openedAt) : null,
    next_probe_at: snapshot.state === "open"
      ? isoTime(snapshot.nextProbeAt)
      : null,
  };
}

/**
 * Queue counts, breakers, the oldest pending age and the key counters
 * since the process started, shared by two routes.
 */
export function queueOverview(app: AppContext): Record<string, unknown> {
  const now = app.now();
  const counts = app.queue.countOpen();
  const pending = counts.filter((count) => count.state === "pending");
  const oldestPending = pending.length
    ? Math.min(...pending.map((count) => count.oldestCreatedAt))
    : undefined;

  return {
    counts: counts.map(({ destination, state, count }) => ({
      destination,
      state,
      count,
    })),
    oldest_pending_age_seconds: oldestPending === undefined
      ? 0
      : Math.max(0, (now - oldestPending) / 1000),
    breakers: app.worker.breakers().map(breakerJson),
    counters: app.metrics.keyCounters(),
  };
}

const REPLAY_EVENT_SHAPE = 'an empty body or {"destination": "<name>"}';
const REPLAY_FAILED_SHAPE =
  'an empty body or {"ids": ["msg_…"], "destination": "<name>"}';

/** Replay and queue routes; mount behind the admin guard. */
export function adminRoutes(app: AppContext): Hono {
  const routes = new Hono();

  routes.post("/events/replay/:id", async (c) => {
    const parsed = await readOptionalJson(
      c,
      replayEventSchema,
      REPLAY_EVENT_SHAPE,
    );
    if (!parsed.ok) return jsonError(c, 400, parsed.error);

    const result = replayEvent(
      app,
      c.req.param("id"),
      parsed.data.destination,
    );
    if (!result.ok) return jsonError(c, result.status, result.error);
    return c.json({ ok: true, deliveries: result.deliveries });
  });

  routes.post("/admin/replay-failed", async (c) => {
    const parsed = await readOptionalJson(
      c,
      replayFailedSchema,
      REPLAY_FAILED_SHAPE,
    );
    if (!parsed.ok) return jsonError(c, 400, parsed.error);

    const result = replayDead(app, parsed.data);
    if (!result.ok) return jsonError(c, result.status, result.error);
    return c.json({ ok: true, replayed: result.replayed });
  });

  routes.get("/admin/queue", (c) => {
    // Browsers get the dashboard page; scripts and a missing Accept get JSON.
    const filter = parseQueueFilter(c, app);
    if (prefersHtml(c)) {
      return filter.ok
        ? queuePage(c, app, { destination: filter.destination })
        : queuePage(c, app, { error: filter.error });
    }
    if (!filter.ok) return jsonError(c, 400, filter.error);

    return c.json({
      ...queueOverview(app),
      dead: app.queue.listDead(50, filter.destination).map((dead) => ({
        ...dead,
        updated_at: isoTime(dead.updated_at),
      })),
    });
  });

  return routes;
}
