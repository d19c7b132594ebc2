import type { ServerObserver, WebhookRecord } from "./http/app_context.ts";
import { logger } from "./log.ts";
import type { ServerMetrics } from "./metrics/server_metrics.ts";

/**
 * Turns what the routes report into log lines. This is the one place where
 * webhook outcomes become logs; metrics hook in here too.
 */
export function createObserver(): ServerObserver {
  const log = logger("http");
  const delivery = logger("delivery");
  const retention = logger("retention");
  const admin = logger("admin");
  return {
    attemptFinished(report) {
      const fields = {
        delivery_id: report.deliveryId,
        event_id: report.eventId,
        destination: report.destination,
        attempt: report.attempt,
        status: report.status,
        duration_ms: Math.round(report.durationMs),
        error: report.error,
        next_attempt_at: report.nextAttemptAt === undefined
          ? undefined
          : new Date(report.nextAttemptAt).toISOString(),
      };
      if (report.outcome === "succeeded") {
        delivery.info("delivery succeeded", fields);
      } else if (report.outcome === "retry") {
        delivery.info("delivery failed, will retry", fields);
      } else delivery.warn("delivery dead", fields);
    },
    breakerChanged(change) {
      const fields = {
        destination: change.destination,
        from: change.from,
        to: change.to,
      };
      if (change.to === "open") delivery.warn("circuit breaker opened", fields);
      else delivery.info("circuit breaker state changed", fields);
    },
    leasesRecovered(count) {
      delivery.info("expired leases returned to pending", { count });
    },
    deliveriesReleased(count) {
      delivery.info("deliveries in flight returned to pending at shutdown", {
        count,
      });
    },
    loopFailed(error) {
      delivery.error("delivery worker error", { error: String(error) });
    },
    retentionFinished(report) {
      retention.info("retention purge finished", {
        events: report.events,
        deliveries: report.deliveries,
        attempts: report.attempts,
        audio: report.audio,
        redacted: report.redacted,
        kept_events: report.keptEvents,
        duration_ms: Math.round(report.durationMs),
      });
    },
    retentionFailed(error) {
      retention.error("retention purge failed", { error: String(error) });
    },
    adminSignIn(record) {
      const fields = {
        outcome: record.outcome,
        client_address: record.clientAddress,
      };
      if (record.outcome === "signed_in" || record.outcome === "signed_out") {
        admin.info("admin session changed", fields);
      } else admin.warn("admin sign-in failed", fields);
    },
    webhookHandled(record: WebhookRecord) {
      const fields = {
        route: record.route,
        type: record.type,
        outcome: record.outcome,
        status: record.status,
        duration_ms: Math.round(record.durationMs * 10) / 10,
        event_id: record.eventId,
        caller: record.caller,
        reason: record.reason,
        error: record.error === undefined ? undefined : String(record.error),
      };
      if (record.status >= 500) log.error("webhook handled", fields);
      else if (record.status >= 400) log.warn("webhook handled", fields);
      else log.info("webhook handled", fields);
    },
  };
}

/**
 * Wraps an observer so every callback also updates `metrics`, before the
 * wrapped observer runs. `startServer` wraps whatever observer it gets, so
 * tests scrape the same numbers a running process does.
 */
export function withMetrics(
  observer: ServerObserver,
  metrics: ServerMetrics,
): ServerObserver {
  return {
    // Callbacks that have no metric pass through unchanged.
    ...observer,
    webhookHandled(record) {
      metrics.webhookHandled(record);
      observer.webhookHandled(record);
    },
    attemptFinished(report) {
      metrics.attemptFinished(report);
      observer.attemptFinished?.(report);
    },
    breakerChanged(change) {
      metrics.breakerChanged(change);
      observer.breakerChanged?.(change);
    },
    leasesRecovered(count) {
      metrics.leasesRecovered(count);
      observer.leasesRecovered?.(count);
    },
    loopFailed(error) {
      metrics.workerFailed();
      observer.loopFailed?.(error);
    },
  };
}
