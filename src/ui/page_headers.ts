import type { MiddlewareHandler } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";

/**
 * Security headers of the admin pages. The Content-Security-Policy allows
 * only this server's style sheet and scripts that carry the response's
 * nonce, so markup injected through an event body could not run even if
 * escaping failed. Read the nonce with `c.get("secureHeadersNonce")`.
 *
 * The referrer policy is `same-origin` rather than `no-referrer`: under
 * `no-referrer` Chromium sends `Origin: null` with a same-origin form POST,
 * which the Origin check of signed-in requests would reject. `same-origin`
 * still sends no referrer to any other site.
 */
export function pageHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      scriptSrc: [NONCE],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: "same-origin",
    xFrameOptions: "DENY",
    // HSTS belongs to whatever terminates TLS in front of this server.
    strictTransportSecurity: false,
  });
}
