import assert from "node:assert/strict";
import {
  type CircuitStateChange,
  createCircuitBreaker,
  DEFAULT_BREAKER,
} from "./circuit_breaker.ts";

const THRESHOLD = 3;
const COOLDOWN_MS = 10_000;
const START_MS = 1_000_000;

/** Creates a breaker on a fake clock that the test moves by hand. */
function setup() {
  const clock = { nowMs: START_MS };
  const changes: CircuitStateChange[] = [];
  const breaker = createCircuitBreaker({
    failureThreshold: THRESHOLD,
    cooldownMs: COOLDOWN_MS,
    now: () => clock.nowMs,
    onStateChange: (change) => changes.push(change),
  });

  return { clock, changes, breaker };
}

function failTimes(breaker: { recordFailure(): void }, count: number): void {
  for (let i = 0; i < count; i++) {
    breaker.recordFailure();
  }
}

Deno.test("breaker starts closed and allows deliveries", () => {
  const { breaker, changes } = setup();

  assert.equal(breaker.acquire(), "allowed");
  assert.deepEqual(breaker.snapshot(), {
    state: "closed",
    consecutiveFailures: 0,
  });
  assert.deepEqual(changes, []);
});

Deno.test("breaker opens after exactly N consecutive failures", () => {
  const { breaker } = setup();

  failTimes(breaker, THRESHOLD - 1);
  assert.deepEqual(breaker.snapshot(), {
    state: "closed",
    consecutiveFailures: THRESHOLD - 1,
  });
  assert.equal(breaker.acquire(), "allowed");

  breaker.recordFailure();
  assert.deepEqual(breaker.snapshot(), {
    state: "open",
    consecutiveFailures: THRESHOLD,
    openedAt: START_MS,
    nextProbeAt: START_MS + COOLDOWN_MS,
  });
});

Deno.test("breaker success resets the failure count", () => {
  const { breaker } = setup();

  failTimes(breaker, THRESHOLD - 1);
  breaker.recordSuccess();
  failTimes(breaker, THRESHOLD - 1);

  assert.deepEqual(breaker.snapshot(), {
    state: "closed",
    consecutiveFailures: THRESHOLD - 1,
  });
});

Deno.test("breaker permanent error resets the failure count", () => {
  const { breaker } = setup();

  failTimes(breaker, THRESHOLD - 1);
  breaker.recordPermanentError();
  failTimes(breaker, THRESHOLD - 1);

  assert.equal(breaker.snapshot().state, "closed");
  assert.equal(breaker.snapshot().consecutiveFailures, THRESHOLD - 1);
});

Deno.test("open breaker rejects during the cooldown", () => {
  const { breaker, clock } = setup();
  failTimes(breaker, THRESHOLD);

  assert.equal(breaker.acquire(), "rejected");
  clock.nowMs = START_MS + COOLDOWN_MS - 1;
  assert.equal(breaker.acquire(), "rejected");
  assert.equal(breaker.snapshot().state, "open");
});

Deno.test("open breaker ignores late results", () => {
  const { breaker } = setup();
  failTimes(breaker, THRESHOLD);
  const opened = breaker.snapshot();

  breaker.recordSuccess();
  breaker.recordFailure();
  breaker.recordPermanentError();

  assert.deepEqual(breaker.snapshot(), opened);
});

Deno.test("half-open breaker allows exactly one probe", () => {
  const { breaker, clock } = setup();
  failTimes(breaker, THRESHOLD);
  clock.nowMs = START_MS + COOLDOWN_MS;

  assert.equal(breaker.acquire(), "probe");
  assert.equal(breaker.acquire(), "rejected");
  assert.equal(breaker.acquire(), "rejected");
  assert.deepEqual(breaker.snapshot(), {
    state: "half_open",
    consecutiveFailures: THRESHOLD,
    probeInFlight: true,
  });
});

Deno.test("probe success closes the breaker", () => {
  const { breaker, clock } = setup();
  failTimes(breaker, THRESHOLD);
  clock.nowMs = START_MS + COOLDOWN_MS;
  breaker.acquire();

  breaker.recordSuccess();

  assert.deepEqual(breaker.snapshot(), {
    state: "closed",
    consecutiveFailures: 0,
  });
  assert.equal(breaker.acquire(), "allowed");
});

Deno.test("probe permanent error closes the breaker", () => {
  const { breaker, clock } = setup();
  failTimes(breaker, THRESHOLD);
  clock.nowMs = START_MS + COOLDOWN_MS;
  breaker.acquire();

  breaker.recordPermanentError();

  assert.equal(breaker.snapshot().state, "closed");
  assert.equal(breaker.acquire(), "allowed");
});

