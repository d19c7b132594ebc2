import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SIGN_IN_PATH } from "../http/admin_auth.ts";
import { messageBox } from "./components.ts";
import { renderPage } from "./layout.ts";

/** Data of the sign-in page besides the form fields. */
export interface SignInView {
  /** Local path to open after signing in. */
  next: string;
  error?: string;
  notice?: string;
  /** False hides the form, as when `ADMIN_TOKEN` is not set. */
  showForm?: boolean;
}

/** Sends the sign-in form, with an error or notice above it. */
export function renderSignInPage(
  c: Context,
  status: ContentfulStatusCode,
  view: SignInView,
): Response | Promise<Response> {
  const form = html`
    <form method="post" action="${SIGN_IN_PATH}">
      <input type="hidden" name="next" value="${view.next}">
      <div class="field">
        <label for="token">Admin token</label>
        <input type="password" id="token" name="token"
          autocomplete="current-password" required autofocus>
        <span
          class="hint">The value of ADMIN_TOKEN. It is checked once and never stored in the browser.</span>
      </div>
      <div class="actions"><button type="submit">Sign in</button></div>
    </form>
  `;

  return renderPage(c, status, {
    title: "Sign in",
    signedIn: false,
    body: html`<div class="login panel">
<h1>Sign in</h1>
${messageBox("notice", view.notice)}
${messageBox("error", view.error)}
${view.showForm === false ? "" : form}
</div>`,
  });
}
