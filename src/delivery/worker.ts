import type { Destination } from "../destinations.ts";
import type {
  AttemptRecord,
  AttemptResolution,
  ClaimedDelivery,
  ClaimReference,
  DeliveryQueue,
} from "../store/delivery_queue.ts";
import { type AttemptReport, runAttempt, type SendRequest } from "./attempt.ts";
import {
  type CircuitBreaker,
  type CircuitBreakerSnapshot,
  type CircuitStateChange,
  createCircuitBreaker,
} from "./circuit_breaker.ts";
import { sendRequest } from "./http_transport.ts";
import { SQLITE_BUSY, sqliteErrorCode } from "../store/database.ts";

/** Callbacks through which the worker reports; it never logs itself. */
export interface WorkerEvents {
  attemptFinished?(report: AttemptReport): void;
  breakerChanged?(change: CircuitStateChange & { destination: string }): void;
  /** Leases that expired and went back to `pending`, for example after a crash. */
  leasesRecovered?(count: number): void;
  /** Attempts aborted by shutdown; their deliveries went back to `pending`. */
  deliveriesReleased?(count: number): void;
  /** An unexpected error inside the loop; the loop carries on. */
  loopFailed?(error: unknown): void;
}

export interface DeliveryWorkerOptions {
  queue: DeliveryQueue;
  destinations: readonly Destination[];
  /** Unix milliseconds; injected so tests control time. */
  now: () => number;
  /** Randomness for backoff jitter, in [0, 1). */
  random?: () => number;
  events?: WorkerEvents;
  /** Added to a destination's timeout to form the lease. */
  leaseMarginMs?: number;
  /** How often expired leases are looked for. */
  sweepIntervalMs?: number;
  /** Sends one request; the real HTTP client unless a test replaces it. */
  send?: SendRequest;
}

/** Breaker state of one destination, for dashboards and metrics. */
export interface BreakerStatus {
  destination: string;
  snapshot: CircuitBreakerSnapshot;
}

const MAX_SLEEP_MS = 60_000;
const BUSY_RETRY_MS = 50;

/**
 * Delivers queued deliveries to their destinations. It wakes when an event
 * is enqueued and otherwise sleeps until the next delivery is due, claims
 * due deliveries in batches, sends them concurrently with a cap per
 * destination, and writes each outcome with its attempt record.
 */
