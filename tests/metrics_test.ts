import assert from "node:assert/strict";
import { runPromtool } from "../scripts/promtool.ts";
import { CONTENT_TYPE } from "../src/metrics/registry.ts";
import { VERSION } from "../src/version.ts";
import {
  startDestination,
  type TestDestination,
} from "./support/destination.ts";
import {
  INIT_SECRET,
  readFixture,
  transcriptionFor,
} from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const ALERT_RULES = new URL("../docs/alerts.yml", import.meta.url).pathname;
const TRANSCRIPTION = 'asknewton_events_total{type="post_call_transcription"}';
const END_STORED =
  'asknewton_webhook_requests_total{route="conversation_end",outcome="stored"}';

/** Creates a fake clock that tests move by hand. */
function fakeClock() {
  let nowMs = Date.UTC(2026, 0, 5, 9, 0, 0);
  return {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

/**
 * Runs `run` against a server with a fake clock and one loopback
 * destination named `crm`, configured with `settings`.
 */
async function withCrm(
  settings: Record<string, unknown>,
  run: (
    server: TestServer,
    crm: TestDestination,
    clock: ReturnType<typeof fakeClock>,
  ) => Promise<void>,
): Promise<void> {
  const clock = fakeClock();
  const crm = startDestination();
  const server = await startTestServer({
    now: clock.now,
    random: () => 0,
    destinations: [{ name: "crm", kind: "http", url: crm.url, ...settings }],
  });
  try {
    await run(server, crm, clock);
  } finally {
    await server.close();
    await crm.close();
  }
}

/** Runs `run` against a server with a fake clock and no destinations. */
async function withServer(
  run: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer({ now: fakeClock().now });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

async function scrapeText(server: TestServer): Promise<string> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  return await response.text();
}

/** Scrapes `/metrics` into a map from series (name and labels) to value. */
async function scrape(server: TestServer): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await scrapeText(server)).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/**
 * Lists the `asknewton_*_total` series whose value changed between two
 * scrapes, with the change, so a test can show that nothing else moved.
 */
function counterChanges(
  before: Map<string, number>,
  after: Map<string, number>,
): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const [series, value] of after) {
    const name = series.split("{")[0];
    if (!name.startsWith("asknewton_") || !name.endsWith("_total")) continue;
    const change = value - (before.get(series) ?? 0);
    if (change !== 0) changes[series] = change;
  }
  return changes;
}

/** Reads one series, failing with its name when it is not in the scrape. */
function valueOf(samples: Map<string, number>, series: string): number {
  const value = samples.get(series);
  assert.notEqual(value, undefined, `${series} is missing from /metrics`);
  return value!;
}

Deno.test("metrics answer Prometheus text", async () => {
  await withServer(async (server) => {
    const response = await fetch(`${server.url}/metrics`);
    const text = await response.text();

    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), CONTENT_TYPE);
    assert.ok(text.endsWith("\n"));
    assert.match(
      text,
      new RegExp(`^asknewton_build_info\\{version="${VERSION}"\\} 1$`, "m"),
    );
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
  });
});

Deno.test("new event adds one to events_total", async () => {
  await withServer(async (server) => {
    const before = await scrape(server);
    const response = await server.postFixture("post_call_transcription.json");
    await response.body?.cancel();
    const after = await scrape(server);

    assert.equal(response.status, 200);
    assert.deepEqual(counterChanges(before, after), {
      [TRANSCRIPTION]: 1,
      [END_STORED]: 1,
    });
  });
});

Deno.test("duplicate moves only duplicates_total", async () => {
  await withServer(async (server) => {
    const first = await server.postFixture("post_call_transcription.json");
    await first.body?.cancel();
    const before = await scrape(server);
    const repeat = await server.postFixture("post_call_transcription.json");
    const answer = await repeat.json();
    const after = await scrape(server);

    assert.equal(answer.duplicate, true);
    assert.deepEqual(counterChanges(before, after), {
      'asknewton_duplicates_total{type="post_call_transcription"}': 1,
      'asknewton_webhook_requests_total{route="conversation_end",outcome="duplicate"}':
        1,
    });
  });
});

