import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { maskPhoneNumber } from "../phone.ts";

/** Filters of `GET /events`; every field is optional. */
export interface EventFilter {
  type?: string;
  conversationId?: string;
  agentId?: string;
  caller?: string;
  /** Text that must occur in the raw body. */
  text?: string;
  sinceMs?: number;
  untilMs?: number;
  limit: number;
  /** Opaque cursor from an earlier page's `next_cursor`. */
  cursor?: string;
}

/** One row of an event listing; the caller number is masked. */
export interface EventSummary {
  id: string;
  type: string;
  conversation_id: string | null;
  agent_id: string | null;
  caller: string | null;
  call_sid: string | null;
  outcome: string | null;
  received_at: string;
  event_timestamp: number | null;
  /** Delivery counts by state, such as `{ succeeded: 2, dead: 1 }`. */
  delivery_counts: Record<string, number>;
}

export interface EventPage {
  items: EventSummary[];
  next_cursor: string | null;
}

interface EventRow {
  seq: number;
  id: string;
  type: string;
  conversation_id: string | null;
  agent_id: string | null;
  caller_number: string | null;
  call_sid: string | null;
  outcome: string | null;
  received_at: number;
  event_timestamp: number | null;
  delivery_states: string | null;
}

/** Raised for a cursor that this server did not issue. */
export class InvalidCursorError extends Error {
  constructor() {
    super("cursor is invalid: pass the next_cursor of an earlier page");
    this.name = "InvalidCursorError";
  }
}

const SUMMARY_COLUMNS = `e.seq, e.id, e.type, e.conversation_id, e.agent_id,
  e.caller_number, e.call_sid, e.outcome, e.received_at, e.event_timestamp,
  (SELECT group_concat(d.state) FROM deliveries d WHERE d.event_id = e.id)
    AS delivery_states`;

/** Lists events newest first, one page at a time. */
export function listEvents(
  database: DatabaseSync,
  filter: EventFilter,
): EventPage {
  const conditions: string[] = [];
  const values: SQLInputValue[] = [];
  const where = (condition: string, value: SQLInputValue) => {
    conditions.push(condition);
    values.push(value);
  };

  if (filter.cursor !== undefined) {
    where("e.seq < ?", decodeCursor(filter.cursor));
  }
  if (filter.type) where("e.type = ?", filter.type);
  if (filter.conversationId) {
    where("e.conversation_id = ?", filter.conversationId);
  }
  if (filter.agentId) where("e.agent_id = ?", filter.agentId);
  if (filter.caller) where("e.caller_number = ?", filter.caller);
  // NOTE: the time bounds filter rows while the query walks `seq` backwards,
  // so an `until` far in the past, or a `since` with nothing after it, reads
  // every newer row.
  if (filter.sinceMs !== undefined) where("e.received_at >= ?", filter.sinceMs);
  if (filter.untilMs !== undefined) where("e.received_at < ?", filter.untilMs);
  if (filter.text) {
    where("e.body LIKE ? ESCAPE '\\'", `%${escapeLike(filter.text)}%`);
  }

  const sql = `SELECT ${SUMMARY_COLUMNS} FROM events e
    ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}
    ORDER BY e.seq DESC LIMIT ?`;
  const rows = database.prepare(sql).all(
    ...values,
    filter.limit + 1,
  ) as unknown as EventRow[];

  const page = rows.slice(0, filter.limit);
  const hasMore = rows.length > filter.limit;
  return {
    items: page.map(toSummary),
    next_cursor: hasMore ? encodeCursor(page[page.length - 1].seq) : null,
  };
}

/** An event with its body, deliveries and their attempts. */
export interface EventDetail extends EventSummary {
  body: unknown;
  deliveries: DeliveryDetail[];
}

export interface DeliveryDetail {
  id: string;
  destination: string;
  state: string;
  /** Attempts since the delivery was created or last replayed. */
  attempts: number;
  /** How often a replay moved the delivery from `dead` back to `pending`. */
  replays: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  attempt_log: AttemptDetail[];
}

export interface AttemptDetail {
  /** Number of replays of the delivery before this attempt, 0 at first. */
  replay: number;
  /** 1 for the first attempt of the run, as a replay starts again at 1. */
  attempt: number;
  started_at: string;
  duration_ms: number;
  status: number | null;
  error: string | null;
  response_excerpt: string | null;
}

