import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { EventFields } from "../elevenlabs/events.ts";
import { newId } from "../ids.ts";
import { SQLITE_BUSY, SQLITE_FULL, sqliteErrorCode } from "./database.ts";

/** An event to store, with the destinations that are owed a delivery. */
export interface NewEvent {
  fields: EventFields;
  /** Events with the same key are the same event; a repeat is reported as a duplicate. */
  dedupKey: string;
  /**
   * The request body exactly as received, or with `data.full_audio` emptied
   * when `audio` carries the MP3.
   */
  body: string;
  /** The MP3 taken out of a large audio body; see `separateAudio`. */
  audio?: { mp3: Uint8Array; base64Offset: number };
  /** For initiation requests, the response body returned again for the same call. */
  initResponse?: string;
  destinations: readonly string[];
}

/** Result of storing one event. */
export interface WriteResult {
  eventId: string;
  duplicate: boolean;
  deliveryIds: string[];
  /** The stored initiation response body, for an initiation request. */
  initResponse?: string;
}

/** The store cannot take writes now (disk full, lock held too long). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

export interface EventWriterOptions {
  now: () => number;
  /** How long a batch keeps retrying while another process holds the lock. */
  lockWaitMs?: number;
  /** Called after each commit, so the delivery worker can wake. */
  onCommit?: (committed: { events: number; deliveries: number }) => void;
}

interface PendingWrite {
  event: NewEvent;
  resolve: (result: WriteResult) => void;
  reject: (error: Error) => void;
}

const MAX_BATCH = 256;
const LOCK_RETRY_MS = 25;

/**
 * Stores events and their deliveries with group commit: writes that arrive
 * while a batch is forming share one transaction, so one disk sync covers
 * many requests. Each promise settles only after its transaction committed
 * (or failed), so a caller can respond 200 knowing the event is on disk.
 */
export class EventWriter {
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();
  readonly #insertEvent: StatementSync;
  readonly #findEvent: StatementSync;
  readonly #insertDelivery: StatementSync;
  readonly #insertAudio: StatementSync;

  constructor(
    private readonly database: DatabaseSync,
    private readonly options: EventWriterOptions,
  ) {
    this.#insertEvent = database.prepare(`
      INSERT INTO events (id, type, dedup_key, conversation_id, agent_id,
        caller_number, call_sid, event_timestamp, received_at, summary, outcome,
        body, init_response)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (dedup_key) DO NOTHING
      RETURNING id`);
    this.#findEvent = database.prepare(
      "SELECT id, init_response FROM events WHERE dedup_key = ?",
    );
    this.#insertDelivery = database.prepare(`
      INSERT INTO deliveries (id, event_id, destination, state, attempts,
        next_attempt_at, created_at, updated_at)
      VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`);
    this.#insertAudio = database.prepare(
      "INSERT INTO event_audio (event_id, mp3, base64_offset) VALUES (?, ?, ?)",
    );
  }

  /** Queues an event for the next commit; settles after that commit. */
  write(event: NewEvent): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setTimeout(() => this.#startFlush(), 0);
      }
    });
  }

  /** Settles once every write queued so far has committed or failed. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#scheduled) {
      await this.#flushing;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await this.#flushing;
  }

  #startFlush(): void {
    this.#flushing = this.#flushing.then(() => this.#flushAll());
  }

  async #flushAll(): Promise<void> {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      await this.#commitWithLockRetry(batch);
    }
  }

  async #commitWithLockRetry(batch: PendingWrite[]): Promise<void> {
    const deadline = performance.now() + (this.options.lockWaitMs ?? 5_000);
    for (;;) {
      try {
        const results = this.#commit(batch.map((pending) => pending.event));
        batch.forEach((pending, i) => pending.resolve(results[i]));
        return;
      } catch (error) {
        const code = sqliteErrorCode(error);
        if (code === SQLITE_BUSY && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
          continue;
        }
        const failure = toWriteError(error, code);
        for (const pending of batch) pending.reject(failure);
        return;
      }
    }
  }

  #commit(events: NewEvent[]): WriteResult[] {
    const now = this.options.now();
    let deliveries = 0;
    let stored = 0;

    let results: WriteResult[];
    this.database.exec("BEGIN IMMEDIATE");
    try {
      results = events.map((event) => {
        const result = this.#insertOne(event, now);
        if (!result.duplicate) stored += 1;
        deliveries += result.deliveryIds.length;
        return result;
      });
      this.database.exec("COMMIT");
    } catch (error) {
      if (this.database.isTransaction) this.database.exec("ROLLBACK");
      throw error;
    }

    // After the commit the events are stored whatever the callback does, so
    // its errors must not turn their 200 responses into 500s.
    try {
      this.options.onCommit?.({ events: stored, deliveries });
    } catch {
      // NOTE: the callback only wakes the worker and counts metrics. A
      // worker that missed this wake-up finds the deliveries on its next
      // sweep, within 5 s.
    }
    return results;
  }

  #insertOne(event: NewEvent, now: number): WriteResult {
    const fields = event.fields;
    const inserted = this.#insertEvent.get(
      newId("evt", now),
      fields.type,
      event.dedupKey,
      fields.conversationId ?? null,
      fields.agentId ?? null,
      fields.callerNumber ?? null,
      fields.callSid ?? null,
      fields.eventTimestampSeconds ?? null,
      now,
      fields.summary ?? null,
      fields.outcome ?? null,
      event.body,
      event.initResponse ?? null,
    ) as { id: string } | undefined;

    if (!inserted) {
      const existing = this.#findEvent.get(event.dedupKey) as {
        id: string;
        init_response: string | null;
      };
      return {
        eventId: existing.id,
        duplicate: true,
        deliveryIds: [],
        initResponse: existing.init_response ?? undefined,
      };
    }

    if (event.audio) {
      this.#insertAudio.run(
        inserted.id,
        event.audio.mp3,
        event.audio.base64Offset,
      );
    }
    const deliveryIds = event.destinations.map((destination) => {
      const deliveryId = newId("msg", now);
      this.#insertDelivery.run(
        deliveryId,
        inserted.id,
        destination,
        now,
        now,
        now,
      );
      return deliveryId;
    });
    return {
      eventId: inserted.id,
      duplicate: false,
      deliveryIds,
      initResponse: event.initResponse,
    };
  }
}

function toWriteError(error: unknown, code: number | undefined): Error {
  if (code === SQLITE_FULL) {
    return new StoreUnavailableError("database disk is full", { cause: error });
  }
  if (code === SQLITE_BUSY) {
    return new StoreUnavailableError(
      "database is locked by another process",
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
