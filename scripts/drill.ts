/**
 * Fault drills: kill -9 under load, a destination outage, a full disk, a
 * write lock held by another process, and hostile input at volume. Each
 * starts its own server, destination and database on 127.0.0.1, is bounded
 * in time, and prints what it checked. The exit code is 1 when a check
 * failed.
 *
 * Usage: `deno task drill [--json] [--only kill,outage,disk,lock,hostile]`
 *
 * The disk drill mounts a tmpfs, so it needs root.
 */
import { parseArgs } from "node:util";
import { runDiskFullDrill } from "./drills/disk_full_drill.ts";
import { runHostileInputDrill } from "./drills/hostile_input_drill.ts";
import { runKillDrill } from "./drills/kill_drill.ts";
import { runOutageDrill } from "./drills/outage_drill.ts";
import { runWriteLockDrill } from "./drills/write_lock_drill.ts";
import { toMebibytes } from "./product_process.ts";
import { formatTable } from "./text_table.ts";

/** Largest growth of resident memory accepted over the hostile requests. */
const HOSTILE_RSS_GROWTH_LIMIT_BYTES = 32 * 1024 * 1024;

/** One checked expectation of a drill. */
interface Check {
  drill: string;
  check: string;
  value: string | number;
  passed: boolean;
}

type Drill = () => Promise<{ report: unknown; checks: Check[] }>;

/** Returns a function that builds the checks of one drill. */
function checkOf(drill: string) {
  return (check: string, value: string | number, passed: boolean): Check => ({
    drill,
    check,
    value,
    passed,
  });
}