Deno.test("bad signature counts its reason", async () => {
  await withServer(async (server) => {
    const before = await scrape(server);
    const wrong = await server.postEnd("{}", {
      "elevenlabs-signature": `t=${
        Math.floor(server.context.now() / 1000)
      },v0=${"0".repeat(64)}`,
    });
    await wrong.body?.cancel();
    const after = await scrape(server);

    assert.equal(wrong.status, 401);
    assert.deepEqual(counterChanges(before, after), {
      'asknewton_invalid_signature_total{route="conversation_end",reason="mismatch"}':
        1,
      'asknewton_webhook_requests_total{route="conversation_end",outcome="invalid_signature"}':
        1,
    });
  });
});

Deno.test("initiation request counts its own type", async () => {
  await withServer(async (server) => {
    const before = await scrape(server);
    const response = await fetch(
      `${server.url}/webhooks/eleven/conversation-init`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${INIT_SECRET}` },
        body: await readFixture("conversation_init_request.json"),
      },
    );
    await response.body?.cancel();
    const after = await scrape(server);

    assert.equal(response.status, 200);
    assert.deepEqual(counterChanges(before, after), {
      'asknewton_events_total{type="conversation_initiation"}': 1,
      'asknewton_webhook_requests_total{route="conversation_init",outcome="stored"}':
        1,
    });
  });
});

Deno.test("unknown types share the other label", async () => {
  await withServer(async (server) => {
    const hostileType = 'mallory "quoted"\\path\nline';
    const before = await scrape(server);
    for (
      const body of [
        await readFixture("unknown_type.json"),
        JSON.stringify({ type: hostileType, data: {} }),
      ]
    ) {
      const response = await server.postEnd(body);
      await response.body?.cancel();
      assert.equal(response.status, 200);
    }
    const text = await scrapeText(server);
    const after = await scrape(server);

    assert.equal(
      counterChanges(before, after)['asknewton_events_total{type="other"}'],
      2,
    );
    assert.equal(text.includes("agent_qa"), false);
    assert.equal(text.includes("mallory"), false);
  });
});

Deno.test("delivered attempt adds one to outbound_ok", async () => {
  await withCrm({}, async (server) => {
    const before = await scrape(server);
    const response = await server.postFixture("post_call_transcription.json");
    await response.body?.cancel();
    await server.context.worker.settle();
    const after = await scrape(server);

    assert.deepEqual(counterChanges(before, after), {
      [TRANSCRIPTION]: 1,
      [END_STORED]: 1,
      "asknewton_queue_enqueued_total": 1,
      'asknewton_outbound_ok_total{destination="crm"}': 1,
      'asknewton_queue_processed_total{destination="crm"}': 1,
    });
    assert.equal(
      valueOf(
        after,
        'asknewton_delivery_attempt_duration_seconds_count{destination="crm"}',
      ),
      1,
    );
  });
});

Deno.test("retried attempt adds one to outbound_retry", async () => {
  const backoff = { baseMs: 60_000, capMs: 3_600_000 };
  await withCrm({ backoff }, async (server, crm, clock) => {
    crm.script({ status: 500 });
    const before = await scrape(server);
    const response = await server.postFixture("post_call_transcription.json");
    await response.body?.cancel();
    await server.context.worker.settle();
    const afterFailure = await scrape(server);

    assert.deepEqual(counterChanges(before, afterFailure), {
      [TRANSCRIPTION]: 1,
      [END_STORED]: 1,
      "asknewton_queue_enqueued_total": 1,
      'asknewton_outbound_retry_total{destination="crm"}': 1,
    });

    // random() = 0 puts the retry at half the base delay: 30 s from now.
    clock.advance(30_000);
    await server.context.worker.settle();
    const afterRetry = await scrape(server);

    assert.deepEqual(counterChanges(afterFailure, afterRetry), {
      'asknewton_outbound_ok_total{destination="crm"}': 1,
      'asknewton_queue_processed_total{destination="crm"}': 1,
    });
  });
});

Deno.test("dead delivery adds one to outbound_failed", async () => {
  await withCrm({}, async (server, crm) => {
    crm.setDefault({ status: 410 });
    const before = await scrape(server);
    const response = await server.postFixture("post_call_transcription.json");
    await response.body?.cancel();
    await server.context.worker.settle();
    const afterDead = await scrape(server);

    assert.deepEqual(counterChanges(before, afterDead), {
      [TRANSCRIPTION]: 1,
      [END_STORED]: 1,
      "asknewton_queue_enqueued_total": 1,
      'asknewton_outbound_failed_total{destination="crm"}': 1,
      'asknewton_queue_processed_total{destination="crm"}': 1,
    });
    assert.equal(
      valueOf(
        afterDead,
        'asknewton_queue_depth{destination="crm",state="dead"}',
      ),
      1,
    );

    crm.setDefault({ status: 200 });
    const replay = await server.admin("/admin/replay-failed", {
      method: "POST",
    });
    await replay.body?.cancel();
    await server.context.worker.settle();
    const afterReplay = await scrape(server);

    assert.deepEqual(counterChanges(afterDead, afterReplay), {
      "asknewton_queue_enqueued_total": 1,
      'asknewton_outbound_ok_total{destination="crm"}': 1,
      'asknewton_queue_processed_total{destination="crm"}': 1,
    });
  });
});

Deno.test("queue gauges match the database", async () => {
  const backoff = { baseMs: 60_000, capMs: 3_600_000 };
  await withCrm({ backoff }, async (server, crm, clock) => {
    crm.setDefault({ status: 500 });
    for (const conversationId of ["q1", "q2"]) {
      const response = await server.postEnd(
        await transcriptionFor({ conversationId }),
      );
      await response.body?.cancel();
    }
    await server.context.worker.settle();
    clock.advance(12_000);
    const samples = await scrape(server);
    const pendingRows = server.database.prepare(
      "SELECT count(*) AS n FROM deliveries WHERE state = 'pending'",
    ).get();

    assert.equal(Number(pendingRows?.n), 2);
    assert.equal(
      valueOf(
        samples,
        'asknewton_queue_depth{destination="crm",state="pending"}',
      ),
      2,
    );
    assert.equal(
      valueOf(
        samples,
        'asknewton_queue_depth{destination="crm",state="in_flight"}',
      ),
      0,
    );
    assert.equal(
      valueOf(samples, 'asknewton_queue_depth{destination="crm",state="dead"}'),
      0,
    );
    assert.equal(
      valueOf(
        samples,
        'asknewton_queue_oldest_pending_age_seconds{destination="crm"}',
      ),
      12,
    );
  });
});

Deno.test("open breaker shows state open", async () => {
  const breaker = { failureThreshold: 1, cooldownMs: 600_000 };
  await withCrm({ breaker }, async (server, crm) => {
    crm.setDefault({ status: 503 });
    const before = await scrape(server);
    const response = await server.postFixture("post_call_transcription.json");
    await response.body?.cancel();
    await server.context.worker.settle();
    const after = await scrape(server);
    const state = (name: string) =>
      valueOf(
        after,
        `asknewton_circuit_state{destination="crm",state="${name}"}`,
      );

    assert.equal(state("open"), 1);
    assert.equal(state("closed"), 0);
    assert.equal(state("half_open"), 0);
    assert.deepEqual(counterChanges(before, after), {
      [TRANSCRIPTION]: 1,
      [END_STORED]: 1,
      "asknewton_queue_enqueued_total": 1,
      'asknewton_outbound_retry_total{destination="crm"}': 1,
      'asknewton_circuit_open_total{destination="crm"}': 1,
      'asknewton_circuit_transitions_total{destination="crm",to="open"}': 1,
    });
  });
});

Deno.test("histograms are cumulative", async () => {
  await withServer(async (server) => {
    for (const conversationId of ["h1", "h2", "h3"]) {
      const response = await server.postEnd(
        await transcriptionFor({ conversationId }),
      );
      await response.body?.cancel();
    }
    const unsigned = await server.postEnd("{}", { "elevenlabs-signature": "" });
    await unsigned.body?.cancel();
    const lines = (await scrapeText(server)).split("\n");
    const prefix =
      'asknewton_webhook_duration_seconds_bucket{route="conversation_end",';
    const buckets = lines.filter((line) => line.startsWith(prefix));
    const counts = buckets.map((line) => Number(line.split(" ")[1]));
    const countLine = lines.find((line) =>
      line.startsWith(
        'asknewton_webhook_duration_seconds_count{route="conversation_end"} ',
      )
    );

    assert.match(buckets.at(-1)!, /le="\+Inf"\} 4$/);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
    assert.equal(countLine?.split(" ")[1], "4");
  });
});

Deno.test("expired leases are counted at start", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-test-" });
  const crm = startDestination();
  const destinations = [{ name: "crm", kind: "http", url: crm.url }];
  try {
    const first = await startTestServer({ folder, destinations });
    crm.setDefault({ status: 500 });
    const response = await first.postFixture("post_call_transcription.json");
    await response.body?.cancel();
    await first.context.worker.settle();
    first.database.exec(
      "UPDATE deliveries SET state = 'in_flight', lease_expires_at = 0",
    );
    await first.close();

    const second = await startTestServer({ folder, destinations });
    try {
      const samples = await scrape(second);
      assert.equal(
        valueOf(samples, "asknewton_queue_leases_recovered_total"),
        1,
      );
    } finally {
      await second.close();
    }
  } finally {
    await crm.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("retry works without injected randomness", async () => {
  const crm = startDestination();
  crm.script({ status: 500 });
  const server = await startTestServer({
    destinations: [{ name: "crm", kind: "http", url: crm.url }],
  });
  try {
    const response = await server.postFixture("post_call_transcription.json");
    await response.body?.cancel();
    await server.context.worker.settle();
    const samples = await scrape(server);

    assert.equal(
      valueOf(samples, 'asknewton_outbound_retry_total{destination="crm"}'),
      1,
    );
    assert.equal(
      valueOf(samples, "asknewton_delivery_worker_errors_total"),
      0,
    );
  } finally {
    await server.close();
    await crm.close();
  }
});

Deno.test("resilience shows key counters", async () => {
  await withServer(async (server) => {
    for (const _ of [1, 2]) {
      const response = await server.postFixture("post_call_transcription.json");
      await response.body?.cancel();
    }
    const unsigned = await server.postEnd("{}", { "elevenlabs-signature": "" });
    await unsigned.body?.cancel();
    const response = await fetch(`${server.url}/health/resilience`);
    const health = await response.json();

    assert.equal(response.status, 200);
    assert.deepEqual(health.counters, {
      events: 1,
      duplicates: 1,
      invalid_signatures: 1,
      outbound_ok: 0,
      outbound_retry: 0,
      outbound_failed: 0,
      circuit_opens: 0,
    });
  });
});

Deno.test("scrape passes promtool check metrics", async () => {
  const breaker = { failureThreshold: 1, cooldownMs: 600_000 };
  await withCrm({ breaker }, async (server, crm) => {
    crm.setDefault({ status: 503 });
    for (
      const body of [
        await readFixture("post_call_transcription.json"),
        await readFixture("unknown_type.json"),
        JSON.stringify({ type: 'quote" back\\slash\nline', data: {} }),
      ]
    ) {
      const response = await server.postEnd(body);
      await response.body?.cancel();
    }
    const unsigned = await server.postEnd("{}", { "elevenlabs-signature": "" });
    await unsigned.body?.cancel();
    await server.context.worker.settle();
    const result = await runPromtool(
      ["check", "metrics"],
      await scrapeText(server),
    );

    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
  });
});

Deno.test("alert rules pass promtool check rules", async () => {
  const result = await runPromtool([
    "check",
    "rules",
    "--lint=all",
    "--lint-fatal",
    ALERT_RULES,
  ]);

  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /SUCCESS: 4 rules found/);
});
