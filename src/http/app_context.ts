import type { DatabaseSync } from "node:sqlite";
import type { DatabaseLock } from "../store/database_lock.ts";
import type { Config } from "../config.ts";
import type { Destination } from "../destinations.ts";
import type { InitData } from "../init_data.ts";
import type { EventWriter } from "../store/event_writer.ts";
import type { DeliveryQueue } from "../store/delivery_queue.ts";
import type { DeliveryWorker, WorkerEvents } from "../delivery/worker.ts";
import type { RetentionReport } from "../store/retention.ts";
import type { ServerMetrics } from "../metrics/server_metrics.ts";

/** Outcome of a webhook request, also used as a metric label value. */
export type WebhookOutcome =
  | "stored"
  | "duplicate"
  | "invalid_signature"
  | "invalid_body"
  | "too_large"
  | "disabled"
  | "unavailable"
  | "error";

/** One handled webhook request, as the edge logs and counts it. */
export interface WebhookRecord {
  route: "conversation_end" | "conversation_init";
  outcome: WebhookOutcome;
  status: number;
  durationMs: number;
  type?: string;
  eventId?: string;
  /** Already masked. */
  caller?: string;
  /** Reason a request was rejected, in words safe to log. */
  reason?: string;
  error?: unknown;
}

/** Outcome of a request to the admin sign-in or sign-out form. */
export interface AdminSignInRecord {
  outcome: "signed_in" | "wrong_token" | "rate_limited" | "signed_out";
  /** The client's IP address as the socket reports it. */
  clientAddress: string;
}

/**
 * Callbacks through which routes and the delivery worker report what
 * happened; the edge turns them into log lines and metrics.
 */
export interface ServerObserver extends WorkerEvents {
  webhookHandled(record: WebhookRecord): void;
  /** A retention run (purge and redaction) finished. */
  retentionFinished?(report: RetentionReport): void;
  /** A retention run failed; the next one is still scheduled. */
  retentionFailed?(error: unknown): void;
  /** Someone signed in or out of the admin pages, or failed to sign in. */
  adminSignIn?(record: AdminSignInRecord): void;
}

/** Everything the routes need, built once at start. */
export interface AppContext {
  config: Config;
  database: DatabaseSync;
  /** Held while the server runs, so no second server uses the file. */
  lock: DatabaseLock;
  writer: EventWriter;
  endKeys: CryptoKey[];
  initKeys: CryptoKey[];
  initData: InitData;
  destinations: Destination[];
  queue: DeliveryQueue;
  worker: DeliveryWorker;
  /** Unix milliseconds; injected so tests control time. */
  now: () => number;
  observer: ServerObserver;
  /** Metrics behind `GET /metrics`, which the observer updates for webhooks and attempts. */
  metrics: ServerMetrics;
}