export class DeliveryWorker {
  readonly #options: Required<Omit<DeliveryWorkerOptions, "events">> & {
    events: WorkerEvents;
  };
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #inFlight = new Map<string, number>();
  readonly #attempts = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #completions: {
    record: AttemptRecord;
    resolution: AttemptResolution;
    claim: ClaimReference;
  }[] = [];
  #releases: ClaimReference[] = [];
  #flushScheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wakeRequested = false;
  #running = false;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #nextSweepAt = 0;

  constructor(options: DeliveryWorkerOptions) {
    this.#options = {
      ...options,
      random: options.random ?? Math.random,
      leaseMarginMs: options.leaseMarginMs ?? 30_000,
      sweepIntervalMs: options.sweepIntervalMs ?? 5_000,
      send: options.send ?? sendRequest,
      events: options.events ?? {},
    };
    for (const destination of options.destinations) {
      this.#inFlight.set(destination.name, 0);
      this.#breakers.set(
        destination.name,
        createCircuitBreaker({
          ...destination.breaker,
          now: options.now,
          onStateChange: (change) =>
            this.#options.events.breakerChanged?.({
              ...change,
              destination: destination.name,
            }),
        }),
      );
    }
  }

  /**
   * Starts the loop. Deliveries left in flight by an earlier process go back
   * to `pending` first, because no other worker can hold their lease.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { queue, now, destinations } = this.#options;

    const recovered = queue.sweepExpiredLeases(Number.MAX_SAFE_INTEGER);
    if (recovered > 0) this.#options.events.leasesRecovered?.(recovered);
    queue.buryUnknownDestinations(destinations.map((d) => d.name), now());
    this.#loop = this.#run();
  }

  /** Asks the loop to look for due deliveries now. */
  wake(): void {
    this.#wakeRequested = true;
    this.#wakeUp?.();
  }

  /**
   * Stops claiming, waits up to `drainMs` for attempts in flight, then
   * aborts the rest. Aborted deliveries return to `pending` without
   * spending an attempt, so the next start sends them.
   */
  async stop(drainMs = 5_000): Promise<void> {
    if (!this.#running) return;
    this.#stopping = true;
    this.wake();
    await this.#loop;

    const drained = Promise.all([...this.#attempts]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise((resolve) => {
      timer = setTimeout(resolve, drainMs);
    });
    await Promise.race([drained, limit]);
    clearTimeout(timer);
    this.#abort.abort();
    await drained;
    const released = this.#releases.length;
    this.#flush();
    if (released > 0) this.#options.events.deliveriesReleased?.(released);
    this.#running = false;
  }

  /** Breaker state of every destination. */
  breakers(): BreakerStatus[] {
    return [...this.#breakers].map(([destination, breaker]) => ({
      destination,
      snapshot: breaker.snapshot(),
    }));
  }

  /** Number of attempts in flight now. */
  get inFlightCount(): number {
    return this.#attempts.size;
  }

  /**
   * Resolves once no attempt is in flight and nothing is due at the
   * current clock, so tests can advance a fake clock and then wait.
   */
  async settle(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      this.wake();
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.#attempts.size > 0) {
        await Promise.race([...this.#attempts]);
        continue;
      }
      if (!this.#flushScheduled && !this.#hasDueWork()) return;
    }
    throw new Error("delivery worker did not settle after 10000 rounds");
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#wakeRequested = false;
      let wakeAt: number;
      try {
        this.#sweepWhenDue();
        this.#dispatch();
        wakeAt = this.#nextWakeAt();
      } catch (error) {
        this.#options.events.loopFailed?.(error);
        wakeAt = this.#options.now() + 1_000;
      }
      if (this.#wakeRequested || this.#stopping) continue;
      await this.#sleepUntil(wakeAt);
    }
  }

  #sleepUntil(wakeAt: number): Promise<void> {
    const delayMs = Math.min(
      Math.max(0, wakeAt - this.#options.now()),
      MAX_SLEEP_MS,
    );
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(this.#timer);
        this.#wakeUp = undefined;
        resolve();
      };
      this.#wakeUp = finish;
      this.#timer = setTimeout(finish, delayMs);
    });
  }

  #sweepWhenDue(): void {
    const now = this.#options.now();
    if (now < this.#nextSweepAt) return;
    this.#nextSweepAt = now + this.#options.sweepIntervalMs;
    const recovered = this.#options.queue.sweepExpiredLeases(now);
    if (recovered > 0) this.#options.events.leasesRecovered?.(recovered);
  }

  #dispatch(): void {
    for (const destination of this.#options.destinations) {
      const free = destination.concurrency -
        (this.#inFlight.get(destination.name) ?? 0);
      if (free <= 0) continue;

      const permit = this.#permit(destination);
      if (permit === "rejected") continue;
      const limit = permit === "probe" ? 1 : free;

      const now = this.#options.now();
      const claimed = this.#options.queue.claim(
        destination.name,
        limit,
        now,
        now + destination.timeoutMs + this.#options.leaseMarginMs,
      );
      const breaker = this.#breakers.get(destination.name)!;
      if (permit === "probe" && claimed.length === 0) breaker.release();
      for (const delivery of claimed) {
        this.#startAttempt(destination, delivery, permit === "probe");
      }
    }
  }

  /**
   * Asks the breaker for permission, but only spends a half-open probe when
   * a delivery is actually due.
   */
  #permit(destination: Destination): "allowed" | "probe" | "rejected" {
    const breaker = this.#breakers.get(destination.name)!;
    const snapshot = breaker.snapshot();
    if (snapshot.state === "closed") return "allowed";
    if (
      snapshot.state === "open" && this.#options.now() < snapshot.nextProbeAt
    ) {
      return "rejected";
    }

    const due = this.#options.queue.nextDueAt(destination.name);
    if (due === undefined || due > this.#options.now()) return "rejected";
    const permit = breaker.acquire();
    return permit === "allowed" ? "allowed" : permit;
  }

  #nextWakeAt(): number {
    let wakeAt = this.#nextSweepAt;
    for (const destination of this.#options.destinations) {
      const busy = (this.#inFlight.get(destination.name) ?? 0) >=
        destination.concurrency;
      if (busy) continue;

      const snapshot = this.#breakers.get(destination.name)!.snapshot();
      if (snapshot.state === "half_open" && snapshot.probeInFlight) continue;
      let due = this.#options.queue.nextDueAt(destination.name);
      if (due === undefined) continue;
      if (snapshot.state === "open") due = Math.max(due, snapshot.nextProbeAt);
      wakeAt = Math.min(wakeAt, due);
    }
    return wakeAt;
  }

  #hasDueWork(): boolean {
    const now = this.#options.now();
    return this.#options.destinations.some((destination) => {
      const due = this.#options.queue.nextDueAt(destination.name);
      if (due === undefined || due > now) return false;
      const snapshot = this.#breakers.get(destination.name)!.snapshot();
      return snapshot.state === "closed" ||
        (snapshot.state === "open" && now >= snapshot.nextProbeAt) ||
        (snapshot.state === "half_open" && !snapshot.probeInFlight);
    });
  }

  #startAttempt(
    destination: Destination,
    delivery: ClaimedDelivery,
    probe: boolean,
  ): void {
    this.#inFlight.set(
      destination.name,
      (this.#inFlight.get(destination.name) ?? 0) + 1,
    );
    const attempt = this.#attempt(destination, delivery)
      .catch((error) => {
        // The delivery stays in flight until its lease expires and is then
        // sent again. A probe must be handed back, or the half-open breaker
        // would wait for its result forever.
        if (probe) this.#breakers.get(destination.name)!.release();
        this.#options.events.loopFailed?.(error);
      })
      .finally(() => {
        this.#inFlight.set(
          destination.name,
          (this.#inFlight.get(destination.name) ?? 1) - 1,
        );
        this.#attempts.delete(attempt);
        this.wake();
      });
    this.#attempts.add(attempt);
  }

  async #attempt(
    destination: Destination,
    delivery: ClaimedDelivery,
  ): Promise<void> {
    const attempt = await runAttempt({
      destination,
      delivery,
      now: this.#options.now,
      random: this.#options.random,
      send: this.#options.send,
      signal: this.#abort.signal,
    });

    const breaker = this.#breakers.get(destination.name)!;
    const claim = {
      deliveryId: delivery.id,
      leaseExpiresAt: delivery.leaseExpiresAt,
    };
    if (attempt.aborted) {
      breaker.release();
      this.#releases.push(claim);
      this.#scheduleFlush();
      return;
    }

    // The outcome is queued for writing first, so a failing callback below
    // cannot lose it.
    this.#completions.push({
      record: attempt.record,
      resolution: attempt.resolution,
      claim,
    });
    this.#scheduleFlush();

    if (attempt.outcome === "success") breaker.recordSuccess();
    else if (attempt.outcome === "retry") breaker.recordFailure();
    else breaker.recordPermanentError();
    this.#options.events.attemptFinished?.(attempt.report);
  }

  /**
   * Writes finished attempts in one transaction per tick, so a burst of
   * completions costs one disk sync instead of one each.
   */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setTimeout(() => this.#flush(), 0);
  }

  #flush(): void {
    this.#flushScheduled = false;
    const completions = this.#completions;
    const releases = this.#releases;
    this.#completions = [];
    this.#releases = [];
    try {
      const now = this.#options.now();
      this.#options.queue.resolve(completions, now);
      this.#options.queue.release(releases, now);
    } catch (error) {
      if (sqliteErrorCode(error) === SQLITE_BUSY && !this.#stopping) {
        // Another process holds the write lock, as a backup does: try again
        // shortly rather than resend these deliveries after their leases.
        this.#completions.unshift(...completions);
        this.#releases.unshift(...releases);
        this.#flushScheduled = true;
        setTimeout(() => this.#flush(), BUSY_RETRY_MS);
        return;
      }
      // The deliveries stay in flight until their leases expire. Then the
      // sweeper returns them to pending, so they are sent again, not lost.
      this.#options.events.loopFailed?.(error);
    }
    this.wake();
  }
}
