import { Hono } from "hono";
import { VERSION } from "../version.ts";
import type { AppContext } from "./app_context.ts";

/** `GET /healthz` and `GET /version`, open to load balancers. */
export function healthRoutes(app: AppContext): Hono {
  const routes = new Hono();

  routes.get("/healthz", (c) => {
    try {
      app.database.prepare("SELECT count(*) FROM events WHERE seq = 0").get();
      return c.json({ ok: true, database: "ok" });
    } catch (error) {
      return c.json({
        ok: false,
        database: "failed",
        error: `database check failed: ${(error as Error).message}`,
      }, 503);
    }
  });

  routes.get("/version", (c) => c.json({ version: VERSION }));
  return routes;
}
