/**
 * The fault drills of scripts/drill.ts at sizes that fit in CI. Each runs
 * the server as a child process on loopback with a real SQLite file and a
 * real destination. Each drill's own file describes what it does.
 */
import assert from "node:assert/strict";
import { runDiskFullDrill } from "../scripts/drills/disk_full_drill.ts";
import { runHostileInputDrill } from "../scripts/drills/hostile_input_drill.ts";
import { runKillDrill } from "../scripts/drills/kill_drill.ts";
import { runOutageDrill } from "../scripts/drills/outage_drill.ts";
import { runWriteLockDrill } from "../scripts/drills/write_lock_drill.ts";

Deno.test("kill -9 loses no acknowledged event", async () => {
  const report = await runKillDrill({
    rounds: 2,
    killAfterResponses: 300,
    connections: 16,
  });

  assert.ok(report.acknowledged >= 600, `acknowledged ${report.acknowledged}`);
  assert.equal(report.missingAfterKill, 0);
  assert.equal(report.eventsWithoutDeliveries, 0);
  assert.equal(report.unfinishedDeliveries, 0);
  assert.ok(report.deliveries >= report.acknowledged, `${report.deliveries}`);
  assert.equal(report.neverArrived, 0);
  assert.equal(report.repeatedWithinOneLifetime, 0);
});

Deno.test("outage breaker spends no attempts while open", async () => {
  const report = await runOutageDrill({
    events: 20,
    opensWhileDown: 3,
    cooldownMs: 300,
  });

  assert.ok(report.opens >= 3, `opened ${report.opens} times`);
  assert.ok(report.failedAttempts >= 3, `failed ${report.failedAttempts}`);
  assert.equal(report.attemptsWhileOpen, 0);
  assert.equal(report.unfinishedDeliveries, 0);
  assert.ok(report.deliveriesArrived >= 20);
  assert.equal(report.finalBreakerState, "closed");
});

Deno.test("full disk returns 503, then recovers", async () => {
  const report = await runDiskFullDrill({
    fullSizeKib: 2048,
    requestsWhileFull: 10,
    requestsAfterRecovery: 20,
  });

  assert.ok(report.storedBeforeFull > 0);
  assert.equal(report.firstFailureStatus, 503);
  assert.equal(report.notUnavailableWhileFull, 0);
  assert.equal(report.healthWhileFull, 200);
  assert.equal(report.missingEvents, 0);
  assert.equal(report.eventsWithoutDeliveries, 0);
  assert.equal(report.failedAfterRecovery, 0);
  assert.equal(report.unfinishedDeliveries, 0);
});

Deno.test("held write lock leaves nothing half written", async () => {
  const report = await runWriteLockDrill({
    holdMs: 2_000,
    requests: 100,
    connections: 16,
  });

  assert.equal(report.requests, 100);
  assert.equal(report.otherResponses, 0);
  assert.ok(report.maxLatencyMs >= 1_000, `slowest ${report.maxLatencyMs} ms`);
  assert.equal(report.missingEvents, 0);
  assert.equal(report.eventsWithoutDeliveries, 0);
  assert.equal(report.statusAfterRelease, 200);
  assert.equal(report.unfinishedDeliveries, 0);
});

Deno.test("hostile input stores nothing", async () => {
  const report = await runHostileInputDrill({
    requests: 1000,
    connections: 16,
  });
  const growthBytes = report.rssAfterBytes - report.rssBeforeBytes;

  assert.equal(report.kinds.length, 10);
  assert.ok(report.requests >= 1000);
  assert.equal(report.unexpectedStatuses, 0);
  assert.deepEqual(report.kindsWithoutJsonError, []);
  assert.equal(report.healthStatus, 200);
  assert.ok(growthBytes < 32 * 1024 * 1024, `RSS grew ${growthBytes} bytes`);
  assert.equal(report.storedEvents, 0);
});
