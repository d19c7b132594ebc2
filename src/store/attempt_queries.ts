import type { DatabaseSync } from "node:sqlite";

/** One row of `outbound_attempts` with the delivery and event it belongs to. */
export interface RecentAttempt {
  delivery_id: string;
  event_id: string;
  event_type: string;
  destination: string;
  /** 1 for the first attempt of the delivery. */
  attempt: number;
  /** Unix milliseconds. */
  started_at: number;
  duration_ms: number;
  /** HTTP status, or null when no response came (timeout, network error). */
  status: number | null;
  error: string | null;
  /** The first bytes of the destination's response body. */
  response_excerpt: string | null;
}

/**
 * Lists the newest outbound attempts, optionally of one destination, newest
 * first. It walks `outbound_attempts` backwards by primary key, so the cost
 * stays small however large the audit trail grows.
 */
export function listRecentAttempts(
  database: DatabaseSync,
  limit: number,
  destination?: string,
): RecentAttempt[] {
  return database.prepare(`
    SELECT a.delivery_id, d.event_id, e.type AS event_type, d.destination,
      a.attempt, a.started_at, a.duration_ms, a.status, a.error,
      a.response_excerpt
    FROM outbound_attempts a
      JOIN deliveries d ON d.id = a.delivery_id
      JOIN events e ON e.id = d.event_id
    WHERE ?1 IS NULL OR d.destination = ?1
    ORDER BY a.id DESC LIMIT ?2`)
    .all(destination ?? null, limit) as unknown as RecentAttempt[];
}