Deno.test("probe failure reopens with a new cooldown", () => {
  const { breaker, clock } = setup();
  failTimes(breaker, THRESHOLD);
  const probeAt = START_MS + COOLDOWN_MS + 500;
  clock.nowMs = probeAt;
  breaker.acquire();
  clock.nowMs = probeAt + 200;

  breaker.recordFailure();

  assert.deepEqual(breaker.snapshot(), {
    state: "open",
    consecutiveFailures: THRESHOLD + 1,
    openedAt: probeAt + 200,
    nextProbeAt: probeAt + 200 + COOLDOWN_MS,
  });
  clock.nowMs = probeAt + 200 + COOLDOWN_MS - 1;
  assert.equal(breaker.acquire(), "rejected");
  clock.nowMs = probeAt + 200 + COOLDOWN_MS;
  assert.equal(breaker.acquire(), "probe");
});

Deno.test("released probe goes to the next caller", () => {
  const { breaker, clock, changes } = setup();
  failTimes(breaker, THRESHOLD);
  clock.nowMs = START_MS + COOLDOWN_MS;
  breaker.acquire();
  const changeCount = changes.length;

  breaker.release();

  assert.deepEqual(breaker.snapshot(), {
    state: "half_open",
    consecutiveFailures: THRESHOLD,
    probeInFlight: false,
  });
  assert.equal(changes.length, changeCount);
  assert.equal(breaker.acquire(), "probe");
  assert.equal(breaker.acquire(), "rejected");
});

Deno.test("release without a probe changes nothing", () => {
  const { breaker } = setup();
  breaker.release();
  assert.deepEqual(breaker.snapshot(), {
    state: "closed",
    consecutiveFailures: 0,
  });

  failTimes(breaker, THRESHOLD);
  const opened = breaker.snapshot();
  breaker.release();
  assert.deepEqual(breaker.snapshot(), opened);
});

Deno.test("breaker reports each transition once", () => {
  const { breaker, clock, changes } = setup();

  failTimes(breaker, THRESHOLD);
  clock.nowMs += COOLDOWN_MS;
  breaker.acquire();
  clock.nowMs += 100;
  breaker.recordFailure();
  clock.nowMs += COOLDOWN_MS;
  breaker.acquire();
  clock.nowMs += 100;
  breaker.recordSuccess();
  breaker.recordSuccess();

  const openAt = START_MS;
  const firstProbeAt = openAt + COOLDOWN_MS;
  const reopenAt = firstProbeAt + 100;
  const secondProbeAt = reopenAt + COOLDOWN_MS;
  assert.deepEqual(changes, [
    { from: "closed", to: "open", at: openAt },
    { from: "open", to: "half_open", at: firstProbeAt },
    { from: "half_open", to: "open", at: reopenAt },
    { from: "open", to: "half_open", at: secondProbeAt },
    { from: "half_open", to: "closed", at: secondProbeAt + 100 },
  ]);
});

Deno.test("snapshot is a copy", () => {
  const { breaker } = setup();
  const snapshot = breaker.snapshot();

  snapshot.consecutiveFailures = 99;

  assert.equal(breaker.snapshot().consecutiveFailures, 0);
});

Deno.test("breaker with threshold 1 opens on one failure", () => {
  const breaker = createCircuitBreaker({
    failureThreshold: 1,
    cooldownMs: 0,
    now: () => 0,
  });

  breaker.recordFailure();

  assert.equal(breaker.snapshot().state, "open");
  assert.equal(breaker.acquire(), "probe");
});

Deno.test("default breaker opens after five failures", () => {
  const breaker = createCircuitBreaker({ ...DEFAULT_BREAKER, now: () => 0 });

  failTimes(breaker, 4);
  assert.equal(breaker.snapshot().state, "closed");
  breaker.recordFailure();
  assert.deepEqual(breaker.snapshot(), {
    state: "open",
    consecutiveFailures: 5,
    openedAt: 0,
    nextProbeAt: 30_000,
  });
});

Deno.test("breaker rejects invalid options", () => {
  const cases = [
    { failureThreshold: 0, cooldownMs: 1_000 },
    { failureThreshold: 2.5, cooldownMs: 1_000 },
    { failureThreshold: 5, cooldownMs: -1 },
    { failureThreshold: 5, cooldownMs: Number.NaN },
  ];
  for (const options of cases) {
    assert.throws(
      () => createCircuitBreaker({ ...options, now: () => 0 }),
      RangeError,
      JSON.stringify(options),
    );
  }
});
