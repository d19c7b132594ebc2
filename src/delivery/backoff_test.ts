import assert from "node:assert/strict";
import {
  backoffDelayMs,
  backoffSchedule,
  DEFAULT_BACKOFF,
  DEFAULT_MAX_ATTEMPTS,
  retryDelayMs,
} from "./backoff.ts";

const ZERO = () => 0;
const ALMOST_ONE = () => 1 - Number.EPSILON;
const HALF = () => 0.5;
const HOUR_MS = 3_600_000;

Deno.test("backoffDelayMs() at zero jitter is half the ceiling", () => {
  const expected = [2_500, 10_000, 40_000, 160_000, 640_000, 1_800_000];
  for (const [index, delayMs] of expected.entries()) {
    const failedAttempts = index + 1;
    assert.equal(
      backoffDelayMs(failedAttempts, DEFAULT_BACKOFF, ZERO),
      delayMs,
      `after ${failedAttempts} failed attempts`,
    );
  }
});

Deno.test("backoffDelayMs() at maximum jitter reaches the ceiling", () => {
  const expected = [5_000, 20_000, 80_000, 320_000, 1_280_000, 3_600_000];
  for (const [index, delayMs] of expected.entries()) {
    const failedAttempts = index + 1;
    assert.equal(
      backoffDelayMs(failedAttempts, DEFAULT_BACKOFF, ALMOST_ONE),
      delayMs,
      `after ${failedAttempts} failed attempts`,
    );
  }
});

Deno.test("backoffDelayMs() adds the random share", () => {
  assert.equal(backoffDelayMs(1, DEFAULT_BACKOFF, HALF), 3_750);
  assert.equal(backoffDelayMs(2, DEFAULT_BACKOFF, HALF), 15_000);
});

Deno.test("backoffDelayMs() respects the cap", () => {
  const options = { baseMs: 1_000, capMs: 10_000 };

  assert.equal(backoffDelayMs(3, options, ALMOST_ONE), 10_000);
  assert.equal(backoffDelayMs(3, options, ZERO), 5_000);
  assert.equal(backoffDelayMs(40, options, ALMOST_ONE), 10_000);
});

Deno.test("backoffDelayMs() stays finite after many failures", () => {
  assert.equal(backoffDelayMs(10_000, DEFAULT_BACKOFF, ZERO), HOUR_MS / 2);
});

Deno.test("backoffDelayMs() rounds up to whole milliseconds", () => {
  assert.equal(backoffDelayMs(1, { baseMs: 3, capMs: 100 }, ZERO), 2);
});

Deno.test("backoffDelayMs() rejects invalid input", () => {
  const cases: [number, { baseMs: number; capMs: number }][] = [
    [0, DEFAULT_BACKOFF],
    [1.5, DEFAULT_BACKOFF],
    [Number.NaN, DEFAULT_BACKOFF],
    [1, { baseMs: 0, capMs: 1_000 }],
    [1, { baseMs: 1_000, capMs: -1 }],
    [1, { baseMs: 1_000, capMs: Number.POSITIVE_INFINITY }],
  ];
  for (const [failedAttempts, options] of cases) {
    assert.throws(
      () => backoffDelayMs(failedAttempts, options, ZERO),
      RangeError,
      `failedAttempts ${failedAttempts}, options ${JSON.stringify(options)}`,
    );
  }
});

Deno.test("retryDelayMs() without Retry-After is the backoff", () => {
  assert.equal(retryDelayMs(2, DEFAULT_BACKOFF, ZERO), 10_000);
  assert.equal(retryDelayMs(2, DEFAULT_BACKOFF, ZERO, undefined), 10_000);
});

Deno.test("retryDelayMs() lets Retry-After raise the delay", () => {
  assert.equal(retryDelayMs(1, DEFAULT_BACKOFF, ZERO, 120_000), 120_000);
});

Deno.test("retryDelayMs() never lets Retry-After lower it", () => {
  assert.equal(retryDelayMs(3, DEFAULT_BACKOFF, ZERO, 1_000), 40_000);
  assert.equal(retryDelayMs(3, DEFAULT_BACKOFF, ZERO, 0), 40_000);
});

Deno.test("retryDelayMs() clamps Retry-After to the cap", () => {
  const dayMs = 24 * HOUR_MS;

  assert.equal(retryDelayMs(1, DEFAULT_BACKOFF, ZERO, dayMs), HOUR_MS);
});

Deno.test("backoffSchedule() lists the default delays", () => {
  const minutes = 60_000;
  const expected: [number, number][] = [
    [2_500, 5_000],
    [10_000, 20_000],
    [40_000, 80_000],
    [160_000, 320_000],
    [640_000, 1_280_000],
    [30 * minutes, HOUR_MS],
    [30 * minutes, HOUR_MS],
  ];

  const { steps } = backoffSchedule();

  assert.equal(steps.length, DEFAULT_MAX_ATTEMPTS - 1);
  for (const [index, [minDelayMs, maxDelayMs]] of expected.entries()) {
    assert.deepEqual(steps[index], {
      failedAttempts: index + 1,
      minDelayMs,
      maxDelayMs,
    });
  }
});

Deno.test("backoffSchedule() totals the default delays", () => {
  const schedule = backoffSchedule();

  assert.equal(schedule.minTotalMs, 4_452_500);
  assert.equal(schedule.maxTotalMs, 8_905_000);
});

Deno.test("default retries span over an hour at minimum jitter", () => {
  const schedule = backoffSchedule(DEFAULT_MAX_ATTEMPTS, DEFAULT_BACKOFF);

  assert.ok(
    schedule.minTotalMs > HOUR_MS,
    `minTotalMs is ${schedule.minTotalMs}`,
  );
});

Deno.test("backoffSchedule() of one attempt has no retries", () => {
  const schedule = backoffSchedule(1);

  assert.deepEqual(schedule, { steps: [], minTotalMs: 0, maxTotalMs: 0 });
});

Deno.test("backoffSchedule() rejects invalid maxAttempts", () => {
  assert.throws(() => backoffSchedule(0), RangeError);
  assert.throws(() => backoffSchedule(2.5), RangeError);
});

Deno.test("retryDelayMs() ignores a NaN Retry-After", () => {
  assert.equal(retryDelayMs(1, DEFAULT_BACKOFF, ZERO, Number.NaN), 2_500);
});
