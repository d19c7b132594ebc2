import { ConfigError, parseConfig } from "../config.ts";
import { openDatabase } from "../store/database.ts";
import { type RetentionReport, runRetention } from "../store/retention.ts";

/**
 * `purge`: runs the retention job once by hand, with `RETENTION_DAYS` and
 * `REDACT_AFTER_DAYS`, and prints what it removed. Safe while the server
 * runs: batches wait for the server's write lock. Returns the exit code.
 */
export async function purgeCommand(
  environment: Record<string, string>,
): Promise<number> {
  let config;
  try {
    config = parseConfig(environment);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (config.retentionDays === 0 && config.redactAfterDays === 0) {
    console.log(
      "purge: nothing to do, because RETENTION_DAYS is 0 (keep all) and REDACT_AFTER_DAYS is 0 (never redact)",
    );
    return 0;
  }
  try {
    await Deno.stat(config.dbPath);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.error(
      `purge: DB_PATH ${JSON.stringify(config.dbPath)} does not exist`,
    );
    return 1;
  }

  const database = openDatabase(config.dbPath);
  try {
    const report = await runRetention(database, {
      now: Date.now,
      retentionDays: config.retentionDays,
      redactAfterDays: config.redactAfterDays,
    });
    console.log(describeReport(report, config).join("\n"));
    return 0;
  } finally {
    database.close();
  }
}

function describeReport(
  report: RetentionReport,
  config: { retentionDays: number; redactAfterDays: number },
): string[] {
  const lines: string[] = [];
  if (config.retentionDays > 0) {
    const age = `older than ${config.retentionDays} days`;
    lines.push(
      `purged ${count(report.events, "event")} ${age}, with ${
        count(report.deliveries, "delivery", "deliveries")
      }, ${count(report.attempts, "attempt")} and ${
        count(report.audio, "audio recording")
      }`,
      `kept ${
        count(report.keptEvents, "event")
      } ${age}, because a delivery of theirs is pending, in flight or dead`,
    );
  }
  if (config.redactAfterDays > 0) {
    lines.push(
      `redacted ${
        count(report.redacted, "event")
      } older than ${config.redactAfterDays} days`,
    );
  }
  lines.push(`took ${Math.round(report.durationMs)} ms`);
  return lines;
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
