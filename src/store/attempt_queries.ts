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

const ATTEMPT_COLUMNS = `a.delivery_id, d.event_id, e.type AS event_type,
  d.destination, a.attempt, a.started_at, a.duration_ms, a.status, a.error,
  a.response_excerpt`;

/**
 * How many of a destination's most recently updated deliveries are searched
 * for its newest attempts, per attempt listed. Each attempt updates its
 * delivery, so the newest attempts belong to those deliveries; the spare
 * covers deliveries updated by a replay without an attempt since.
 */
const DELIVERIES_PER_ATTEMPT = 4;

/**
 * Lists the newest outbound attempts, optionally of one destination, newest
 * first. Without a destination it walks `outbound_attempts` backwards by
 * primary key. With one, it reads that destination's most recently updated
 * deliveries through an index and their attempts, so neither form scans the
 * whole audit trail.
 */
export function listRecentAttempts(
  database: DatabaseSync,
  limit: number,
  destination?: string,
): RecentAttempt[] {
  if (destination === undefined) {
    return database.prepare(`
      SELECT ${ATTEMPT_COLUMNS}
      FROM outbound_attempts a
        JOIN deliveries d ON d.id = a.delivery_id
        JOIN events e ON e.id = d.event_id
      ORDER BY a.id DESC LIMIT ?`)
      .all(limit) as unknown as RecentAttempt[];
  }

  return database.prepare(`
    WITH recent AS (
      SELECT id FROM deliveries WHERE destination = ?1
      ORDER BY updated_at DESC LIMIT ?3)
    SELECT ${ATTEMPT_COLUMNS}
    FROM recent
      JOIN outbound_attempts a ON a.delivery_id = recent.id
      JOIN deliveries d ON d.id = a.delivery_id
      JOIN events e ON e.id = d.event_id
    ORDER BY a.id DESC LIMIT ?2`)
    .all(
      destination,
      limit,
      limit * DELIVERIES_PER_ATTEMPT,
    ) as unknown as RecentAttempt[];
}
