import { Hono } from "hono";
import type { AppContext } from "./app_context.ts";
import { requireAdmin } from "./admin_auth.ts";
import { SignInLimiter } from "./sign_in_limiter.ts";
import { adminRoutes, queueOverview } from "./admin_routes.ts";
import { audioRoutes } from "./audio_routes.ts";
import { eventRoutes } from "./event_routes.ts";
import { healthRoutes } from "./health_routes.ts";
import { rejectWrongMethods } from "./method_not_allowed.ts";
import { metricsRoutes } from "./metrics_routes.ts";
import { jsonError } from "./responses.ts";
import { AdminSessions } from "./session.ts";
import { webhookRoutes } from "./webhook_routes.ts";
import { assetRoutes } from "../ui/assets.ts";
import { eventPages } from "../ui/event_pages.ts";
import { pageHeaders } from "../ui/page_headers.ts";
import { queueActions } from "../ui/queue_actions.ts";
import { signInRoutes } from "../ui/sign_in_routes.ts";

/** Listener for errors the app turned into a 500, so the edge can log them. */
export type UnhandledErrorListener = (error: unknown, path: string) => void;

/** Builds the HTTP application: every route, guard and error handler. */
export function createApp(
  context: AppContext,
  onUnhandledError: UnhandledErrorListener = () => {},
): Hono {
  const app = new Hono();

  app.route("/", healthRoutes(context));
  app.route("/", metricsRoutes(context));
  app.route("/webhooks/eleven", webhookRoutes(context));

  // Security headers for the admin pages, then the routes that respond
  // without a session: Hono runs handlers in the order they were added, so
  // these respond before the guard below is reached.
  const sessions = new AdminSessions(context.config.adminToken, context.now);
  const headers = pageHeaders();
  app.use("/events/ui", headers);
  app.use("/events/ui/*", headers);
  app.use("/admin/*", headers);
  app.route("/", assetRoutes());
  app.route("/", signInRoutes(context, sessions));

  const guard = requireAdmin(context.config.adminToken, sessions, {
    // Scripts retry on their own, so bearer tokens get a larger budget than
    // the sign-in form's 5 a minute.
    limiter: new SignInLimiter({ now: context.now, maxFailures: 20 }),
    report: (record) => context.observer.adminSignIn?.(record),
  });
  app.use("/events", guard);
  app.use("/events/*", guard);
  app.use("/admin/*", guard);
  app.route("/", adminRoutes(context));
  app.route("/", eventPages(context));
  app.route("/", queueActions(context));
  app.route("/events", eventRoutes(context));
  app.route("/events", audioRoutes(context));
  app.get("/health/resilience", (c) => c.json(queueOverview(context)));
  rejectWrongMethods(app);

  app.notFound((c) =>
    jsonError(c, 404, `no route for ${c.req.method} ${c.req.path}`)
  );
  app.onError((error, c) => {
    onUnhandledError(error, c.req.path);
    return jsonError(c, 500, "internal error; see the server log");
  });
  return app;
}
