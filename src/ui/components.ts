import { html } from "hono/html";
import type { Markup } from "./layout.ts";

/**
 * Formats a time as `2026-01-01 15:04:05 UTC` inside a `<time>` element.
 * Accepts Unix milliseconds or an ISO 8601 string; null renders a dash.
 */
export function timeTag(time: number | string | null | undefined): Markup {
  if (time === null || time === undefined) {
    return html`<span class="muted">—</span>`;
  }
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return html`${String(time)}`;

  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${
    iso.slice(11, 19)
  } UTC</time>`;
}

/**
 * Formats a span of milliseconds for people: `850 ms`, `42 s`, `3 min 5 s`,
 * `2 h 10 min`, `3 d 4 h`.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * Renders a coloured label for a state such as `dead` or `half_open`. The state is
 * also the CSS class suffix, so only known states get a colour.
 */
export function stateBadge(state: string, label: string = state): Markup {
  const known = /^[a-z_]+$/.test(state) ? ` state-${state}` : "";
  return html`<span class="badge${known}">${label}</span>`;
}

/**
 * Renders a green notice or a red error at the top of a page. The `role`
 * makes screen readers announce it.
 */
export function messageBox(
  kind: "notice" | "error",
  message: string | undefined,
): Markup | "" {
  if (!message) return "";
  return kind === "error"
    ? html`<div class="error-box" role="alert">${message}</div>`
    : html`<div class="notice" role="status">${message}</div>`;
}

/** Parses a count from a query parameter that an action's redirect set. */
export function countParameter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}

/** "1 delivery", "3 deliveries": a count with the noun in the right number. */
export function plural(
  count: number,
  singular: string,
  pluralForm: string,
): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
