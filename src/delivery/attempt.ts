import type { Destination } from "../destinations.ts";
import type {
  AttemptRecord,
  AttemptResolution,
  ClaimedDelivery,
} from "../store/delivery_queue.ts";
import { retryDelayMs } from "./backoff.ts";
import {
  type AttemptOutcome,
  classifyStatus,
  parseRetryAfter,
} from "./classify.ts";
import type { OutboundRequest, TransportResult } from "./http_transport.ts";
import { buildOutboundRequest } from "./outbound_request.ts";

/** Outcome of one attempt, as the worker reports it to the edge. */
export interface AttemptReport {
  deliveryId: string;
  eventId: string;
  eventType: string;
  destination: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** `retry` means the delivery went back to `pending` for later. */
  outcome: "succeeded" | "retry" | "dead";
  status?: number;
  error?: string;
  durationMs: number;
  /** When the next attempt is due, for `retry`; Unix ms. */
  nextAttemptAt?: number;
}

/** Sends one request; the real HTTP client unless a test replaces it. */
export type SendRequest = (
  request: OutboundRequest,
  timeoutMs: number,
  signal: AbortSignal,
) => Promise<TransportResult>;

/** Inputs of one attempt. */
export interface AttemptInput {
  destination: Destination;
  delivery: ClaimedDelivery;
  /** Unix milliseconds. */
  now: () => number;
  /** Randomness for backoff jitter, in [0, 1). */
  random: () => number;
  send: SendRequest;
  /** Aborted at shutdown. */
  signal: AbortSignal;
}

/**
 * Result of one attempt: aborted by shutdown (nothing to record), or
 * finished, with the row to write and the report for the edge.
 */
export type AttemptResult =
  | { aborted: true }
  | {
    aborted: false;
    outcome: AttemptOutcome;
    record: AttemptRecord;
    resolution: AttemptResolution;
    report: AttemptReport;
  };

/**
 * Sends one delivery and decides what happens to it next: succeeded, dead,
 * or pending again after a backoff that honours `Retry-After`.
 */
export async function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  const { destination, delivery, now } = input;
  const startedAt = now();
  const started = performance.now();
  const built = buildRequest(destination, delivery, startedAt);
  const result: TransportResult = typeof built === "string"
    ? { error: built }
    : await input.send(built, destination.timeoutMs, input.signal);
  const durationMs = performance.now() - started;
  if (result.aborted) return { aborted: true };

  const attempt = delivery.attempts + 1;
  const outcome: AttemptOutcome = typeof built === "string"
    ? "permanent"
    : result.status === undefined
    ? "retry"
    : classifyStatus(result.status);
  const resolution = resolveAttempt(
    destination,
    attempt,
    outcome,
    parseRetryAfter(result.retryAfter ?? null, now()),
    now(),
    input.random,
  );
  const error = result.error ??
    (outcome === "success" ? undefined : `HTTP ${result.status}`);

  return {
    aborted: false,
    outcome,
    record: {
      deliveryId: delivery.id,
      attempt,
      startedAt,
      durationMs,
      status: result.status,
      error,
      responseExcerpt: result.responseExcerpt,
    },
    resolution,
    report: {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      destination: destination.name,
      attempt,
      outcome: resolution.state === "pending" ? "retry" : resolution.state,
      status: result.status,
      error,
      durationMs,
      nextAttemptAt: resolution.state === "pending"
        ? resolution.nextAttemptAt
        : undefined,
    },
  };
}

/**
 * Decides a delivery's next state after attempt number `attempt`: dead
 * after a permanent error or the destination's last attempt, otherwise
 * pending again after the backoff.
 */
export function resolveAttempt(
  destination: Destination,
  attempt: number,
  outcome: AttemptOutcome,
  retryAfterMs: number | undefined,
  nowMs: number,
  random: () => number,
): AttemptResolution {
  if (outcome === "success") return { state: "succeeded" };
  if (outcome === "permanent" || attempt >= destination.maxAttempts) {
    return { state: "dead" };
  }

  const delayMs = retryDelayMs(
    attempt,
    destination.backoff,
    random,
    retryAfterMs,
  );
  return { state: "pending", nextAttemptAt: nowMs + delayMs };
}

/**
 * Builds the request, or returns why it cannot be built. Such a delivery
 * can never succeed, so it counts as a permanent error instead of letting
 * its lease expire and being retried forever.
 */
function buildRequest(
  destination: Destination,
  delivery: ClaimedDelivery,
  nowMs: number,
): OutboundRequest | string {
  try {
    return buildOutboundRequest(destination, delivery, nowMs) ??
      `${destination.kind} does not take ${delivery.eventType} events`;
  } catch (error) {
    return `failed to build the request: ${(error as Error).message}`;
  }
}
