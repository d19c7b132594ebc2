/**
 * State of a destination's circuit breaker. The same strings appear in JSON,
 * logs and metric labels.
 *
 * - `"closed"`: deliveries flow. `recordFailure()` moves it to `"open"` when
 *   the consecutive retryable failures reach `failureThreshold`.
 * - `"open"`: deliveries wait without spending attempts. The first
 *   `acquire()` after `cooldownMs` moves it to `"half_open"`.
 * - `"half_open"`: at most one probe delivery is in flight. Its result moves
 *   the breaker to `"closed"` (`recordSuccess()`, `recordPermanentError()`)
 *   or back to `"open"` with a fresh cooldown (`recordFailure()`).
 */
export type CircuitState = "closed" | "open" | "half_open";

/**
 * Point-in-time view of a breaker for dashboards and metrics. Times are in
 * Unix milliseconds from the breaker's clock.
 */
export type CircuitBreakerSnapshot =
  | { state: "closed"; consecutiveFailures: number }
  | {
    state: "open";
    consecutiveFailures: number;
    openedAt: number;
    /**
     * Earliest time `acquire()` allows a probe. The state stays `"open"`
     * after this time until something calls `acquire()`.
     */
    nextProbeAt: number;
  }
  | { state: "half_open"; consecutiveFailures: number; probeInFlight: boolean };

/** Breaker settings of a destination. */
export interface BreakerOptions {
  /** Consecutive retryable failures that open the breaker, at least 1. */
  failureThreshold: number;
  /** Time in ms an open breaker rejects deliveries before it allows a probe. */
  cooldownMs: number;
}

/** Breaker used by destinations that do not override it. */
export const DEFAULT_BREAKER: BreakerOptions = {
  failureThreshold: 5,
  cooldownMs: 30_000,
};

/** Transition reported to `onStateChange`, with `at` in Unix milliseconds. */
export interface CircuitStateChange {
  from: CircuitState;
  to: CircuitState;
  at: number;
}

/** Options of `createCircuitBreaker`. */
export interface CircuitBreakerOptions extends BreakerOptions {
  /** Clock in Unix milliseconds, injected so tests control time. */
  now: () => number;
  /**
   * Called synchronously after every transition, so the caller can log and
   * count it. The breaker itself never logs.
   */
  onStateChange?: (change: CircuitStateChange) => void;
}

/**
 * Result of `acquire()`:
 * - `"allowed"`: the breaker is closed, so send the delivery.
 * - `"probe"`: send this one delivery as the probe, then report its result
 *   or call `release()` if it never runs.
 * - `"rejected"`: do not send. The delivery waits without spending an
 *   attempt.
 */
export type AcquireResult = "allowed" | "probe" | "rejected";

/**
 * Circuit breaker of one destination. Report the result of every delivery
 * that `acquire()` let through and that was sent with exactly one
 * `record*()` call, and call `release()` for a probe that was not sent.
 */
export interface CircuitBreaker {
  /** Decides whether a delivery may be sent now, as `AcquireResult` lists. */
  acquire(): AcquireResult;
  /** Records a 2xx response, which resets the count and ends a probe. */
  recordSuccess(): void;
  /**
   * Records a retryable failure (408, 425, 429, 5xx, timeout or network
   * error). Consecutive failures open a closed breaker at the threshold, and
   * a failed probe reopens it with a fresh cooldown.
   */
  recordFailure(): void;
  /**
   * Records a permanent error (any other 4xx, for example). The destination
   * sent a response, so it is reachable. Like `recordSuccess()`, this resets
   * the count and closes a half-open breaker.
   */
  recordPermanentError(): void;
  /**
   * Returns an unused probe, for example when shutdown stops the delivery
   * before it is sent. The breaker stays half-open and the next `acquire()`
   * gets the probe. Does nothing when no probe is in flight.
   */
  release(): void;
  /** Returns a copy of the current state. */
  snapshot(): CircuitBreakerSnapshot;
}

