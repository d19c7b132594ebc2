import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { INITIATION_TYPE, POST_CALL_TYPES } from "../elevenlabs/events.ts";
import { DELIVERY_STATES } from "../store/delivery_queue.ts";
import type { EventPage, EventSummary } from "../store/event_queries.ts";
import { messageBox, stateBadge, timeTag } from "./components.ts";
import { eventsPageUrl } from "./event_filters.ts";
import { type Markup, renderPage } from "./layout.ts";

/** Data of the events page: the filters as typed, and a page or an error. */
export interface EventListView {
  raw: Record<string, string>;
  page?: EventPage;
  error?: string;
}

const KNOWN_TYPES = [...POST_CALL_TYPES, INITIATION_TYPE];

function typeOptions(current: string | undefined): Markup {
  const types = current && !KNOWN_TYPES.includes(current as never)
    ? [...KNOWN_TYPES, current]
    : KNOWN_TYPES;
  return html`<option value="">Any type</option>${
    types.map((type) =>
      html`
        <option value="${type}" ${type === current
          ? html`
            selected
          `
          : ""}>${type}</option>
      `
    )
  }`;
}

function textField(
  view: EventListView,
  name: string,
  label: string,
  placeholder = "",
): Markup {
  const invalid = view.error?.startsWith(`${label}:`) ?? false;
  return html`
    <div class="field">
      <label for="filter-${name}">${label}</label>
      <input type="${name === "q"
        ? "search"
        : "text"}" id="filter-${name}" name="${name}"
        value="${view.raw[name] ?? ""}" placeholder="${placeholder}" ${invalid
          ? html`
            aria-invalid="true"
          `
          : ""}>
    </div>
  `;
}

function filterForm(view: EventListView): Markup {
  return html`
    <form class="panel filters" method="get" action="/events/ui" data-drop-empty
      role="search" aria-label="Filter events">
    <div class="field">
    <label for="filter-type">Type</label>
    <select id="filter-type" name="type">${typeOptions(view.raw.type)}</select>
    </div>
    ${textField(view, "q", "Text", "words in the body")}
    ${textField(view, "conversation_id", "Conversation ID", "conv_…")}
    ${textField(view, "agent_id", "Agent ID", "agent_…")}
    ${textField(view, "since", "Received from", "YYYY-MM-DD")}
    ${textField(view, "until", "Received before", "YYYY-MM-DDTHH:MMZ")}
    <div class="actions">
    <button type="submit">Apply</button>
    <a class="button secondary" href="/events/ui">Clear</a>
    </div>
    </form>
  `;
}

function deliveryBadges(counts: Record<string, number>): Markup {
  const states = DELIVERY_STATES.filter((state) => counts[state]);
  if (states.length === 0) return html`<span class="muted">none</span>`;
  return html`<span class="badges">${
    states.map((state) => stateBadge(state, `${counts[state]} ${state}`))
  }</span>`;
}

function eventRow(event: EventSummary): Markup {
  const dash = html`<span class="muted">—</span>`;
  return html`
    <tr>
      <td data-label="Received">${timeTag(event.received_at)}</td>
      <td data-label="Type"><a href="/events/ui/${event.id}">${event
        .type}</a></td>
      <td data-label="Conversation" class="mono clip"
        title="${event.conversation_id ?? ""}">${event.conversation_id ??
          dash}</td>
      <td data-label="Agent" class="mono clip" title="${event.agent_id ??
        ""}">${event.agent_id ?? dash}</td>
      <td data-label="Caller" class="mono">${event.caller ?? dash}</td>
      <td data-label="Outcome">${event.outcome ?? dash}</td>
      <td data-label="Deliveries">${deliveryBadges(event.delivery_counts)}</td>
    </tr>
  `;
}

function eventTable(view: EventListView, page: EventPage): Markup {
  const filtered = Object.keys(view.raw).some((name) => name !== "cursor");
  if (page.items.length === 0) {
    return html`<div class="panel empty">${
      filtered
        ? html`No events match these filters. <a href="/events/ui">Show all events</a>.`
        : html`No events stored yet. They appear here once ElevenLabs posts to /webhooks/eleven/conversation-end.`
    }</div>`;
  }

  const older = page.next_cursor
    ? html`<a class="button secondary" rel="next" href="${
      eventsPageUrl(view.raw, page.next_cursor)
    }">Older events</a>`
    : html`<span class="muted">No older events.</span>`;
  const newest = view.raw.cursor
    ? html`<a href="${eventsPageUrl(view.raw)}">Newest events</a>`
    : html`<span></span>`;
  return html`
    <div class="table-wrap">
      <table class="cards">
        <caption class="visually-hidden">Events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Type</th>
            <th scope="col">Conversation</th>
            <th scope="col">Agent</th>
            <th scope="col">Caller</th>
            <th scope="col">Outcome</th>
            <th scope="col">Deliveries</th>
          </tr>
        </thead>
        <tbody>${page.items.map(eventRow)}</tbody>
      </table>
    </div>
    <nav class="pager" aria-label="Pages">${newest}${older}</nav>
  `;
}

/** Sends the events page: filters, then the table or an error. */
export function renderEventListPage(
  c: Context,
  status: ContentfulStatusCode,
  view: EventListView,
): Response | Promise<Response> {
  return renderPage(c, status, {
    title: "Events",
    current: "events",
    body: html`
      <h1>Events</h1>
      <p
        class="subtitle">Newest first. Filters stay in the address, so a filtered list can be shared.</p>
      ${messageBox("error", view.error)}
      ${filterForm(view)}
      ${view.page ? eventTable(view, view.page) : ""}
    `,
  });
}
