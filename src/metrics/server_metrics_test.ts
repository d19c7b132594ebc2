import assert from "node:assert/strict";
import type { BreakerStatus } from "../delivery/worker.ts";
import type { QueueCount } from "../store/delivery_queue.ts";
import { ServerMetrics } from "./server_metrics.ts";

const NOW = 1_767_600_000_000;

function createMetrics(options: {
  destinations?: string[];
  queueCounts?: QueueCount[];
  breakers?: BreakerStatus[];
} = {}): ServerMetrics {
  return new ServerMetrics({
    version: "1.2.3",
    destinations: options.destinations ?? [],
    now: () => NOW,
    queueCounts: () => options.queueCounts ?? [],
    breakers: () => options.breakers ?? [],
  });
}

/** Returns the sample lines of one metric name, without comments. */
function samplesOf(metrics: ServerMetrics, name: string): string[] {
  return metrics.render().split("\n").filter((line) =>
    line.startsWith(`${name}{`) || line.startsWith(`${name} `)
  );
}

Deno.test("unknown signature reason counts as other", () => {
  const metrics = createMetrics();
  metrics.webhookHandled({
    route: "conversation_init",
    outcome: "invalid_signature",
    status: 401,
    durationMs: 1,
    reason: "expired",
  });

  assert.ok(
    samplesOf(metrics, "asknewton_invalid_signature_total").includes(
      'asknewton_invalid_signature_total{route="conversation_init",reason="other"} 1',
    ),
  );
});

Deno.test("queue depth keeps removed destinations", () => {
  const metrics = createMetrics({
    destinations: ["crm"],
    queueCounts: [
      { destination: "old", state: "dead", count: 3, oldestCreatedAt: NOW },
    ],
  });

  assert.deepEqual(samplesOf(metrics, "asknewton_queue_depth"), [
    'asknewton_queue_depth{destination="crm",state="dead"} 0',
    'asknewton_queue_depth{destination="crm",state="in_flight"} 0',
    'asknewton_queue_depth{destination="crm",state="pending"} 0',
    'asknewton_queue_depth{destination="old",state="dead"} 3',
    'asknewton_queue_depth{destination="old",state="in_flight"} 0',
    'asknewton_queue_depth{destination="old",state="pending"} 0',
  ]);
});

Deno.test("oldest pending age is in seconds", () => {
  const metrics = createMetrics({
    destinations: ["crm", "slack"],
    queueCounts: [
      {
        destination: "crm",
        state: "pending",
        count: 2,
        oldestCreatedAt: NOW - 90_500,
      },
      {
        destination: "slack",
        state: "dead",
        count: 1,
        oldestCreatedAt: NOW - 1_000_000,
      },
    ],
  });

  assert.deepEqual(
    samplesOf(metrics, "asknewton_queue_oldest_pending_age_seconds"),
    [
      'asknewton_queue_oldest_pending_age_seconds{destination="crm"} 90.5',
      'asknewton_queue_oldest_pending_age_seconds{destination="slack"} 0',
    ],
  );
});

Deno.test("circuit state marks one state per destination", () => {
  const metrics = createMetrics({
    destinations: ["crm"],
    breakers: [{
      destination: "crm",
      snapshot: {
        state: "half_open",
        consecutiveFailures: 5,
        probeInFlight: true,
      },
    }],
  });

  assert.deepEqual(samplesOf(metrics, "asknewton_circuit_state"), [
    'asknewton_circuit_state{destination="crm",state="closed"} 0',
    'asknewton_circuit_state{destination="crm",state="half_open"} 1',
    'asknewton_circuit_state{destination="crm",state="open"} 0',
  ]);
});

Deno.test("delivery counters start at zero", () => {
  const metrics = createMetrics({ destinations: ["crm"] });

  for (
    const name of [
      "asknewton_outbound_ok_total",
      "asknewton_outbound_retry_total",
      "asknewton_outbound_failed_total",
      "asknewton_circuit_open_total",
      "asknewton_queue_processed_total",
    ]
  ) {
    assert.deepEqual(samplesOf(metrics, name), [
      `${name}{destination="crm"} 0`,
    ]);
  }
});

Deno.test("key counters follow the recorders", () => {
  const metrics = createMetrics({ destinations: ["crm"] });
  const attempt = {
    deliveryId: "msg_1",
    eventId: "evt_1",
    eventType: "post_call_transcription",
    destination: "crm",
    attempt: 1,
    durationMs: 12,
  };
  metrics.attemptFinished({ ...attempt, outcome: "retry" });
  metrics.attemptFinished({ ...attempt, outcome: "retry" });
  metrics.attemptFinished({ ...attempt, outcome: "dead" });
  metrics.breakerChanged({ destination: "crm", to: "open" });
  metrics.breakerChanged({ destination: "crm", to: "half_open" });

  assert.deepEqual(metrics.keyCounters(), {
    events: 0,
    duplicates: 0,
    invalid_signatures: 0,
    outbound_ok: 0,
    outbound_retry: 2,
    outbound_failed: 1,
    circuit_opens: 1,
  });
});

Deno.test("build info carries the version", () => {
  assert.deepEqual(samplesOf(createMetrics(), "asknewton_build_info"), [
    'asknewton_build_info{version="1.2.3"} 1',
  ]);
});
