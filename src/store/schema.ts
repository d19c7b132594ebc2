/**
 * Schema migrations, applied in order. `PRAGMA user_version` stores how many
 * have run. Append new migrations; never edit one that has shipped.
 *
 * Times are Unix milliseconds unless a column name says otherwise.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    conversation_id TEXT,
    agent_id TEXT,
    caller_number TEXT,
    call_sid TEXT,
    event_timestamp INTEGER,
    received_at INTEGER NOT NULL,
    summary TEXT,
    outcome TEXT,
    body TEXT NOT NULL,
    init_response TEXT
  );
  CREATE INDEX events_type ON events (type, seq);
  CREATE INDEX events_conversation ON events (conversation_id);
  CREATE INDEX events_agent ON events (agent_id, seq);
  CREATE INDEX events_caller ON events (caller_number, type, seq);
  CREATE INDEX events_received ON events (received_at);

  -- state: pending -> in_flight -> succeeded | pending (retry) | dead.
  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    destination TEXT NOT NULL,
    state TEXT NOT NULL
      CHECK (state IN ('pending', 'in_flight', 'succeeded', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_expires_at INTEGER,
    last_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX deliveries_due ON deliveries (state, destination, next_attempt_at);
  CREATE INDEX deliveries_event ON deliveries (event_id);
  CREATE INDEX deliveries_state ON deliveries (state, destination, created_at);

  CREATE TABLE outbound_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    response_excerpt TEXT
  );
  CREATE INDEX outbound_attempts_delivery ON outbound_attempts (delivery_id);
  `,
  // Retention and audio. `redacted_at` records when the redaction job went
  // over an event, blanking its conversation content where the type has
  // any. The partial index lets the hourly job find the events still to
  // redact without reading those already done.
  // `event_audio` keeps the decoded MP3 of a large `post_call_audio` event.
  // `events.body` then contains `full_audio` as "", and `base64_offset` is
  // where, in UTF-16 code units, the base64 text goes back to rebuild the
  // original.
  `
  ALTER TABLE events ADD COLUMN redacted_at INTEGER;
  CREATE INDEX events_unredacted ON events (received_at)
    WHERE redacted_at IS NULL;

  CREATE TABLE event_audio (
    event_id TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    mp3 BLOB NOT NULL,
    base64_offset INTEGER NOT NULL
  );
  `,
  // Replays of dead deliveries. A replay keeps the delivery id and resets
  // `attempts`, so attempt numbers start again at 1. `deliveries.replays`
  // counts the replays, and `outbound_attempts.replay` stores the count at
  // the time of the attempt (0 before any replay), which keeps the attempts
  // of each run apart in the audit trail.
  `
  ALTER TABLE deliveries ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbound_attempts ADD COLUMN replay INTEGER NOT NULL DEFAULT 0;
  `,
  // The queue page's recent attempts of one destination start from that
  // destination's most recently updated deliveries.
  `
  CREATE INDEX deliveries_destination_updated
    ON deliveries (destination, updated_at);
  `,
];
