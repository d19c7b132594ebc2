import type { DatabaseSync, StatementSync } from "node:sqlite";
import { newId } from "../ids.ts";
import { restoreAudio } from "./audio.ts";
import { transaction } from "./database.ts";

/**
 * State of a delivery, stored in `deliveries.state` and used as is in JSON
 * and metric labels.
 *
 * - `pending`: waiting until `next_attempt_at`. Enqueueing, retries, expired
 *   leases and replays put a delivery here.
 * - `in_flight`: claimed by the worker with a lease until
 *   `lease_expires_at`. The worker moves it on when the attempt ends; the
 *   sweeper returns it to `pending` when the lease expires first.
 * - `succeeded`: the destination responded with 2xx. Final.
 * - `dead`: the last attempt failed or the destination responded with a permanent
 *   error. Only a replay moves it back to `pending`.
 */
export type DeliveryState = "pending" | "in_flight" | "succeeded" | "dead";

/** Every delivery state, in lifecycle order. */
export const DELIVERY_STATES: readonly DeliveryState[] = [
  "pending",
  "in_flight",
  "succeeded",
  "dead",
];

/** A delivery the worker claimed, with the event it carries. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  destination: string;
  /** Attempts made before this one. */
  attempts: number;
  eventType: string;
  /** The event body exactly as received. */
  body: string;
  /**
   * The lease of this claim, Unix ms. Writing the outcome requires it to be
   * unchanged, so a late outcome cannot touch a later claim of the delivery.
   */
  leaseExpiresAt: number;
}

/** A claimed delivery to hand back, identified by its claim. */
export interface ClaimReference {
  deliveryId: string;
  leaseExpiresAt: number;
}

/** Outcome of one attempt, as written to `outbound_attempts`. */
export interface AttemptRecord {
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
  startedAt: number;
  durationMs: number;
  status?: number;
  error?: string;
  responseExcerpt?: string;
}

/** The state change an attempt causes, applied with its record. */
export type AttemptResolution =
  | { state: "succeeded" }
  | { state: "pending"; nextAttemptAt: number }
  | { state: "dead" };

/** Queue counts of one destination and state. */
export interface QueueCount {
  destination: string;
  state: DeliveryState;
  count: number;
  /** Creation time of the oldest delivery in this group, Unix ms. */
  oldestCreatedAt: number;
}

/** A dead delivery as the queue dashboard lists it. */
export interface DeadDelivery {
  id: string;
  event_id: string;
  event_type: string;
  destination: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  updated_at: number;
}

/**
 * SQL behind the delivery queue. All writes are short transactions on the
 * caller's connection; none of them waits on the network.
 */
export class DeliveryQueue {
  readonly #claim: StatementSync;
  readonly #loadEvent: StatementSync;
  readonly #insertAttempt: StatementSync;
  readonly #resolve: StatementSync;
  readonly #release: StatementSync;
  readonly #sweep: StatementSync;
  readonly #nextDue: StatementSync;

