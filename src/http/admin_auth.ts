import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { AdminSignInRecord } from "./app_context.ts";
import {
  clientAddress,
  describeOriginMismatch,
  isSameOrigin,
  prefersHtml,
} from "./browser_request.ts";
import { secretsEqual } from "./constant_time.ts";
import { jsonError } from "./responses.ts";
import { type AdminSessions, SESSION_COOKIE } from "./session.ts";
import type { SignInLimiter } from "./sign_in_limiter.ts";

/**
 * Limits wrong bearer tokens per client address, as the sign-in form limits
 * wrong tokens typed into it, and reports each failure for the log.
 */
export interface BearerGuard {
  limiter: SignInLimiter;
  report?: (record: AdminSignInRecord) => void;
}

/** The `WWW-Authenticate` challenge sent with every 401 of the admin API. */
export const ADMIN_CHALLENGE = 'Bearer realm="asknewton-admin"';

/** Path of the sign-in form that browsers are sent to. */
export const SIGN_IN_PATH = "/admin/login";

/** Methods that change nothing, so they need no `Origin` check. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Guards admin routes. Scripts send `Authorization: Bearer <ADMIN_TOKEN>`,
 * compared in constant time. Browsers send the session cookie that signing
 * in set (see `AdminSessions`). A cookie-authenticated request with any
 * method but GET, HEAD or OPTIONS must carry an `Origin` header naming this
 * server, so another site cannot make a signed-in browser change anything.
 * Bearer requests skip that check, because a browser never adds the header
 * by itself. Without a configured token the routes respond with 503 and give the reason,
 * rather than being open.
 */
export function requireAdmin(
  adminToken: string | undefined,
  sessions?: AdminSessions,
  bearerGuard?: BearerGuard,
): MiddlewareHandler {
  return async (c, next) => {
    if (!adminToken) {
      return jsonError(c, 503, "admin routes disabled: ADMIN_TOKEN is not set");
    }

    const header = c.req.header("authorization");
    if (header !== undefined) {
      const address = clientAddress(c);
      const waitMs = bearerGuard?.limiter.retryAfterMs(address) ?? 0;
      if (waitMs > 0) {
        bearerGuard?.report?.({
          outcome: "rate_limited",
          clientAddress: address,
        });
        return jsonError(c, 429, "too many wrong bearer tokens; retry later", {
          "Retry-After": String(Math.ceil(waitMs / 1000)),
        });
      }

      const token = header.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
      if (!token || !await secretsEqual(token, adminToken)) {
        bearerGuard?.limiter.recordFailure(address);
        bearerGuard?.report?.({
          outcome: "wrong_token",
          clientAddress: address,
        });
        return unauthorized(c);
      }
      return await next();
    }

    const session = await sessions?.verify(getCookie(c, SESSION_COOKIE));
    if (!session) return unauthorized(c);
    if (!SAFE_METHODS.has(c.req.method) && !isSameOrigin(c)) {
      return jsonError(
        c,
        403,
        `cross-site request rejected: ${describeOriginMismatch(c)}`,
      );
    }
    await next();
  };
}

/**
 * Sends a browser that asked for a page to the sign-in form, remembering the
 * page; every other request gets 401 with the bearer challenge.
 */
function unauthorized(c: Context): Response {
  if ((c.req.method === "GET" || c.req.method === "HEAD") && prefersHtml(c)) {
    const url = new URL(c.req.url);
    const next = encodeURIComponent(url.pathname + url.search);
    return c.redirect(`${SIGN_IN_PATH}?next=${next}`, 303);
  }
  return jsonError(c, 401, "missing or invalid bearer token", {
    "WWW-Authenticate": ADMIN_CHALLENGE,
  });
}
