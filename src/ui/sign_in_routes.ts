import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { SIGN_IN_PATH } from "../http/admin_auth.ts";
import type { AdminSignInRecord, AppContext } from "../http/app_context.ts";
import {
  clientAddress,
  describeOriginMismatch,
  isHttps,
  isSameOrigin,
  prefersHtml,
} from "../http/browser_request.ts";
import { secretsEqual } from "../http/constant_time.ts";
import { jsonError } from "../http/responses.ts";
import {
  type AdminSessions,
  SESSION_COOKIE,
  SESSION_TTL_MS,
} from "../http/session.ts";
import { SignInLimiter } from "../http/sign_in_limiter.ts";
import { formatDuration } from "./components.ts";
import { renderSignInPage } from "./sign_in_page.ts";

/** Page opened after signing in when the form names none. */
const DEFAULT_NEXT = "/events/ui";

/** Maximum size of a sign-in or sign-out form, in bytes. */
const FORM_LIMIT_BYTES = 8 * 1024;

/**
 * Returns `next` when it is a path on this server, else the events page, so
 * the sign-in form cannot be used to send someone to another site.
 */
export function localPath(next: unknown): string {
  if (typeof next !== "string" || next.length > 2000) return DEFAULT_NEXT;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return DEFAULT_NEXT;
  return next;
}

/**
 * Responds to a failed sign-in: a browser gets the form again with the
 * reason, and a script gets JSON `{ok: false, error}`.
 */
function signInFailure(
  c: Context,
  status: 401 | 403 | 413 | 429 | 503,
  error: string,
  next: string,
  headers: Record<string, string> = {},
): Response | Promise<Response> {
  if (!prefersHtml(c)) return jsonError(c, status, error, headers);
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return renderSignInPage(c, status, {
    next,
    error,
    showForm: status !== 503,
  });
}

/** Dependencies that the sign-in handlers share. */
interface SignInContext {
  adminToken: string | undefined;
  sessions: AdminSessions;
  limiter: SignInLimiter;
  report: (record: AdminSignInRecord) => void;
}

const DISABLED_MESSAGE = "Admin pages are disabled: ADMIN_TOKEN is not set.";

function showSignInForm(
  c: Context,
  adminToken: string | undefined,
): Response | Promise<Response> {
  const next = localPath(c.req.query("next"));
  if (!adminToken) return signInFailure(c, 503, DISABLED_MESSAGE, next);

  const notice = c.req.query("signed_out") === "1"
    ? "You are signed out."
    : undefined;
  return renderSignInPage(c, 200, { next, notice });
}

/**
 * Checks the posted token and starts a session. The limiter is consulted
 * before the token is compared, so a blocked address learns nothing.
 */
async function signIn(c: Context, context: SignInContext): Promise<Response> {
  const form = await c.req.parseBody();
  const next = localPath(form.next);
  if (!context.adminToken) {
    return await signInFailure(c, 503, DISABLED_MESSAGE, next);
  }
  if (!isSameOrigin(c)) {
    return jsonError(c, 403, `sign-in rejected: ${describeOriginMismatch(c)}`);
  }

  const address = clientAddress(c);
  const waitMs = context.limiter.retryAfterMs(address);
  if (waitMs > 0) {
    context.report({ outcome: "rate_limited", clientAddress: address });
    const seconds = Math.ceil(waitMs / 1000);
    const message = `Too many failed sign-ins from this address. Try again in ${
      formatDuration(seconds * 1000)
    }.`;
    return await signInFailure(c, 429, message, next, {
      "Retry-After": String(seconds),
    });
  }
  const token = typeof form.token === "string" ? form.token : "";
  if (!token || !await secretsEqual(token, context.adminToken)) {
    context.limiter.recordFailure(address);
    context.report({ outcome: "wrong_token", clientAddress: address });
    const message = "The admin token is missing or wrong.";
    return await signInFailure(c, 401, message, next);
  }

  context.limiter.reset(address);
  context.report({ outcome: "signed_in", clientAddress: address });
  const session = await context.sessions.issue();
  setCookie(c, SESSION_COOKIE, session.cookieValue, {
    ...cookieAttributes(c),
    // Max-Age alone, counted by the browser's clock; the signed expiry
    // inside the value is what the server enforces.
    maxAge: SESSION_TTL_MS / 1000,
  });
  return c.redirect(next, 303);
}

/** Revokes the session, deletes the cookie and shows the sign-in form. */
async function signOut(c: Context, context: SignInContext): Promise<Response> {
  if (!isSameOrigin(c)) {
    return jsonError(c, 403, `sign-out rejected: ${describeOriginMismatch(c)}`);
  }

  const session = await context.sessions.verify(getCookie(c, SESSION_COOKIE));
  if (session) {
    context.sessions.revoke(session);
    context.report({ outcome: "signed_out", clientAddress: clientAddress(c) });
  }
  deleteCookie(c, SESSION_COOKIE, cookieAttributes(c));
  return c.redirect(`${SIGN_IN_PATH}?signed_out=1`, 303);
}

function cookieAttributes(c: Context) {
  return {
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
  } as const;
}

/**
 * `GET` and `POST /admin/login` and `POST /admin/logout`. Signing in checks
 * the admin token once and sets an HttpOnly, SameSite=Strict session cookie
 * (Secure over HTTPS) that contains a signed session, never the token. Failed
 * sign-ins are limited per client address. Both POSTs require an `Origin`
 * header naming this server. Mount these before the admin guard.
 */
export function signInRoutes(app: AppContext, sessions: AdminSessions): Hono {
  const routes = new Hono();
  const context: SignInContext = {
    adminToken: app.config.adminToken,
    sessions,
    limiter: new SignInLimiter({ now: app.now }),
    report: (record) => app.observer.adminSignIn?.(record),
  };
  const formLimit = bodyLimit({
    maxSize: FORM_LIMIT_BYTES,
    onError: (c) =>
      jsonError(c, 413, `form is larger than ${FORM_LIMIT_BYTES} bytes`),
  });

  routes.get(SIGN_IN_PATH, (c) => showSignInForm(c, context.adminToken));
  routes.post(SIGN_IN_PATH, formLimit, (c) => signIn(c, context));
  routes.post("/admin/logout", formLimit, (c) => signOut(c, context));
  return routes;
}
