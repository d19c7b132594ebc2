import type { DatabaseSync } from "node:sqlite";
import { SQLITE_BUSY, sqliteErrorCode, transaction } from "./database.ts";
import { redactBody, redactInitResponse } from "./redaction.ts";

const DAY_MS = 24 * 3_600_000;

/** How long stored events live. */
export interface RetentionSettings {
  /**
   * Events received more than this many days ago are purged with their
   * deliveries, attempts and audio; 0 keeps everything.
   */
  retentionDays: number;
  /** Conversation content older than this many days is blanked; 0 never. */
  redactAfterDays: number;
}

/** Options of {@link runRetention}. */
export interface RetentionOptions extends RetentionSettings {
  /** Unix milliseconds; injected so tests control time. */
  now: () => number;
  /** Events purged per transaction; 500 unless set. */
  purgeBatchSize?: number;
  /** Events redacted per transaction; 50 unless set, as bodies can be large. */
  redactBatchSize?: number;
  /** How long one batch retries while another process holds the write lock. */
  lockWaitMs?: number;
  /** Stops the run between two batches; the report covers what was done. */
  signal?: AbortSignal;
}

/** Counts of what one retention run removed and changed. */
export interface RetentionReport {
  /** Events purged. */
  events: number;
  /** Deliveries purged with those events; all had succeeded. */
  deliveries: number;
  /** Delivery attempts purged with those deliveries. */
  attempts: number;
  /** Separately stored MP3 recordings purged with those events. */
  audio: number;
  /** Events whose conversation content was blanked. */
  redacted: number;
  /**
   * Events past the retention period that stay because a delivery of theirs
   * is still pending, in flight or dead.
   */
  keptEvents: number;
  /** Wall time of the run, in milliseconds. */
  durationMs: number;
}

/**
 * Purges expired events, then redacts the conversation content of the
 * remaining old ones. The work runs in small transactions with a pause for
 * the event loop between them, so a webhook waits behind one batch at most.
 *
 * An event is purged only when none of its deliveries is `pending`,
 * `in_flight` or `dead`: dead deliveries stay until a replay sends them,
 * so their event stays too. Redaction skips events with a delivery still
 * pending or in flight, so destinations receive the content as received.
 */
export async function runRetention(
  database: DatabaseSync,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const started = performance.now();
  const report: RetentionReport = {
    events: 0,
    deliveries: 0,
    attempts: 0,
    audio: 0,
    redacted: 0,
    keptEvents: 0,
    durationMs: 0,
  };
  const now = options.now();

  if (options.retentionDays > 0) {
    const cutoff = now - options.retentionDays * DAY_MS;
    await purgeBefore(database, cutoff, report, options);
    report.keptEvents = countEventsBefore(database, cutoff);
  }
  if (options.redactAfterDays > 0) {
    const cutoff = now - options.redactAfterDays * DAY_MS;
    await redactBefore(database, cutoff, now, report, options);
  }

  report.durationMs = performance.now() - started;
  return report;
}

const LIVE_OR_DEAD = "('pending', 'in_flight', 'dead')";

async function purgeBefore(
  database: DatabaseSync,
  cutoff: number,
  report: RetentionReport,
  options: RetentionOptions,
): Promise<void> {
  const batchSize = options.purgeBatchSize ?? 500;
  const select = database.prepare(`
    SELECT id FROM events e
    WHERE received_at < ?
      AND NOT EXISTS (SELECT 1 FROM deliveries d
        WHERE d.event_id = e.id AND d.state IN ${LIVE_OR_DEAD})
    ORDER BY received_at LIMIT ?`);
  const inBatch = "IN (SELECT value FROM json_each(?))";
  const deletes = {
    attempts: database.prepare(`DELETE FROM outbound_attempts
      WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id ${inBatch})`),
    deliveries: database.prepare(
      `DELETE FROM deliveries WHERE event_id ${inBatch}`,
    ),
    audio: database.prepare(
      `DELETE FROM event_audio WHERE event_id ${inBatch}`,
    ),
    events: database.prepare(`DELETE FROM events WHERE id ${inBatch}`),
  };

  for (;;) {
    if (options.signal?.aborted) return;
    const purged = await withLockRetry(
      options,
      () =>
        transaction(database, () => {
          const ids = select.all(cutoff, batchSize).map((row) => row.id);
          if (ids.length === 0) return 0;
          const batch = JSON.stringify(ids);
          report.attempts += Number(deletes.attempts.run(batch).changes);
          report.deliveries += Number(deletes.deliveries.run(batch).changes);
          report.audio += Number(deletes.audio.run(batch).changes);
          report.events += Number(deletes.events.run(batch).changes);
          return ids.length;
        }),
    );
    if (purged < batchSize) return;
    await pauseForEventLoop();
  }
}

interface RedactionRow {
  id: string;
  type: string;
  body: string;
  init_response: string | null;
}

async function redactBefore(
  database: DatabaseSync,
  cutoff: number,
  now: number,
  report: RetentionReport,
  options: RetentionOptions,
): Promise<void> {
  const batchSize = options.redactBatchSize ?? 50;
  // `redacted_at IS NULL` matches the partial index `events_unredacted`.
  const select = database.prepare(`
    SELECT id, type, body, init_response FROM events e
    WHERE redacted_at IS NULL AND received_at < ?
      AND NOT EXISTS (SELECT 1 FROM deliveries d
        WHERE d.event_id = e.id AND d.state IN ('pending', 'in_flight'))
    ORDER BY received_at LIMIT ?`);
  const update = database.prepare(`
    UPDATE events
    SET body = coalesce(?, body), init_response = coalesce(?, init_response),
      summary = CASE WHEN type = 'post_call_transcription' THEN NULL
        ELSE summary END,
      redacted_at = ?
    WHERE id = ?`);
  const deleteAudio = database.prepare(
    "DELETE FROM event_audio WHERE event_id = ?",
  );

  for (;;) {
    if (options.signal?.aborted) return;
    const processed = await withLockRetry(
      options,
      () =>
        transaction(database, () => {
          const rows = select.all(
            cutoff,
            batchSize,
          ) as unknown as RedactionRow[];
          for (const row of rows) {
            const body = redactBody(row.type, row.body);
            const initResponse = row.init_response === null
              ? undefined
              : redactInitResponse(row.init_response);
            update.run(body ?? null, initResponse ?? null, now, row.id);
            const audio = Number(deleteAudio.run(row.id).changes);
            if (body !== undefined || initResponse !== undefined || audio) {
              report.redacted += 1;
            }
          }
          return rows.length;
        }),
    );
    if (processed < batchSize) return;
    await pauseForEventLoop();
  }
}

function countEventsBefore(database: DatabaseSync, cutoff: number): number {
  const row = database.prepare(
    "SELECT count(*) AS count FROM events WHERE received_at < ?",
  ).get(cutoff) as { count: number };
  return Number(row.count);
}

const LOCK_RETRY_MS = 25;

/**
 * Runs one batch, retrying while another process (the server, when the
 * purge runs by hand) holds the write lock.
 */
async function withLockRetry<T>(
  options: RetentionOptions,
  work: () => T,
): Promise<T> {
  const deadline = performance.now() + (options.lockWaitMs ?? 5_000);
  for (;;) {
    try {
      return work();
    } catch (error) {
      const busy = sqliteErrorCode(error) === SQLITE_BUSY;
      if (!busy || performance.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }
}

function pauseForEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