/**
 * Creates the in-memory circuit breaker of one destination, which stops
 * deliveries to a destination that keeps failing and lets one probe through
 * after a cooldown.
 *
 * Results recorded while the breaker is open are ignored, because they
 * belong to deliveries that started before it opened. In the half-open state, the
 * first result recorded decides, even when it comes from such an older
 * delivery rather than from the probe.
 *
 * @throws {RangeError} When `failureThreshold` is not a positive integer or
 * `cooldownMs` is not a non-negative finite number.
 *
 * @example
 * ```ts
 * const breaker = createCircuitBreaker({
 *   ...DEFAULT_BREAKER,
 *   now: () => Date.now(),
 * });
 * breaker.acquire(); // "allowed"
 * ```
 */
export function createCircuitBreaker(
  options: CircuitBreakerOptions,
): CircuitBreaker {
  assertBreakerOptions(options);

  return new InMemoryCircuitBreaker(options);
}

class InMemoryCircuitBreaker implements CircuitBreaker {
  #options: CircuitBreakerOptions;
  #current: CircuitBreakerSnapshot = {
    state: "closed",
    consecutiveFailures: 0,
  };

  constructor(options: CircuitBreakerOptions) {
    this.#options = { ...options };
  }

  acquire(): AcquireResult {
    const current = this.#current;
    if (current.state === "closed") {
      return "allowed";
    }
    if (current.state === "half_open") {
      return current.probeInFlight
        ? "rejected"
        : this.#startProbe(this.#options.now());
    }

    const nowMs = this.#options.now();

    return nowMs >= current.nextProbeAt ? this.#startProbe(nowMs) : "rejected";
  }

  recordSuccess(): void {
    if (this.#current.state === "open") {
      return;
    }

    this.#moveTo(
      { state: "closed", consecutiveFailures: 0 },
      this.#options.now(),
    );
  }

  recordFailure(): void {
    const current = this.#current;
    if (current.state === "open") {
      return;
    }

    const consecutiveFailures = current.consecutiveFailures + 1;
    if (
      current.state === "half_open" ||
      consecutiveFailures >= this.#options.failureThreshold
    ) {
      this.#open(consecutiveFailures);
    } else {
      this.#current = { state: "closed", consecutiveFailures };
    }
  }

  recordPermanentError(): void {
    this.recordSuccess();
  }

  release(): void {
    const current = this.#current;
    if (current.state === "half_open" && current.probeInFlight) {
      this.#current = { ...current, probeInFlight: false };
    }
  }

  snapshot(): CircuitBreakerSnapshot {
    return { ...this.#current };
  }

  #startProbe(nowMs: number): AcquireResult {
    const { consecutiveFailures } = this.#current;
    this.#moveTo(
      { state: "half_open", consecutiveFailures, probeInFlight: true },
      nowMs,
    );

    return "probe";
  }

  #open(consecutiveFailures: number): void {
    const openedAt = this.#options.now();
    const nextProbeAt = openedAt + this.#options.cooldownMs;
    this.#moveTo(
      { state: "open", consecutiveFailures, openedAt, nextProbeAt },
      openedAt,
    );
  }

  #moveTo(next: CircuitBreakerSnapshot, at: number): void {
    const from = this.#current.state;
    this.#current = next;
    if (from !== next.state) {
      this.#options.onStateChange?.({ from, to: next.state, at });
    }
  }
}

function assertBreakerOptions(
  { failureThreshold, cooldownMs }: BreakerOptions,
): void {
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new RangeError(
      `Cannot create a circuit breaker as failureThreshold is invalid: current value is ${failureThreshold}, expected an integer of at least 1`,
    );
  }
  if (!Number.isFinite(cooldownMs) || cooldownMs < 0) {
    throw new RangeError(
      `Cannot create a circuit breaker as cooldownMs is invalid: current value is ${cooldownMs}, expected a non-negative finite number of milliseconds`,
    );
  }
}
