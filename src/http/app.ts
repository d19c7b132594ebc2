import { Hono } from "hono";
import type { AppContext } from "./app_context.ts";
import { requireAdmin } from "./admin_auth.ts";
import { adminRoutes, queueOverview } from "./admin_routes.ts";
import { eventRoutes } from "./event_routes.ts";
import { healthRoutes } from "./health_routes.ts";
import { jsonError } from "./responses.ts";
import { webhookRoutes } from "./webhook_routes.ts";

/** Errors the app answered with 500, reported to the edge for logging. */
export type UnhandledErrorListener = (error: unknown, path: string) => void;

/** Builds the HTTP application: every route, guard and error handler. */
export function createApp(
  context: AppContext,
  onUnhandledError: UnhandledErrorListener = () => {},
): Hono {
  const app = new Hono();

  app.route("/", healthRoutes(context));
  app.route("/webhooks/eleven", webhookRoutes(context));

  app.use("/events", requireAdmin(context.config.adminToken));
  app.use("/events/*", requireAdmin(context.config.adminToken));
  app.use("/admin/*", requireAdmin(context.config.adminToken));
  app.route("/", adminRoutes(context));
  app.route("/events", eventRoutes(context));
  app.get("/health/resilience", (c) => c.json(queueOverview(context)));

  app.notFound((c) =>
    jsonError(c, 404, `no route for ${c.req.method} ${c.req.path}`)
  );
  app.onError((error, c) => {
    onUnhandledError(error, c.req.path);
    return jsonError(c, 500, "internal error; see the server log");
  });
  return app;
}
