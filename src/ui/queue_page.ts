import type { Context } from "hono";
import { html } from "hono/html";
import type { BreakerStatus } from "../delivery/worker.ts";
import type { RecentAttempt } from "../store/attempt_queries.ts";
import type { DeadDelivery, QueueCount } from "../store/delivery_queue.ts";
import {
  formatDuration,
  messageBox,
  stateBadge,
  timeTag,
} from "./components.ts";
import { type Markup, renderPage } from "./layout.ts";

/** Everything the queue page shows, read at one moment. */
export interface QueueView {
  /** Destination the dead letters and attempts are filtered by, if any. */
  destinationFilter?: string;
  /** Configured destinations, then any others the queue still holds. */
  destinations: string[];
  counts: QueueCount[];
  oldestPendingAgeMs?: number;
  breakers: BreakerStatus[];
  dead: DeadDelivery[];
  attempts: RecentAttempt[];
  /** Unix milliseconds when the view was read. */
  nowMs: number;
  notice?: string;
  /** Error message for a rejected query string, sent with status 400. */
  error?: string;
}

const dash = html`<span class="muted">—</span>`;
const OPEN_STATES = ["pending", "in_flight", "dead"] as const;

function countOf(view: QueueView, destination: string, state: string): number {
  return view.counts.find((count) =>
    count.destination === destination && count.state === state
  )?.count ?? 0;
}

function filterForm(view: QueueView): Markup {
  return html`
    <form class="panel actions" method="get" action="/admin/queue" data-drop-empty
      aria-label="Filter by destination">
      <label for="queue-destination">Destination</label>
      <select id="queue-destination" name="destination">
    <option value="">All destinations</option>
    ${view.destinations.map((name) =>
      html`
        <option value="${name}" ${name === view.destinationFilter
          ? html`
            selected
          `
          : ""}>${name}</option>
      `
    )}
      </select>
      <button type="submit">Show</button>
    </form>
  `;
}

function countsPanel(view: QueueView): Markup {
  const rows = view.destinations.map((destination) =>
    html`<tr><th scope="row">${destination}</th>${
      OPEN_STATES.map((state) => {
        const count = countOf(view, destination, state);
        return html`<td class="num">${
          count
            ? stateBadge(state, String(count))
            : html`<span class="muted">0</span>`
        }</td>`;
      })
    }</tr>`
  );
  return html`
    <section class="panel" aria-labelledby="counts-heading">
      <h2 id="counts-heading">Deliveries by state</h2>
      <p
        class="muted">Oldest pending: ${view.oldestPendingAgeMs === undefined
          ? "none"
          : formatDuration(
            view.oldestPendingAgeMs,
          )}. Succeeded deliveries are not counted.</p>
      <div class="table-wrap flat">
        <table>
          <thead>
            <tr>
              <th scope="col">Destination</th>
              <th scope="col" class="num">Pending</th>
              <th scope="col" class="num">In flight</th>
              <th scope="col" class="num">Dead</th>
            </tr>
          </thead>
          <tbody>${rows}</tbody>
        </table>
      </div>
    </section>
  `;
}

function probeText(status: BreakerStatus, nowMs: number): string {
  const { snapshot } = status;
  if (snapshot.state === "closed") return "";
  if (snapshot.state === "half_open") {
    return snapshot.probeInFlight
      ? "probe in flight"
      : "the next delivery is the probe";
  }
  const waitMs = snapshot.nextProbeAt - nowMs;
  return waitMs > 0
    ? `probe in ${formatDuration(waitMs)}`
    : "probe due with the next delivery";
}

function breakersPanel(view: QueueView): Markup {
  return html`
    <section class="panel" aria-labelledby="breakers-heading">
      <h2 id="breakers-heading">Circuit breakers</h2>
      <div class="table-wrap flat">
        <table>
          <thead>
            <tr>
              <th scope="col">Destination</th>
              <th scope="col">State</th>
              <th scope="col" class="num">Failures in a row</th>
              <th scope="col">Next probe</th>
            </tr>
          </thead>
          <tbody>${view.breakers.map((status) =>
            html`
              <tr>
                <th scope="row">${status.destination}</th>
                <td>${stateBadge(status.snapshot.state)}</td>
                <td class="num">${status.snapshot.consecutiveFailures}</td>
                <td>${probeText(status, view.nowMs) || dash}</td>
              </tr>
            `
          )}</tbody>
        </table>
      </div>
    </section>
  `;
}

function deadRow(dead: DeadDelivery): Markup {
  return html`
    <tr>
      <td
        data-label="Select"><input type="checkbox" name="ids" value="${dead
          .id}" id="pick-${dead.id}" aria-label="Select delivery ${dead
          .id}"></td>
      <td data-label="Delivery" class="mono clip"
        title="${dead.id}">${dead.id}</td>
      <td data-label="Event"><a href="/events/ui/${dead.event_id}">${dead
        .event_type}</a></td>
      <td data-label="Destination">${dead.destination}</td>
      <td data-label="Attempts" class="num">${dead.attempts}</td>
      <td data-label="Last status" class="num">${dead.last_status ?? dash}</td>
      <td data-label="Last error" class="wrap">${dead.last_error ?? dash}</td>
      <td data-label="Dead since">${timeTag(dead.updated_at)}</td>
      <td
        data-label="Action"><button class="small secondary" type="submit" name="retry_one" value="${dead
          .id}">Retry</button></td>
    </tr>
  `;
}

