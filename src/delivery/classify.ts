/**
 * Outcome of one delivery attempt, which decides the delivery's next state.
 *
 * - `"success"`: the delivery becomes `succeeded`.
 * - `"retry"`: the delivery goes back to `pending` with a later
 *   `next_attempt_at`, or becomes `dead` after its last attempt.
 * - `"permanent"`: the delivery becomes `dead` at once, because sending the
 *   same request again would get the same response.
 */
export type AttemptOutcome = "success" | "retry" | "permanent";

/** Statuses outside 5xx that mean the same request may succeed later. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([
  408, // Request Timeout
  425, // Too Early
  429, // Too Many Requests
]);

/**
 * Classifies the HTTP status of a destination's response.
 *
 * 2xx is a success. 408, 425, 429 and every 5xx are retried. Any other
 * status, including 1xx and 3xx that reach this point, is permanent.
 * Timeouts and network errors have no status, and the caller treats them as
 * `"retry"`.
 *
 * @example
 * ```ts
 * classifyStatus(503); // "retry"
 * ```
 */
export function classifyStatus(status: number): AttemptOutcome {
  if (status >= 200 && status <= 299) {
    return "success";
  }
  if (RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599)) {
    return "retry";
  }

  return "permanent";
}

const DELAY_SECONDS = /^\d+$/;
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Parses a `Retry-After` header into the requested delay in milliseconds.
 *
 * Accepts delay-seconds (a non-negative integer) and an HTTP-date in
 * IMF-fixdate form, such as `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110,
 * section 10.2.3). A date in the past gives 0. Returns undefined
 * for an absent or invalid value, so the caller falls back to its backoff.
 *
 * NOTE: The obsolete RFC 850 and asctime date forms, which RFC 9110 requires
 * recipients to accept, are treated as invalid.
 *
 * @param nowMs Current time in Unix milliseconds, used to turn a date into a
 * delay.
 *
 * @example
 * ```ts
 * parseRetryAfter("120", 0); // 120_000
 * ```
 */
export function parseRetryAfter(
  headerValue: string | null,
  nowMs: number,
): number | undefined {
  const value = headerValue?.trim();
  if (!value) {
    return undefined;
  }
  if (DELAY_SECONDS.test(value)) {
    // Keeps very long delays finite. The caller caps them anyway.
    return Math.min(Number(value) * 1000, Number.MAX_SAFE_INTEGER);
  }

  const dateMs = parseImfFixdate(value);
  if (dateMs === undefined) {
    return undefined;
  }

  return Math.max(0, dateMs - nowMs);
}

function parseImfFixdate(value: string): number | undefined {
  if (!IMF_FIXDATE.test(value)) {
    return undefined;
  }

  // Date.parse rolls impossible dates over ("31 Feb" becomes 3 March) and
  // ignores the weekday. Formatting the result back rejects both.
  const dateMs = Date.parse(value);
  if (Number.isNaN(dateMs) || new Date(dateMs).toUTCString() !== value) {
    return undefined;
  }

  return dateMs;
}
