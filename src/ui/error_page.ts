import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { prefersHtml } from "../http/browser_request.ts";
import { jsonError } from "../http/responses.ts";
import { renderPage } from "./layout.ts";

/**
 * Sends an error as a page to a browser and as `{ok: false, error}` to
 * anything else, so a script posting to a page's form gets JSON.
 */
export function renderErrorPage(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  message: string,
): Response | Promise<Response> {
  if (!prefersHtml(c)) return jsonError(c, status, message);
  return renderPage(c, status, {
    title,
    body: html`<h1>${title}</h1>
<div class="error-box" role="alert">${message}</div>
<p><a href="/events/ui">Events</a> · <a href="/admin/queue">Queue</a></p>`,
  });
}
