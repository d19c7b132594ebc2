import { Hono } from "hono";
import { CONTENT_TYPE } from "../metrics/registry.ts";
import type { AppContext } from "./app_context.ts";

/**
 * `GET /metrics` in the Prometheus text format 0.0.4, without a token,
 * because the numbers hold no event data and Prometheus scrapes it.
 */
export function metricsRoutes(app: AppContext): Hono {
  const routes = new Hono();

  routes.get("/metrics", (c) =>
    c.body(app.metrics.render(), 200, {
      "content-type": CONTENT_TYPE,
      "cache-control": "no-store",
    }));
  return routes;
}
