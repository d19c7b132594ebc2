import type { Hono } from "hono";
import { jsonError } from "./responses.ts";

/**
 * Collects, for each route path of `app`, the methods it takes. Hono runs a
 * GET handler for HEAD requests too, so a path with GET also allows HEAD.
 * Routes with the method `ALL` (middleware and catch-all handlers) take any
 * method and are left out.
 */
function allowedMethodsByPath(app: Hono): Map<string, string[]> {
  const allowed = new Map<string, Set<string>>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const methods = allowed.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
    allowed.set(route.path, methods);
  }

  return new Map(
    [...allowed].map(([path, methods]) => [path, [...methods].sort()]),
  );
}

/**
 * Adds a handler for every routed path that responds 405 with an `Allow`
 * header to the methods the path does not take, where Hono would respond
 * with the 404 of an unknown path. Call it after the last route, because
 * the added handlers match every method and must only run when no route
 * before them responded. Middleware added earlier, such as the admin
 * guard, still runs first, so an unauthenticated request gets 401 whatever
 * its method.
 *
 * NOTE: a path that matches two route patterns with different methods gets
 * the `Allow` list of the pattern registered first.
 */
export function rejectWrongMethods(app: Hono): void {
  for (const [path, methods] of allowedMethodsByPath(app)) {
    const allow = methods.join(", ");
    app.all(path, (c) =>
      jsonError(
        c,
        405,
        `method ${c.req.method} not allowed on ${c.req.path}: use ${allow}`,
        { Allow: allow },
      ));
  }
}
