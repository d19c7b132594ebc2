/**
 * Every Prometheus metric of the server, registered on one registry, with
 * typed recorders that the edge calls from its observer callbacks.
 *
 * Label values come from bounded sets only: the event types this server
 * handles by name plus `"other"`, route and outcome unions, signature failure reasons, and
 * configured destination names. Event ids, URLs and caller numbers never
 * become labels, so a hostile sender cannot create unbounded series.
 *
 * @module
 */

import type { CircuitState } from "../delivery/circuit_breaker.ts";
import type { AttemptReport } from "../delivery/attempt.ts";
import type { WebhookRecord } from "../http/app_context.ts";
import {
  CIRCUIT_STATES,
  type DeliveryGaugeSources,
  registerDeliveryGauges,
} from "./delivery_gauges.ts";
import {
  eventTypeLabel,
  KNOWN_EVENT_TYPES,
  OTHER_VALUE,
  SIGNATURE_REASONS,
  signatureReasonLabel,
  WEBHOOK_OUTCOMES,
  WEBHOOK_ROUTES,
} from "./label_values.ts";
import { registerProcessMetrics } from "./process_metrics.ts";
import { type Counter, type Histogram, MetricsRegistry } from "./registry.ts";

/** Sources of the scrape-time gauges, and the build version. */
export interface ServerMetricsOptions extends DeliveryGaugeSources {
  /** Release version, rendered as `asknewton_build_info{version}`. */
  version: string;
}

/**
 * Totals since the process started, as `/health/resilience` shows them.
 * The keys are the JSON field names.
 */
export interface KeyCounters {
  events: number;
  duplicates: number;
  invalid_signatures: number;
  outbound_ok: number;
  outbound_retry: number;
  outbound_failed: number;
  circuit_opens: number;
}

/** Upper bounds for webhook handling time, in seconds. */
const WEBHOOK_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/**
 * Upper bounds for one delivery attempt, in seconds. The default timeout
 * is 10 s, so attempts that time out land in the 30 s bucket.
 */
const ATTEMPT_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

interface WebhookMetrics {
  requests: Counter<"route" | "outcome">;
  duration: Histogram<"route">;
  events: Counter<"type">;
  duplicates: Counter<"type">;
  invalidSignatures: Counter<"route" | "reason">;
}

interface DeliveryMetrics {
  enqueued: Counter;
  processed: Counter<"destination">;
  ok: Counter<"destination">;
  retry: Counter<"destination">;
  failed: Counter<"destination">;
  attemptDuration: Histogram<"destination">;
  circuitOpens: Counter<"destination">;
  circuitTransitions: Counter<"destination" | "to">;
  leasesRecovered: Counter;
  workerErrors: Counter;
}

/**
 * The server's metrics registry and the recorders that update it. Create
 * one per server: counters start at 0 for every known label set, so
 * `increase()` in an alert rule counts the first increment after a restart.
 *
 * @example
 * ```ts
 * import { ServerMetrics } from "./server_metrics.ts";
 *
 * const metrics = new ServerMetrics({
 *   version: "0.1.0",
 *   destinations: ["crm"],
 *   now: Date.now,
 *   queueCounts: () => [],
 *   breakers: () => [],
 * });
 * metrics.deliveriesEnqueued(1);
 * metrics.render().includes("asknewton_queue_enqueued_total 1"); // true
 * ```
 */
export class ServerMetrics {
  /** The registry behind `GET /metrics`. */
  readonly registry: MetricsRegistry = new MetricsRegistry();
  readonly #webhooks: WebhookMetrics;
  readonly #deliveries: DeliveryMetrics;
  readonly #totals: KeyCounters = {
    events: 0,
    duplicates: 0,
    invalid_signatures: 0,
    outbound_ok: 0,
    outbound_retry: 0,
    outbound_failed: 0,
    circuit_opens: 0,
  };

  constructor(options: ServerMetricsOptions) {
    registerProcessMetrics(this.registry);
    this.registry.gauge({
      name: "asknewton_build_info",
      help: "Always 1; the version label names the running release.",
      labelNames: ["version"],
    }).set({ version: options.version }, 1);
    registerDeliveryGauges(this.registry, options);

    this.#webhooks = registerWebhookMetrics(this.registry);
    this.#deliveries = registerDeliveryMetrics(
      this.registry,
      options.destinations,
    );
  }

  /** Counts one request that reached a webhook handler, and times it. */
  webhookHandled(record: WebhookRecord): void {
    const { route, outcome } = record;
    this.#webhooks.requests.inc({ route, outcome });
    this.#webhooks.duration.observe({ route }, record.durationMs / 1000);

    const type = eventTypeLabel(record.type);
    if (outcome === "stored") {
      this.#webhooks.events.inc({ type });
      this.#totals.events++;
    } else if (outcome === "duplicate") {
      this.#webhooks.duplicates.inc({ type });
      this.#totals.duplicates++;
    } else if (outcome === "invalid_signature") {
      const reason = signatureReasonLabel(route, record.reason);
      this.#webhooks.invalidSignatures.inc({ route, reason });
      this.#totals.invalid_signatures++;
    }
  }

  /** Counts one finished delivery attempt by its outcome, and times it. */
  attemptFinished(report: AttemptReport): void {
    const destination = { destination: report.destination };
    const metrics = this.#deliveries;
    metrics.attemptDuration.observe(destination, report.durationMs / 1000);

    if (report.outcome === "succeeded") {
      metrics.ok.inc(destination);
      metrics.processed.inc(destination);
      this.#totals.outbound_ok++;
    } else if (report.outcome === "retry") {
      metrics.retry.inc(destination);
      this.#totals.outbound_retry++;
    } else {
      metrics.failed.inc(destination);
      metrics.processed.inc(destination);
      this.#totals.outbound_failed++;
    }
  }

  /** Counts a circuit breaker transition, and each opening on its own. */
  breakerChanged(change: { destination: string; to: CircuitState }): void {
    const { destination, to } = change;
    this.#deliveries.circuitTransitions.inc({ destination, to });
    if (to === "open") {
      this.#deliveries.circuitOpens.inc({ destination });
      this.#totals.circuit_opens++;
    }
  }

  /** Counts deliveries put in the queue by a commit or a replay. */
  deliveriesEnqueued(count: number): void {
    this.#deliveries.enqueued.inc(count);
  }

  /** Counts in-flight deliveries whose lease expired and went back to pending. */
  leasesRecovered(count: number): void {
    this.#deliveries.leasesRecovered.inc(count);
  }

  /** Counts one unexpected error inside the delivery worker loop. */
  workerFailed(): void {
    this.#deliveries.workerErrors.inc();
  }

  /** Returns a copy of the totals `/health/resilience` shows. */
  keyCounters(): KeyCounters {
    return { ...this.#totals };
  }

  /** Renders every metric in the Prometheus text format 0.0.4. */
  render(): string {
    return this.registry.render();
  }
}

