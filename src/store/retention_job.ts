import type { DatabaseSync } from "node:sqlite";
import {
  type RetentionOptions,
  type RetentionReport,
  runRetention,
} from "./retention.ts";

/** Time between two retention runs of a running server: one hour. */
export const RETENTION_INTERVAL_MS = 3_600_000;

/** Options of a {@link RetentionJob}. */
export interface RetentionJobOptions extends Omit<RetentionOptions, "signal"> {
  /** Time between runs; {@link RETENTION_INTERVAL_MS} unless set. */
  intervalMs?: number;
  /** Called after each run with what it removed. */
  onFinished?: (report: RetentionReport) => void;
  /** Called when a run fails; the next run is still scheduled. */
  onFailed?: (error: unknown) => void;
}

/**
 * Runs {@link runRetention} once at start and then on a timer, one run at a
 * time. Reports through callbacks, so the edge decides what to log.
 */
export class RetentionJob {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<RetentionReport | undefined> | undefined;
  #abort = new AbortController();

  constructor(
    private readonly database: DatabaseSync,
    private readonly options: RetentionJobOptions,
  ) {}

  /** Whether runs do anything: a retention period or a redaction age is set. */
  get enabled(): boolean {
    return this.options.retentionDays > 0 || this.options.redactAfterDays > 0;
  }

  /** Schedules the first run now and the next ones every interval. */
  start(): void {
    if (!this.enabled) return;
    this.#schedule(0);
  }

  /**
   * Runs retention now, after any run in progress, and resolves with its
   * report; undefined once the job is stopped. Errors reach `onFailed` and
   * the returned promise alike.
   */
  async runOnce(): Promise<RetentionReport | undefined> {
    await this.#running?.catch(() => undefined);
    if (this.#abort.signal.aborted) return undefined;

    const run = this.#run();
    this.#running = run;
    try {
      return await run;
    } finally {
      if (this.#running === run) this.#running = undefined;
    }
  }

  /** Cancels the timer and waits for a run in progress to end its batch. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
  }

  async #run(): Promise<RetentionReport> {
    try {
      const report = await runRetention(this.database, {
        ...this.options,
        signal: this.#abort.signal,
      });
      this.options.onFinished?.(report);
      return report;
    } catch (error) {
      this.options.onFailed?.(error);
      throw error;
    }
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(async () => {
      await this.runOnce().catch(() => undefined);
      if (!this.#abort.signal.aborted) {
        this.#schedule(this.options.intervalMs ?? RETENTION_INTERVAL_MS);
      }
    }, delayMs);
  }
}