/** Loads one event by id, or undefined when there is none. */
export function getEvent(
  database: DatabaseSync,
  id: string,
): EventDetail | undefined {
  const row = database.prepare(
    `SELECT ${SUMMARY_COLUMNS}, e.body FROM events e WHERE e.id = ?`,
  ).get(id) as (EventRow & { body: string }) | undefined;
  if (!row) return undefined;

  const deliveries = database.prepare(`
    SELECT id, destination, state, attempts, replays, next_attempt_at,
      last_status, last_error, created_at, updated_at
    FROM deliveries WHERE event_id = ? ORDER BY created_at, id`).all(id);
  const attempts = database.prepare(`
    SELECT replay, attempt, started_at, duration_ms, status, error,
      response_excerpt
    FROM outbound_attempts WHERE delivery_id = ? ORDER BY id`);

  return {
    ...toSummary(row),
    body: JSON.parse(row.body),
    deliveries: deliveries.map((delivery) => ({
      id: String(delivery.id),
      destination: String(delivery.destination),
      state: String(delivery.state),
      attempts: Number(delivery.attempts),
      replays: Number(delivery.replays),
      next_attempt_at: isoTime(Number(delivery.next_attempt_at)),
      last_status: delivery.last_status as number | null,
      last_error: delivery.last_error as string | null,
      created_at: isoTime(Number(delivery.created_at)),
      updated_at: isoTime(Number(delivery.updated_at)),
      attempt_log: attempts.all(String(delivery.id)).map((attempt) => ({
        replay: Number(attempt.replay),
        attempt: Number(attempt.attempt),
        started_at: isoTime(Number(attempt.started_at)),
        duration_ms: Number(attempt.duration_ms),
        status: attempt.status as number | null,
        error: attempt.error as string | null,
        response_excerpt: attempt.response_excerpt as string | null,
      })),
    })),
  };
}

/** Summary of earlier calls from one number, for the voice agent. */
export interface CallerHistory {
  previousCallCount: number;
  /** Unix milliseconds of the latest call, or undefined when none. */
  lastCallAtMs?: number;
  lastCallSummary?: string;
}

/**
 * Summarises the stored post-call transcriptions of a caller. It reads one
 * index range (caller, type), so it stays fast as the table grows.
 */
export function getCallerHistory(
  database: DatabaseSync,
  callerNumber: string,
): CallerHistory {
  const row = database.prepare(`
    SELECT count(*) AS calls,
      (SELECT coalesce(event_timestamp * 1000, received_at) FROM events
        WHERE caller_number = ?1 AND type = 'post_call_transcription'
        ORDER BY seq DESC LIMIT 1) AS last_at,
      (SELECT summary FROM events
        WHERE caller_number = ?1 AND type = 'post_call_transcription'
        ORDER BY seq DESC LIMIT 1) AS last_summary
    FROM events
    WHERE caller_number = ?1 AND type = 'post_call_transcription'`)
    .get(callerNumber) as {
      calls: number;
      last_at: number | null;
      last_summary: string | null;
    };

  return {
    previousCallCount: row.calls,
    lastCallAtMs: row.last_at ?? undefined,
    lastCallSummary: row.last_summary ?? undefined,
  };
}

function toSummary(row: EventRow): EventSummary {
  const deliveryCounts: Record<string, number> = {};
  for (const state of row.delivery_states?.split(",") ?? []) {
    deliveryCounts[state] = (deliveryCounts[state] ?? 0) + 1;
  }
  return {
    id: row.id,
    type: row.type,
    conversation_id: row.conversation_id,
    agent_id: row.agent_id,
    caller: row.caller_number ? maskPhoneNumber(row.caller_number) : null,
    call_sid: row.call_sid,
    outcome: row.outcome,
    received_at: isoTime(row.received_at),
    event_timestamp: row.event_timestamp,
    delivery_counts: deliveryCounts,
  };
}

/** Formats Unix milliseconds as ISO 8601. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function encodeCursor(seq: number): string {
  return btoa(`e${seq}`).replace(/=+$/, "");
}

function decodeCursor(cursor: string): number {
  try {
    const decoded = atob(cursor);
    const seq = Number(decoded.slice(1));
    if (decoded[0] === "e" && Number.isSafeInteger(seq) && seq > 0) return seq;
  } catch {
    // Falls through to the error below: the cursor is not base64.
  }
  throw new InvalidCursorError();
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
