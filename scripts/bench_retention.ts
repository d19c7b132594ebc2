/**
 * Measures the retention job and the backup on a database filled with old
 * events: how long each takes, and the longest time the event loop was
 * blocked, which is how long a webhook could wait behind them.
 *
 * Usage: deno run -A scripts/bench_retention.ts [events]
 *
 * The default is 20000 old events, each with one succeeded delivery and one
 * attempt. Every body is the transcription fixture, about 5 KB.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { backupDatabase } from "../src/store/backup.ts";
import { openDatabase, transaction } from "../src/store/database.ts";
import { type RetentionOptions, runRetention } from "../src/store/retention.ts";
import { formatTable } from "./text_table.ts";

const DAY_MS = 24 * 3_600_000;
const FIXTURE = new URL(
  "../tests/fixtures/elevenlabs/post_call_transcription.json",
  import.meta.url,
);

/** Inserts `count` events received `ageDays` ago, delivered once each. */
function fillOldEvents(
  database: DatabaseSync,
  count: number,
  ageDays: number,
): void {
  const template = Deno.readTextFileSync(FIXTURE);
  const receivedAt = Date.now() - ageDays * DAY_MS;
  const insertEvent = database.prepare(`
    INSERT INTO events (id, type, dedup_key, conversation_id, received_at,
      summary, body)
    VALUES (?, 'post_call_transcription', ?, ?, ?, 'summary', ?)`);
  const insertDelivery = database.prepare(`
    INSERT INTO deliveries (id, event_id, destination, state, attempts,
      next_attempt_at, created_at, updated_at)
    VALUES (?, ?, 'crm', 'succeeded', 1, ?, ?, ?)`);
  const insertAttempt = database.prepare(`
    INSERT INTO outbound_attempts (delivery_id, attempt, started_at,
      duration_ms, status)
    VALUES (?, 1, ?, 40, 200)`);

  for (let start = 0; start < count; start += 1000) {
    transaction(database, () => {
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const conversationId = `conv_bench_${i}`;
        const body = template.replace(
          "conv_2101kbxr3example0000000001",
          conversationId,
        );
        insertEvent.run(
          `evt_${i}`,
          `post_call_transcription:${conversationId}`,
          conversationId,
          receivedAt,
          body,
        );
        insertDelivery.run(
          `msg_${i}`,
          `evt_${i}`,
          receivedAt,
          receivedAt,
          receivedAt,
        );
        insertAttempt.run(`msg_${i}`, receivedAt);
      }
    });
  }
}

/**
 * Runs `work` while a 1 ms interval timer ticks, and returns the longest gap
 * between two ticks: the longest stretch the event loop was blocked.
 */
async function measureStall<T>(
  work: () => Promise<T>,
): Promise<{ result: T; durationMs: number; longestStallMs: number }> {
  let last = performance.now();
  let longestStallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestStallMs = Math.max(longestStallMs, now - last);
    last = now;
  }, 1);

  const started = performance.now();
  const result = await work();
  const durationMs = performance.now() - started;
  clearInterval(ticker);
  longestStallMs = Math.max(longestStallMs, performance.now() - last);
  return { result, durationMs, longestStallMs };
}

async function benchRetention(
  folder: string,
  events: number,
  name: string,
  settings: Omit<RetentionOptions, "now">,
): Promise<Record<string, string | number>> {
  const database = openDatabase(`${folder}/${name}.db`);
  fillOldEvents(database, events, 100);
  const { result, durationMs, longestStallMs } = await measureStall(() =>
    runRetention(database, { ...settings, now: Date.now })
  );
  database.close();

  return {
    job: name,
    events,
    changed: result.events + result.redacted,
    "total ms": Math.round(durationMs),
    "events/s": Math.round((events / durationMs) * 1000),
    "longest stall ms": longestStallMs.toFixed(1),
  };
}

async function benchBackup(
  folder: string,
  events: number,
): Promise<Record<string, string | number>> {
  const database = openDatabase(`${folder}/backup-source.db`);
  fillOldEvents(database, events, 1);
  database.close();

  const { result, durationMs } = await measureStall(() =>
    backupDatabase(`${folder}/backup-source.db`, `${folder}/backup-copy.db`)
  );
  return {
    job: "backup",
    events: result.events,
    "size MB": (result.bytes / 1e6).toFixed(1),
    "total ms": Math.round(durationMs),
    "MB/s": ((result.bytes / 1e6) / (durationMs / 1000)).toFixed(0),
  };
}

async function main(): Promise<void> {
  const events = Number(Deno.args[0] ?? 20_000);
  if (!Number.isInteger(events) || events < 1 || events > 1_000_000) {
    console.error("events: expected a whole number from 1 to 1000000");
    Deno.exit(2);
  }

  const folder = await Deno.makeTempDir({ prefix: "asknewton-bench-" });
  try {
    const jobs = [
      await benchRetention(folder, events, "purge", {
        retentionDays: 90,
        redactAfterDays: 0,
      }),
      await benchRetention(folder, events, "redact", {
        retentionDays: 0,
        redactAfterDays: 7,
      }),
    ];
    console.log(formatTable(jobs));
    console.log();
    console.log(formatTable([await benchBackup(folder, events)]));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

if (import.meta.main) await main();
