/**
 * Retry delays for outbound deliveries: exponential backoff with factor 4 and
 * "equal jitter", where half of each delay is fixed and half is random.
 *
 * With the defaults (8 attempts, `baseMs` 5 s, `capMs` 1 h), `backoffSchedule`
 * gives these delays, and a test checks the totals:
 *
 * | after failed attempt | minimum delay     | maximum delay   |
 * | -------------------- | ----------------- | --------------- |
 * | 1                    | 2.5 s             | 5 s             |
 * | 2                    | 10 s              | 20 s            |
 * | 3                    | 40 s              | 80 s            |
 * | 4                    | 2 min 40 s        | 5 min 20 s      |
 * | 5                    | 10 min 40 s       | 21 min 20 s     |
 * | 6                    | 30 min            | 1 h             |
 * | 7                    | 30 min            | 1 h             |
 * | total                | 1 h 14 min 12.5 s | 2 h 28 min 25 s |
 *
 * The eighth failed attempt makes the delivery `dead`.
 *
 * @module
 */

/** Backoff settings of a destination, in milliseconds. */
export interface BackoffOptions {
  /** Ceiling of the first retry delay. Each later ceiling is 4 times larger. */
  baseMs: number;
  /** Maximum delay between two attempts, including any `Retry-After`. */
  capMs: number;
}

/** Backoff used by destinations that do not override it. */
export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 5_000,
  capMs: 3_600_000,
};

/** Attempts per delivery, the first included, before it becomes `dead`. */
export const DEFAULT_MAX_ATTEMPTS = 8;

const GROWTH_FACTOR = 4;

/**
 * Computes the delay before the next attempt after `failedAttempts` failed
 * attempts in a row (1 after the first failure).
 *
 * The ceiling is `min(capMs, baseMs * 4^(failedAttempts - 1))`, and the delay
 * is half the ceiling plus a random share of the other half. The fixed half
 * keeps retries from coming back too soon, and the random half spreads out
 * deliveries that failed together. The result is rounded up to a whole
 * millisecond, so it lies between `ceiling / 2` and `ceiling`.
 *
 * @param random Returns a number in [0, 1), like `Math.random`.
 * @throws {RangeError} When `failedAttempts` is not a positive integer or an
 * option is not a positive finite number.
 *
 * @example
 * ```ts
 * backoffDelayMs(3, DEFAULT_BACKOFF, () => 0); // 40_000
 * ```
 */
export function backoffDelayMs(
  failedAttempts: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const ceilingMs = backoffCeilingMs(failedAttempts, options);
  const halfMs = ceilingMs / 2;

  return Math.ceil(halfMs + random() * halfMs);
}

/**
 * Computes the delay before the next attempt, honouring a `Retry-After` sent
 * by the destination.
 *
 * The delay is `max(backoff, min(retryAfterMs, capMs))`: `Retry-After` can
 * make the wait longer but never shorter than the backoff, and it never
 * exceeds `capMs`, so a destination cannot park a delivery for days.
 *
 * @param retryAfterMs Delay from `parseRetryAfter`, or undefined when the
 * response had no usable `Retry-After`. Zero, negative and NaN values are
 * ignored.
 */
export function retryDelayMs(
  failedAttempts: number,
  options: BackoffOptions,
  random: () => number,
  retryAfterMs?: number,
): number {
  const backoffMs = backoffDelayMs(failedAttempts, options, random);
  // The negated comparison also catches NaN.
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) {
    return backoffMs;
  }

  return Math.max(backoffMs, Math.min(retryAfterMs, options.capMs));
}

/** Shortest and longest delay after one failed attempt. */
export interface BackoffStep {
  /** Failed attempts so far, after which this delay follows. */
  failedAttempts: number;
  /** Delay when the jitter is 0. */
  minDelayMs: number;
  /** Delay when the jitter is at its maximum. */
  maxDelayMs: number;
}

/** Retry schedule of a delivery, from its first failure to its last attempt. */
export interface BackoffSchedule {
  /** One step per retry: `maxAttempts - 1` steps. */
  steps: BackoffStep[];
  /** Time from the first to the last attempt at minimum jitter. */
  minTotalMs: number;
  /** Time from the first to the last attempt at maximum jitter. */
  maxTotalMs: number;
}

/**
 * Computes the range of each retry delay and the total time a delivery can
 * spend retrying, so docs and tests can show the schedule that `maxAttempts`
 * and `options` produce. Time spent waiting for responses is not included.
 *
 * @throws {RangeError} When `maxAttempts` is not a positive integer.
 *
 * @example
 * ```ts
 * backoffSchedule().minTotalMs; // 4_452_500, about 74 minutes
 * ```
 */
export function backoffSchedule(
  maxAttempts: number = DEFAULT_MAX_ATTEMPTS,
  options: BackoffOptions = DEFAULT_BACKOFF,
): BackoffSchedule {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(
      `Cannot compute a backoff schedule as maxAttempts is invalid: current value is ${maxAttempts}, expected an integer of at least 1`,
    );
  }

  const steps: BackoffStep[] = [];
  for (let failed = 1; failed < maxAttempts; failed++) {
    steps.push({
      failedAttempts: failed,
      minDelayMs: backoffDelayMs(failed, options, () => 0),
      maxDelayMs: backoffCeilingMs(failed, options),
    });
  }

  return {
    steps,
    minTotalMs: sum(steps.map((step) => step.minDelayMs)),
    maxTotalMs: sum(steps.map((step) => step.maxDelayMs)),
  };
}

function backoffCeilingMs(
  failedAttempts: number,
  options: BackoffOptions,
): number {
  assertBackoffInput(failedAttempts, options);
  // Past about 500 failures the power overflows to Infinity, which the cap
  // absorbs because baseMs is positive.
  const growth = GROWTH_FACTOR ** (failedAttempts - 1);

  return Math.min(options.capMs, options.baseMs * growth);
}

function assertBackoffInput(
  failedAttempts: number,
  { baseMs, capMs }: BackoffOptions,
): void {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(
      `Cannot compute a backoff delay as failedAttempts is invalid: current value is ${failedAttempts}, expected an integer of at least 1`,
    );
  }
  for (const [name, value] of [["baseMs", baseMs], ["capMs", capMs]] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(
        `Cannot compute a backoff delay as ${name} is invalid: current value is ${value}, expected a positive finite number of milliseconds`,
      );
    }
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
