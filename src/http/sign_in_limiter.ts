/** Settings of `SignInLimiter`. */
export interface SignInLimiterOptions {
  /** Unix milliseconds; tests pass a fake clock. */
  now: () => number;
  /** Failed sign-ins one address may make within `windowMs`; default 5. */
  maxFailures?: number;
  /** Length of the sliding window in ms; default 60 000. */
  windowMs?: number;
  /** Maximum number of addresses tracked at once; default 10 000. */
  maxAddresses?: number;
}

/**
 * Limits failed admin sign-ins per client address with a sliding window:
 * after `maxFailures` failures within `windowMs`, the address must wait until
 * the oldest of them leaves the window. A successful sign-in clears the
 * address's failures.
 *
 * NOTE: when the table is full, the address tracked longest is forgotten, so
 * an attacker who controls more than `maxAddresses` addresses can reset
 * their own counts.
 */
export class SignInLimiter {
  readonly #now: () => number;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: SignInLimiterOptions) {
    this.#now = options.now;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
  }

  /**
   * Returns how many ms the address must wait before its next sign-in
   * attempt is checked; 0 means it may try now.
   */
  retryAfterMs(address: string): number {
    const recent = this.#recentFailures(address);
    if (recent.length < this.#maxFailures) return 0;

    return recent[recent.length - this.#maxFailures] + this.#windowMs -
      this.#now();
  }

  /** Counts one failed sign-in from the address. */
  recordFailure(address: string): void {
    const recent = this.#recentFailures(address);
    this.#failures.delete(address);
    if (this.#failures.size >= this.#maxAddresses) this.#forgetOldest();
    this.#failures.set(address, [...recent, this.#now()]);
  }

  /** Clears the address's failures after it signed in. */
  reset(address: string): void {
    this.#failures.delete(address);
  }

  #recentFailures(address: string): number[] {
    const windowStart = this.#now() - this.#windowMs;
    return (this.#failures.get(address) ?? []).filter((at) => at > windowStart);
  }

  #forgetOldest(): void {
    const windowStart = this.#now() - this.#windowMs;
    for (const [address, times] of this.#failures) {
      if (times[times.length - 1] <= windowStart) {
        this.#failures.delete(address);
      }
    }
    if (this.#failures.size >= this.#maxAddresses) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }
}