function registerWebhookMetrics(registry: MetricsRegistry): WebhookMetrics {
  const metrics: WebhookMetrics = {
    requests: registry.counter({
      name: "asknewton_webhook_requests_total",
      help: "Requests that reached a webhook handler, by route and outcome.",
      labelNames: ["route", "outcome"],
    }),
    duration: registry.histogram({
      name: "asknewton_webhook_duration_seconds",
      help:
        "Time from receiving a webhook request to its answer, by route, in seconds.",
      labelNames: ["route"],
      buckets: WEBHOOK_BUCKETS,
    }),
    events: registry.counter({
      name: "asknewton_events_total",
      help:
        'New events stored, by type; types this server does not know count as "other".',
      labelNames: ["type"],
    }),
    duplicates: registry.counter({
      name: "asknewton_duplicates_total",
      help:
        "Webhooks answered as duplicates of a stored event, which changed nothing.",
      labelNames: ["type"],
    }),
    invalidSignatures: registry.counter({
      name: "asknewton_invalid_signature_total",
      help:
        "Webhooks rejected with 401 because no signature or secret matched, by route and reason.",
      labelNames: ["route", "reason"],
    }),
  };

  for (const type of [...KNOWN_EVENT_TYPES, OTHER_VALUE]) {
    metrics.events.inc({ type }, 0);
    metrics.duplicates.inc({ type }, 0);
  }
  for (const route of WEBHOOK_ROUTES) {
    for (const outcome of WEBHOOK_OUTCOMES) {
      metrics.requests.inc({ route, outcome }, 0);
    }
    for (const reason of SIGNATURE_REASONS[route]) {
      metrics.invalidSignatures.inc({ route, reason }, 0);
    }
  }

  return metrics;
}

function registerDeliveryMetrics(
  registry: MetricsRegistry,
  destinations: readonly string[],
): DeliveryMetrics {
  const perDestination = (name: string, help: string) =>
    registry.counter({ name, help, labelNames: ["destination"] });
  const metrics: DeliveryMetrics = {
    enqueued: registry.counter({
      name: "asknewton_queue_enqueued_total",
      help:
        "Deliveries put in the queue: one per destination of each new event, plus replays.",
    }),
    processed: perDestination(
      "asknewton_queue_processed_total",
      "Deliveries that left the queue for good, as succeeded or dead.",
    ),
    ok: perDestination(
      "asknewton_outbound_ok_total",
      "Delivery attempts that the destination answered with 2xx.",
    ),
    retry: perDestination(
      "asknewton_outbound_retry_total",
      "Failed delivery attempts that will be retried later.",
    ),
    failed: perDestination(
      "asknewton_outbound_failed_total",
      "Deliveries that went dead: the last attempt failed or the error was permanent.",
    ),
    attemptDuration: registry.histogram({
      name: "asknewton_delivery_attempt_duration_seconds",
      help: "Duration of one delivery attempt, by destination, in seconds.",
      labelNames: ["destination"],
      buckets: ATTEMPT_BUCKETS,
    }),
    circuitOpens: perDestination(
      "asknewton_circuit_open_total",
      "Times a destination's circuit breaker opened.",
    ),
    circuitTransitions: registry.counter({
      name: "asknewton_circuit_transitions_total",
      help:
        "Circuit breaker state changes, by destination and the state entered.",
      labelNames: ["destination", "to"],
    }),
    leasesRecovered: registry.counter({
      name: "asknewton_queue_leases_recovered_total",
      help:
        "In-flight deliveries whose lease expired, for example after a crash, returned to pending.",
    }),
    workerErrors: registry.counter({
      name: "asknewton_delivery_worker_errors_total",
      help:
        "Unexpected errors inside the delivery worker loop; the loop carries on.",
    }),
  };

  for (const destination of destinations) {
    const counters = [
      metrics.processed,
      metrics.ok,
      metrics.retry,
      metrics.failed,
      metrics.circuitOpens,
    ];
    for (const counter of counters) counter.inc({ destination }, 0);
    for (const to of CIRCUIT_STATES) {
      metrics.circuitTransitions.inc({ destination, to }, 0);
    }
  }

  return metrics;
}