const DRILLS: Record<string, Drill> = {
  async kill() {
    const report = await runKillDrill({
      rounds: 3,
      killAfterResponses: 500,
      connections: 32,
    });
    const check = checkOf("kill -9 under load");
    return {
      report,
      checks: [
        check(
          "events acknowledged with 200",
          report.acknowledged,
          report.acknowledged > 0,
        ),
        check(
          "acknowledged events missing after kill",
          report.missingAfterKill,
          report.missingAfterKill === 0,
        ),
        check(
          "events without delivery rows",
          report.eventsWithoutDeliveries,
          report.eventsWithoutDeliveries === 0,
        ),
        check(
          "deliveries not succeeded",
          report.unfinishedDeliveries,
          report.unfinishedDeliveries === 0,
        ),
        check(
          "succeeded deliveries never received",
          report.neverArrived,
          report.neverArrived === 0,
        ),
        check(
          "webhook-ids received twice in one lifetime",
          report.repeatedWithinOneLifetime,
          report.repeatedWithinOneLifetime === 0,
        ),
        check(
          "webhook-ids received again after a crash",
          report.deliveredMoreThanOnce,
          true,
        ),
      ],
    };
  },

  async outage() {
    const report = await runOutageDrill({
      events: 30,
      opensWhileDown: 3,
      cooldownMs: 300,
    });
    const check = checkOf("destination outage");
    return {
      report,
      checks: [
        check("breaker opened", report.opens, report.opens >= 3),
        check(
          "attempts started while open",
          report.attemptsWhileOpen,
          report.attemptsWhileOpen === 0,
        ),
        check(
          "failed attempts",
          report.failedAttempts,
          report.failedAttempts > 0,
        ),
        check(
          "deliveries not succeeded",
          report.unfinishedDeliveries,
          report.unfinishedDeliveries === 0,
        ),
        check(
          "breaker at the end",
          report.finalBreakerState,
          report.finalBreakerState === "closed",
        ),
      ],
    };
  },

  async disk() {
    const report = await runDiskFullDrill({
      fullSizeKib: 2048,
      requestsWhileFull: 20,
      requestsAfterRecovery: 50,
    });
    const check = checkOf("disk full");
    return {
      report,
      checks: [
        check(
          "events stored before the disk filled",
          report.storedBeforeFull,
          report.storedBeforeFull > 0,
        ),
        check(
          "status once full",
          report.firstFailureStatus,
          report.firstFailureStatus === 503,
        ),
        check(
          "responses other than 503 while full",
          report.notUnavailableWhileFull,
          report.notUnavailableWhileFull === 0,
        ),
        check(
          "/healthz while full",
          report.healthWhileFull,
          report.healthWhileFull === 200,
        ),
        check(
          "acknowledged events missing",
          report.missingEvents,
          report.missingEvents === 0,
        ),
        check(
          "events without delivery rows",
          report.eventsWithoutDeliveries,
          report.eventsWithoutDeliveries === 0,
        ),
        check(
          "failures after space returned",
          report.failedAfterRecovery,
          report.failedAfterRecovery === 0,
        ),
        check(
          "deliveries not succeeded",
          report.unfinishedDeliveries,
          report.unfinishedDeliveries === 0,
        ),
      ],
    };
  },

  async lock() {
    const report = await runWriteLockDrill({
      holdMs: 2_000,
      requests: 200,
      connections: 16,
    });
    const check = checkOf("write lock held 2 s");
    return {
      report,
      checks: [
        check("responses 200", report.responses200, true),
        check("responses 503", report.responses503, true),
        check(
          "other responses",
          report.otherResponses,
          report.otherResponses === 0,
        ),
        check(
          "slowest response, ms",
          Math.round(report.maxLatencyMs),
          report.maxLatencyMs < 6_000,
        ),
        check(
          "acknowledged events missing",
          report.missingEvents,
          report.missingEvents === 0,
        ),
        check(
          "events without delivery rows",
          report.eventsWithoutDeliveries,
          report.eventsWithoutDeliveries === 0,
        ),
        check(
          "status after release",
          report.statusAfterRelease,
          report.statusAfterRelease === 200,
        ),
        check(
          "deliveries not succeeded",
          report.unfinishedDeliveries,
          report.unfinishedDeliveries === 0,
        ),
      ],
    };
  },

  async hostile() {
    const report = await runHostileInputDrill({
      requests: 1000,
      connections: 16,
    });
    const growth = report.rssAfterBytes - report.rssBeforeBytes;
    const check = checkOf("hostile input");
    return {
      report,
      checks: [
        check("requests", report.requests, report.requests >= 1000),
        check(
          "unexpected statuses",
          report.unexpectedStatuses,
          report.unexpectedStatuses === 0,
        ),
        check(
          "kinds without a JSON error",
          report.kindsWithoutJsonError.join(", ") || "none",
          report.kindsWithoutJsonError.length === 0,
        ),
        check(
          "/healthz after",
          report.healthStatus,
          report.healthStatus === 200,
        ),
        check(
          "RSS growth, MiB",
          toMebibytes(growth),
          growth < HOSTILE_RSS_GROWTH_LIMIT_BYTES,
        ),
        check("events stored", report.storedEvents, report.storedEvents === 0),
      ],
    };
  },
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      json: { type: "boolean", default: false },
      only: { type: "string", default: Object.keys(DRILLS).join(",") },
    },
  });
  const names = values.only.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !(name in DRILLS));
  if (unknown.length > 0) {
    console.error(
      `--only: unknown drill ${unknown.join(", ")}; expected some of ${
        Object.keys(DRILLS).join(", ")
      }`,
    );
    return 2;
  }

  const reports: Record<string, unknown> = {};
  const checks: Check[] = [];
  for (const name of names) {
    const result = await DRILLS[name]();
    reports[name] = result.report;
    checks.push(...result.checks);
  }

  if (values.json) console.log(JSON.stringify({ reports, checks }, null, 2));
  else {
    console.log(formatTable(checks.map((check) => ({
      drill: check.drill,
      check: check.check,
      value: check.value,
      result: check.passed ? "ok" : "FAILED",
    }))));
  }
  return checks.every((check) => check.passed) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
