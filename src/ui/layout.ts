import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HtmlEscapedString } from "hono/utils/html";
import { assetUrl } from "./assets.ts";

/** Rendered HTML: text in it was escaped when the template was filled. */
export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Content and options of one page for `renderPage`. */
export interface PageOptions {
  title: string;
  /** The navigation link to mark as the current page. */
  current?: "events" | "queue";
  /** Shows navigation and the sign-out button; false on the sign-in page. */
  signedIn?: boolean;
  body: Markup;
}

/**
 * Sends a complete admin page. `hono/html` escapes every value placed in a
 * template, so callers pass raw strings from events and destinations'
 * responses as they are. The script tag carries the nonce the Content-Security-Policy
 * header names, and `no-store` keeps caller data out of shared caches.
 */
export function renderPage(
  c: Context,
  status: ContentfulStatusCode,
  options: PageOptions,
): Response | Promise<Response> {
  const nonce = c.get("secureHeadersNonce");
  const signedIn = options.signedIn ?? true;
  c.header("Cache-Control", "no-store");

  return c.html(
    html`
      <!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>${options.title} · AskNewton webhooks</title>
          <link rel="stylesheet" href="${assetUrl("admin.css")}">
          <link rel="icon" href="data:,">
          <script nonce="${nonce}" src="${assetUrl("admin.js")}" defer></script>
        </head>
        <body>
          <a class="skip-link" href="#main">Skip to content</a>
          <header class="top">
      <a class="brand" href="/events/ui">AskNewton webhooks</a>
      ${signedIn ? navigation(options.current) : ""}
          </header>
          <main id="main">
      ${options.body}
          </main>
        </body>
      </html>
    `,
    status,
  );
}

function navigation(current: PageOptions["current"]): Markup {
  const link = (href: string, label: string, name: PageOptions["current"]) =>
    html`
      <a href="${href}" ${current === name
        ? html`
          aria-current="page"
        `
        : ""}>${label}</a>
    `;

  return html`<nav aria-label="Admin pages">
${link("/events/ui", "Events", "events")}
${link("/admin/queue", "Queue", "queue")}
<form method="post" action="/admin/logout"><button class="link" type="submit">Sign out</button></form>
</nav>`;
}
