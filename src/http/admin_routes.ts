import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import type { BreakerStatus } from "../delivery/worker.ts";
import { isoTime } from "../store/event_queries.ts";
import { queuePage } from "../ui/queue_actions.ts";
import type { AppContext } from "./app_context.ts";
import { prefersHtml } from "./browser_request.ts";
import { replayDead, replayEvent } from "./replay.ts";
import { jsonError } from "./responses.ts";

const replayEventSchema = z.object({
  destination: z.string().min(1).max(100).optional(),
}).strict();

const replayFailedSchema = z.object({
  ids: z.array(z.string().min(1).max(100)).max(10_000).optional(),
  destination: z.string().min(1).max(100).optional(),
}).strict();

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

/** Reads an optional JSON body; an empty body is `{}`. */
async function readOptionalJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  return JSON.parse(text);
}

/** Replay and queue routes; mount behind the admin guard. */
export function adminRoutes(app: AppContext): Hono {
  const routes = new Hono();

  routes.post("/events/replay/:id", async (c) => {
    const parsed = replayEventSchema.safeParse(
      await readOptionalJson(c).catch(() => undefined),
    );
    if (!parsed.success) {
      return jsonError(
        c,
        400,
        'body must be empty or {"destination": "<name>"}',
      );
    }

    const result = replayEvent(
      app,
      c.req.param("id"),
      parsed.data.destination,
    );
    if (!result.ok) return jsonError(c, result.status, result.error);
    return c.json({ ok: true, deliveries: result.deliveries });
  });

  routes.post("/admin/replay-failed", async (c) => {
    const parsed = replayFailedSchema.safeParse(
      await readOptionalJson(c).catch(() => undefined),
    );
    if (!parsed.success) {
      return jsonError(
        c,
        400,
        'body must be empty or {"ids": ["msg_…"], "destination": "<name>"}',
      );
    }

    const replayed = replayDead(app, parsed.data);
    return c.json({ ok: true, replayed });
  });

  routes.get("/admin/queue", (c) => {
    // Browsers get the dashboard page; scripts and a missing Accept get JSON.
    if (prefersHtml(c)) return queuePage(c, app);
    const destination = c.req.query("destination") || undefined;
    return c.json({
      ...queueOverview(app),
      dead: app.queue.listDead(50, destination).map((dead) => ({
        ...dead,
        updated_at: isoTime(dead.updated_at),
      })),
    });
  });

  return routes;
}