  constructor(private readonly database: DatabaseSync) {
    this.#claim = database.prepare(`
      UPDATE deliveries
      SET state = 'in_flight', lease_expires_at = ?1, updated_at = ?2
      WHERE id IN (
        SELECT id FROM deliveries
        WHERE state = 'pending' AND destination = ?3 AND next_attempt_at <= ?2
        ORDER BY next_attempt_at
        LIMIT ?4)
      RETURNING id, event_id, destination, attempts`);
    this.#loadEvent = database.prepare(`
      SELECT e.type, e.body, a.mp3, a.base64_offset
      FROM events e LEFT JOIN event_audio a ON a.event_id = e.id
      WHERE e.id = ?`);
    // The attempt takes its replay number from the delivery row. Only a
    // replay of a dead delivery changes it, so it cannot change while the
    // attempt runs, unless the lease expired and a second attempt ended
    // the delivery meanwhile.
    this.#insertAttempt = database.prepare(`
      INSERT INTO outbound_attempts (delivery_id, attempt, replay, started_at,
        duration_ms, status, error, response_excerpt)
      VALUES (?1, ?2,
        coalesce((SELECT replays FROM deliveries WHERE id = ?1), 0),
        ?3, ?4, ?5, ?6, ?7)`);
    this.#resolve = database.prepare(`
      UPDATE deliveries
      SET state = ?, attempts = ?, next_attempt_at = coalesce(?, next_attempt_at),
        lease_expires_at = NULL, last_status = ?, last_error = ?, updated_at = ?
      WHERE id = ? AND state = 'in_flight' AND lease_expires_at = ?`);
    this.#release = database.prepare(`
      UPDATE deliveries
      SET state = 'pending', lease_expires_at = NULL, updated_at = ?
      WHERE id = ? AND state = 'in_flight' AND lease_expires_at = ?`);
    this.#sweep = database.prepare(`
      UPDATE deliveries
      SET state = 'pending', lease_expires_at = NULL, updated_at = ?1
      WHERE state = 'in_flight' AND lease_expires_at <= ?1`);
    this.#nextDue = database.prepare(`
      SELECT min(next_attempt_at) AS due FROM deliveries
      WHERE state = 'pending' AND destination = ?`);
  }

  /**
   * Claims up to `limit` due deliveries of one destination with a single
   * `UPDATE … RETURNING`, leasing them until `leaseExpiresAt`.
   */
  claim(
    destination: string,
    limit: number,
    now: number,
    leaseExpiresAt: number,
  ): ClaimedDelivery[] {
    if (limit <= 0) return [];
    const rows = this.#claim.all(leaseExpiresAt, now, destination, limit) as {
      id: string;
      event_id: string;
      destination: string;
      attempts: number;
    }[];

    return rows.map((row) => {
      const event = this.#loadEvent.get(row.event_id) as {
        type: string;
        body: string;
        mp3: Uint8Array | null;
        base64_offset: number | null;
      };
      return {
        id: row.id,
        eventId: row.event_id,
        destination: row.destination,
        attempts: row.attempts,
        eventType: event.type,
        body: event.mp3 === null
          ? event.body
          : restoreAudio(event.body, event.mp3, Number(event.base64_offset)),
        leaseExpiresAt,
      };
    });
  }

  /**
   * Writes attempt records and the state changes they cause, all in one
   * transaction. Every attempt is recorded, but the state changes only while
   * the claim still holds: after its lease expired, the sweeper or a later
   * claim owns the delivery.
   */
  resolve(
    entries: {
      record: AttemptRecord;
      resolution: AttemptResolution;
      claim: ClaimReference;
    }[],
    now: number,
  ): void {
    if (entries.length === 0) return;
    transaction(this.database, () => {
      for (const { record, resolution, claim } of entries) {
        this.#insertAttempt.run(
          record.deliveryId,
          record.attempt,
          record.startedAt,
          Math.round(record.durationMs),
          record.status ?? null,
          record.error ?? null,
          record.responseExcerpt ?? null,
        );
        this.#resolve.run(
          resolution.state,
          record.attempt,
          resolution.state === "pending" ? resolution.nextAttemptAt : null,
          record.status ?? null,
          record.error ?? null,
          now,
          claim.deliveryId,
          claim.leaseExpiresAt,
        );
      }
    });
  }

  /**
   * Returns claimed deliveries to `pending` without spending an attempt,
   * where the claim still holds.
   */
  release(claims: ClaimReference[], now: number): void {
    if (claims.length === 0) return;
    transaction(this.database, () => {
      for (const claim of claims) {
        this.#release.run(now, claim.deliveryId, claim.leaseExpiresAt);
      }
    });
  }

  /** Returns deliveries whose lease expired to `pending`; counts them. */
  sweepExpiredLeases(now: number): number {
    return Number(this.#sweep.run(now).changes);
  }

  /** Returns the earliest `next_attempt_at` of a destination's pending deliveries. */
  nextDueAt(destination: string): number | undefined {
    const row = this.#nextDue.get(destination) as { due: number | null };
    return row.due ?? undefined;
  }

  /**
   * Marks dead the pending deliveries of destinations that are no longer
   * configured, so they show in the dead-letter queue instead of waiting
   * forever. A replay after the destination is configured again sends them.
   */
  buryUnknownDestinations(known: string[], now: number): number {
    const placeholders = known.map(() => "?").join(", ");
    const result = this.database.prepare(`
      UPDATE deliveries
      SET state = 'dead', last_error = 'destination is not configured',
        lease_expires_at = NULL, updated_at = ?
      WHERE state IN ('pending', 'in_flight')
        ${known.length ? `AND destination NOT IN (${placeholders})` : ""}`)
      .run(now, ...known);
    return Number(result.changes);
  }

  /**
   * Moves dead deliveries of the given destinations back to `pending`, due
   * now, with attempts reset and `replays` counted up. They keep their ids,
   * so destinations see the same `webhook-id`. `ids` narrows the replay to
   * those deliveries. A delivery is skipped when its event already has a
   * live delivery to that destination, so a replay never adds a second one.
   */
  replayDead(
    filter: { ids?: string[]; destinations: string[] },
    now: number,
  ): number {
    const list = (values: string[]) =>
      values.map(() => "?").join(", ") || "NULL";
    const conditions = [
      "state = 'dead'",
      `destination IN (${list(filter.destinations)})`,
      // One live delivery per event and destination: skip a dead delivery
      // when a newer one is live, or when a newer one is dead too (the
      // newer one is replayed instead).
      `NOT EXISTS (SELECT 1 FROM deliveries other
        WHERE other.event_id = deliveries.event_id
          AND other.destination = deliveries.destination
          AND (other.state IN ('pending', 'in_flight')
            OR (other.state = 'dead' AND other.created_at > deliveries.created_at)))`,
    ];
    const values: (string | number)[] = [now, now, ...filter.destinations];
    if (filter.ids) {
      conditions.push(`id IN (${list(filter.ids)})`);
      values.push(...filter.ids);
    }

    const result = this.database.prepare(`
      UPDATE deliveries
      SET state = 'pending', attempts = 0, replays = replays + 1,
        next_attempt_at = ?, lease_expires_at = NULL, updated_at = ?
      WHERE ${conditions.join(" AND ")}`).run(...values);
    return Number(result.changes);
  }

  /**
   * Creates new deliveries of an event, one per destination, skipping any
   * destination that still has a pending or in-flight delivery of it.
   * Returns the new delivery ids.
   */
  replayEvent(eventId: string, destinations: string[], now: number): string[] {
    return transaction(this.database, () => {
      const live = new Set(
        this.database.prepare(`
          SELECT destination FROM deliveries
          WHERE event_id = ? AND state IN ('pending', 'in_flight')`)
          .all(eventId).map((row) => String(row.destination)),
      );
      const insert = this.database.prepare(`
        INSERT INTO deliveries (id, event_id, destination, state, attempts,
          next_attempt_at, created_at, updated_at)
        VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`);

      const created: string[] = [];
      for (const destination of destinations) {
        if (live.has(destination)) continue;
        const id = newId("msg", now);
        insert.run(id, eventId, destination, now, now, now);
        created.push(id);
      }
      return created;
    });
  }

  /**
   * Counts deliveries by destination and state. Succeeded deliveries are
   * left out on purpose: they grow without bound until retention purges
   * them, while the other states stay small, so this reads only a short
   * range of the `(state, destination, created_at)` index.
   */
  countOpen(): QueueCount[] {
    return this.database.prepare(`
      SELECT destination, state, count(*) AS count,
        min(created_at) AS oldest_created_at
      FROM deliveries
      WHERE state IN ('pending', 'in_flight', 'dead')
      GROUP BY state, destination`).all().map((row) => ({
      destination: String(row.destination),
      state: row.state as DeliveryState,
      count: Number(row.count),
      oldestCreatedAt: Number(row.oldest_created_at),
    }));
  }

  /** Lists the newest dead deliveries, optionally of one destination. */
  listDead(limit: number, destination?: string): DeadDelivery[] {
    return this.database.prepare(`
      SELECT d.id, d.event_id, e.type AS event_type, d.destination,
        d.attempts, d.last_status, d.last_error, d.updated_at
      FROM deliveries d JOIN events e ON e.id = d.event_id
      WHERE d.state = 'dead' AND (?1 IS NULL OR d.destination = ?1)
      ORDER BY d.updated_at DESC LIMIT ?2`)
      .all(destination ?? null, limit) as unknown as DeadDelivery[];
  }
}
