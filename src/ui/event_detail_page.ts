import type { Context } from "hono";
import { html } from "hono/html";
import type {
  AttemptDetail,
  DeliveryDetail,
  EventDetail,
} from "../store/event_queries.ts";
import { messageBox, plural, stateBadge, timeTag } from "./components.ts";
import {
  callFactsOf,
  collectedDataOf,
  type CollectedValue,
  criteriaOf,
  type CriterionResult,
  rawJsonOf,
  summaryOf,
  transcriptOf,
} from "./event_body.ts";
import { type Markup, renderPage } from "./layout.ts";

/** Data of the event page besides the event itself. */
export interface EventDetailView {
  event: EventDetail;
  /** Names of configured destinations that take this event's type. */
  replayTargets: string[];
  notice?: string;
  error?: string;
}

const dash = html`<span class="muted">—</span>`;

/** `m:ss` from seconds into the call. */
function callClock(seconds: number | undefined): string {
  if (seconds === undefined) return "";
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function factList(event: EventDetail): Markup {
  const facts: [string, Markup | string | null][] = [
    ["Type", event.type],
    ["Received", timeTag(event.received_at)],
    [
      "Event time",
      event.event_timestamp === null
        ? null
        : timeTag(event.event_timestamp * 1000),
    ],
    ["Conversation", event.conversation_id],
    ["Agent", event.agent_id],
    ["Caller", event.caller],
    ["Call SID", event.call_sid],
    ["Outcome", event.outcome],
    ...callFactsOf(event.body).map((fact) =>
      [fact.label, fact.value] as [string, string]
    ),
  ];
  return html`<dl class="facts">${
    facts.map(([label, value]) =>
      html`
        <dt>${label}</dt>
        <dd>${value ?? dash}</dd>
      `
    )
  }</dl>`;
}

function replayForm(view: EventDetailView): Markup {
  const { event, replayTargets } = view;
  const options = replayTargets.map((name) =>
    html`<option value="${name}">${name} only</option>`
  );
  return html`
    <form method="post" action="/events/ui/${event.id}/replay" class="actions">
      <label for="replay-destination" class="visually-hidden">Destination</label>
      <select id="replay-destination" name="destination">
    <option value="">Every destination that takes ${event.type} (${replayTargets
      .length})</option>
    ${options}
      </select>
      <button type="submit">Replay event</button>
    </form>
    <p
      class="muted">Creates new deliveries with new webhook-ids. A destination that still has a pending or in-flight delivery of this event is skipped.</p>
  `;
}

function transcriptSection(event: EventDetail): Markup | "" {
  const turns = transcriptOf(event.body);
  if (turns.length === 0) return "";
  return html`
    <section class="panel" aria-labelledby="transcript-heading">
      <h2 id="transcript-heading">Transcript</h2>
      <ol class="transcript">${turns.map((turn) =>
        html`
          <li class="turn turn-${turn.role === "user" ? "user" : "agent"}">
            <div
              class="turn-meta"><strong>${turn.role}</strong><span>${callClock(
                turn.timeInCallSeconds,
              )}</span>${turn.toolNames.length
                ? html`<span>called ${turn.toolNames.join(", ")}</span>`
                : ""}</div>
            <p>${turn.message ??
              html`<span class="muted">(no message)</span>`}</p>
          </li>
        `
      )}</ol>
    </section>
  `;
}

function criteriaTable(criteria: CriterionResult[]): Markup | "" {
  if (criteria.length === 0) return "";
  const resultClass = (result: string) =>
    ["success", "failure", "unknown"].includes(result)
      ? ` result-${result}`
      : "";

  return html`
    <h3>Evaluation criteria</h3>
    <table>
      <thead>
        <tr>
          <th scope="col">Criterion</th>
          <th scope="col">Result</th>
          <th scope="col">Rationale</th>
        </tr>
      </thead>
      <tbody>${criteria.map((item) =>
        html`
          <tr>
            <td class="mono">${item.id}</td>
            <td><span class="badge${resultClass(item.result)}">${item
              .result}</span></td>
            <td class="wrap">${item.rationale}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function collectedTable(collected: CollectedValue[]): Markup | "" {
  if (collected.length === 0) return "";
  return html`
    <h3>Data collected</h3>
    <table>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Value</th>
          <th scope="col">Rationale</th>
        </tr>
      </thead>
      <tbody>${collected.map((item) =>
        html`
          <tr>
            <td class="mono">${item.id}</td>
            <td class="wrap">${item.value}</td>
            <td class="wrap">${item.rationale}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function analysisSection(event: EventDetail): Markup | "" {
  const criteria = criteriaOf(event.body);
  const collected = collectedDataOf(event.body);
  if (criteria.length === 0 && collected.length === 0) return "";

  return html`<section class="panel" aria-labelledby="analysis-heading">
<h2 id="analysis-heading">Analysis</h2>
${criteriaTable(criteria)}
${collectedTable(collected)}
</section>`;
}

/** "3" for an attempt of the first run, "replay 1, attempt 3" after a replay. */
function attemptLabel(attempt: AttemptDetail): string {
  return attempt.replay
    ? `replay ${attempt.replay}, attempt ${attempt.attempt}`
    : String(attempt.attempt);
}

function attemptRows(attempts: AttemptDetail[]): Markup {
  return html`${
    attempts.map((attempt) =>
      html`
        <tr>
          <td data-label="Attempt" class="num">${attemptLabel(attempt)}</td>
          <td data-label="Started">${timeTag(attempt.started_at)}</td>
          <td data-label="Duration" class="num">${attempt.duration_ms} ms</td>
          <td data-label="Status" class="num">${attempt.status ?? dash}</td>
          <td data-label="Error" class="wrap">${attempt.error ?? dash}</td>
          <td data-label="Response" class="mono excerpt">${attempt
            .response_excerpt ?? dash}</td>
        </tr>
      `
    )
  }`;
}

function deliveryBlock(event: EventDetail, delivery: DeliveryDetail): Markup {
  const retry = delivery.state === "dead"
    ? html`
      <form method="post" action="/admin/queue/retry">
        <input type="hidden" name="return_to" value="/events/ui/${event.id}">
        <button class="small" type="submit" name="retry_one"
          value="${delivery.id}">Retry this delivery</button>
      </form>
    `
    : "";
  const due = delivery.state === "pending"
    ? html`<span class="muted">next attempt ${
      timeTag(delivery.next_attempt_at)
    }</span>`
    : "";
  const attempts = delivery.attempt_log.length
    ? html`
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col" class="num">Attempt</th>
              <th scope="col">Started</th>
              <th scope="col" class="num">Duration</th>
              <th scope="col" class="num">Status</th>
              <th scope="col">Error</th>
              <th scope="col">Response excerpt</th>
            </tr>
          </thead>
          <tbody>${attemptRows(delivery.attempt_log)}</tbody>
        </table>
      </div>
    `
    : html`<p class="muted">No attempts yet.</p>`;

  return html`<article class="delivery" aria-label="Delivery to ${delivery.destination}">
<div class="delivery-head">
<h3>${delivery.destination}</h3>
${stateBadge(delivery.state)}
<span class="mono muted">${delivery.id}</span>
<span class="muted">${plural(delivery.attempts, "attempt", "attempts")}${
    delivery.replays ? ` since replay ${delivery.replays}` : ""
  }</span>
${due}
${retry}
</div>
${attempts}
</article>`;
}

function deliveriesSection(event: EventDetail): Markup {
  return html`<section class="panel" aria-labelledby="deliveries-heading">
<h2 id="deliveries-heading">Deliveries</h2>
${
    event.deliveries.length
      ? event.deliveries.map((delivery) => deliveryBlock(event, delivery))
      : html`<p class="muted">No destination takes this event type.</p>`
  }
</section>`;
}

/** Sends the page of one event: call, analysis, deliveries and raw JSON. */
export function renderEventDetailPage(
  c: Context,
  view: EventDetailView,
): Response | Promise<Response> {
  const { event } = view;
  const { title, summary } = summaryOf(event.body);
  return renderPage(c, 200, {
    title: title ?? event.type,
    current: "events",
    body: html`
      <p><a href="/events/ui">← All events</a></p>
      <h1>${title ?? event.type}</h1>
      <p class="subtitle mono">${event.id}</p>
      ${messageBox("notice", view.notice)}
      ${messageBox("error", view.error)}
      <div class="columns">
        <div class="stack">
      ${summary
        ? html`
          <section class="panel">
            <h2>Summary</h2>
            <p class="wrap">${summary}</p>
          </section>
        `
        : ""}
      ${transcriptSection(event)}
        </div>
        <div class="stack">
      <section class="panel" aria-labelledby="facts-heading">
      <h2 id="facts-heading">Event</h2>
      ${factList(event)}
      <h3>Replay</h3>
      ${replayForm(view)}
      </section>
      ${analysisSection(event)}
        </div>
      </div>
      ${deliveriesSection(event)}
      <details class="panel">
        <summary>Raw JSON</summary>
        <pre class="raw">${rawJsonOf(event.body)}</pre>
      </details>
    `,
  });
}
