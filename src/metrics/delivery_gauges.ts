/**
 * Gauges computed at scrape time from the delivery queue and the circuit
 * breakers, so they always match the database and the worker.
 *
 * @module
 */

import type { CircuitState } from "../delivery/circuit_breaker.ts";
import type { BreakerStatus } from "../delivery/worker.ts";
import type { DeliveryState, QueueCount } from "../store/delivery_queue.ts";
import type { CollectedSample, MetricsRegistry } from "./registry.ts";

/** Sources that the delivery gauges read on every scrape. */
export interface DeliveryGaugeSources {
  /** Names of the configured destinations, which always get a sample. */
  destinations: readonly string[];
  /** Clock in Unix milliseconds, the same one the queue writes with. */
  now: () => number;
  /** Open deliveries by destination and state, as `DeliveryQueue.countOpen()` returns them. */
  queueCounts: () => readonly QueueCount[];
  /** Breaker state of every configured destination. */
  breakers: () => readonly BreakerStatus[];
}

/**
 * Delivery states that `asknewton_queue_depth` reports. `succeeded` is left
 * out because those rows only grow until retention purges them, and
 * counting them would scan the whole table on every scrape.
 */
export const OPEN_DELIVERY_STATES = [
  "pending",
  "in_flight",
  "dead",
] as const satisfies readonly DeliveryState[];

const BREAKER_STATES: Record<CircuitState, true> = {
  closed: true,
  open: true,
  half_open: true,
};

/** Every breaker state, one `asknewton_circuit_state` sample each. */
export const CIRCUIT_STATES = Object.keys(BREAKER_STATES) as CircuitState[];

/**
 * Registers `asknewton_queue_depth`, `asknewton_queue_oldest_pending_age_seconds`
 * and `asknewton_circuit_state`. Every configured destination gets a sample
 * in every state, 0 included, so a series does not vanish while its queue
 * is empty and alert rules keep their input.
 */
export function registerDeliveryGauges(
  registry: MetricsRegistry,
  sources: DeliveryGaugeSources,
): void {
  registry.gauge({
    name: "asknewton_queue_depth",
    help:
      "Deliveries by destination and state: pending, in_flight or dead. Succeeded deliveries are not counted.",
    labelNames: ["destination", "state"],
    collect: () => queueDepthSamples(sources),
  });
  registry.gauge({
    name: "asknewton_queue_oldest_pending_age_seconds",
    help:
      "Time since the oldest pending delivery of a destination was created, in seconds; 0 when none is pending.",
    labelNames: ["destination"],
    collect: () => oldestPendingSamples(sources),
  });
  registry.gauge({
    name: "asknewton_circuit_state",
    help:
      "1 for the current circuit breaker state of a destination, 0 for the other states.",
    labelNames: ["destination", "state"],
    collect: () => circuitStateSamples(sources.breakers()),
  });
}

function queueDepthSamples(
  sources: DeliveryGaugeSources,
): CollectedSample<"destination" | "state">[] {
  const counts = sources.queueCounts();

  return destinationNames(sources, counts).flatMap((destination) =>
    OPEN_DELIVERY_STATES.map((state) => ({
      labels: { destination, state },
      value: findCount(counts, destination, state)?.count ?? 0,
    }))
  );
}

/**
 * Measures age from `created_at`, so a delivery waiting out its retry
 * backoff counts as old. A replayed dead delivery keeps its `created_at`,
 * so replaying an old one raises the age until it is delivered.
 */
function oldestPendingSamples(
  sources: DeliveryGaugeSources,
): CollectedSample<"destination">[] {
  const counts = sources.queueCounts();
  const now = sources.now();

  return destinationNames(sources, counts).map((destination) => {
    const pending = findCount(counts, destination, "pending");
    const ageMs = pending === undefined ? 0 : now - pending.oldestCreatedAt;
    return { labels: { destination }, value: Math.max(0, ageMs) / 1000 };
  });
}

function circuitStateSamples(
  breakers: readonly BreakerStatus[],
): CollectedSample<"destination" | "state">[] {
  return breakers.flatMap(({ destination, snapshot }) =>
    CIRCUIT_STATES.map((state) => ({
      labels: { destination, state },
      value: snapshot.state === state ? 1 : 0,
    }))
  );
}

/**
 * Lists the configured destinations, then any other destination that still
 * has rows, such as dead deliveries of a destination removed from the
 * configuration.
 */
function destinationNames(
  sources: DeliveryGaugeSources,
  counts: readonly QueueCount[],
): string[] {
  const names = new Set(sources.destinations);
  for (const count of counts) names.add(count.destination);

  return [...names];
}

function findCount(
  counts: readonly QueueCount[],
  destination: string,
  state: DeliveryState,
): QueueCount | undefined {
  return counts.find((count) =>
    count.destination === destination && count.state === state
  );
}
