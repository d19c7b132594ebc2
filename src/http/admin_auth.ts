import type { MiddlewareHandler } from "hono";
import { secretsEqual } from "./constant_time.ts";
import { jsonError } from "./responses.ts";

/** The `WWW-Authenticate` challenge sent with every 401 of the admin API. */
export const ADMIN_CHALLENGE = 'Bearer realm="asknewton-admin"';

/**
 * Guards admin routes with `Authorization: Bearer <ADMIN_TOKEN>`, compared
 * in constant time. Without a configured token the routes answer 503 and say
 * why, rather than being open.
 */
export function requireAdmin(
  adminToken: string | undefined,
): MiddlewareHandler {
  return async (c, next) => {
    if (!adminToken) {
      return jsonError(c, 503, "admin routes disabled: ADMIN_TOKEN is not set");
    }

    const header = c.req.header("authorization") ?? "";
    const token = header.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token || !await secretsEqual(token, adminToken)) {
      return jsonError(c, 401, "missing or invalid bearer token", {
        "WWW-Authenticate": ADMIN_CHALLENGE,
      });
    }
    await next();
  };
}