/** Counts the dead deliveries that "Retry all" would move. */
function deadTotal(view: QueueView): number {
  if (view.destinationFilter) {
    return countOf(view, view.destinationFilter, "dead");
  }
  return view.counts.filter((count) => count.state === "dead")
    .reduce((sum, count) => sum + count.count, 0);
}

function deadActions(view: QueueView, scope: string): Markup {
  const returnTo = view.destinationFilter
    ? `/admin/queue?destination=${encodeURIComponent(view.destinationFilter)}`
    : "/admin/queue";
  const total = deadTotal(view);

  return html`
    <input type="hidden" name="destination" value="${view.destinationFilter ??
      ""}">
    <input type="hidden" name="return_to" value="${returnTo}">
    <div class="actions">
      <button type="submit" name="scope" value="selected"
        data-needs-selection>Retry selected</button>
      <button type="submit" name="scope" value="all"
        class="secondary">Retry all dead${scope} (${total})</button>
      <span
        class="muted">Showing the ${view.dead
          .length} newest. A retry keeps the delivery's webhook-id.</span>
    </div>
  `;
}

function deadPanel(view: QueueView): Markup {
  const scope = view.destinationFilter ? ` of ${view.destinationFilter}` : "";
  if (view.dead.length === 0) {
    return html`
      <section class="panel" aria-labelledby="dead-heading">
        <h2 id="dead-heading">Dead letters</h2>
        <p
          class="empty">No dead deliveries${scope}. A delivery lands here after its last attempt or a permanent error.</p>
      </section>
    `;
  }

  return html`
    <section class="panel" aria-labelledby="dead-heading">
      <h2 id="dead-heading">Dead letters</h2>
      <form method="post" action="/admin/queue/retry" data-selection>
    ${deadActions(view, scope)}
    <div class="table-wrap"><table class="cards">
    <thead><tr>
    <th scope="col"><input type="checkbox" data-select-all aria-label="Select all shown"></th>
    <th scope="col">Delivery</th><th scope="col">Event</th><th scope="col">Destination</th>
    <th scope="col" class="num">Attempts</th><th scope="col" class="num">Last status</th>
    <th scope="col">Last error</th><th scope="col">Dead since</th>
    <th scope="col"><span class="visually-hidden">Action</span></th>
    </tr></thead>
    <tbody>${view.dead.map(deadRow)}</tbody>
    </table></div>
      </form>
    </section>
  `;
}

function attemptRow(attempt: RecentAttempt): Markup {
  const failed = attempt.status === null || attempt.status < 200 ||
    attempt.status > 299;
  return html`
    <tr>
      <td data-label="Started">${timeTag(attempt.started_at)}</td>
      <td data-label="Destination">${attempt.destination}</td>
      <td data-label="Event"><a href="/events/ui/${attempt.event_id}">${attempt
        .event_type}</a></td>
      <td data-label="Attempt" class="num">${attempt.attempt}</td>
      <td data-label="Status" class="num">${stateBadge(
        failed ? "dead" : "succeeded",
        String(attempt.status ?? "none"),
      )}</td>
      <td data-label="Duration" class="num">${attempt.duration_ms} ms</td>
      <td data-label="Error" class="wrap">${attempt.error ?? dash}</td>
      <td data-label="Response" class="mono excerpt">${attempt
        .response_excerpt ??
        dash}</td>
    </tr>
  `;
}

function attemptsPanel(view: QueueView): Markup {
  return html`<section class="panel" aria-labelledby="attempts-heading">
<h2 id="attempts-heading">Recent attempts</h2>
${
    view.attempts.length
      ? html`
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Destination</th>
                <th scope="col">Event</th>
                <th scope="col" class="num">Attempt</th>
                <th scope="col" class="num">Status</th>
                <th scope="col" class="num">Duration</th>
                <th scope="col">Error</th>
                <th scope="col">Response excerpt</th>
              </tr>
            </thead>
            <tbody>${view.attempts.map(attemptRow)}</tbody>
          </table>
        </div>
      `
      : html`<p class="empty">No attempts recorded yet.</p>`
  }
</section>`;
}

/** Sends the queue dashboard. */
export function renderQueuePage(
  c: Context,
  view: QueueView,
): Response | Promise<Response> {
  return renderPage(c, view.error ? 400 : 200, {
    title: "Delivery queue",
    current: "queue",
    body: html`<h1>Delivery queue</h1>
${messageBox("notice", view.notice)}
${messageBox("error", view.error)}
${filterForm(view)}
<div class="grid-2">
${countsPanel(view)}
${breakersPanel(view)}
</div>
${deadPanel(view)}
${attemptsPanel(view)}`,
  });
}
