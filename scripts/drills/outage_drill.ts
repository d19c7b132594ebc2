/**
 * Drill: a destination goes down (its port closed) and comes back. The
 * breaker must open, no attempt may start while it is open, and every
 * delivery must succeed after the destination returns. Short cooldowns keep
 * the drill to a few seconds of real time.
 */
import type { ProductProcess } from "../product_process.ts";
import { transcriptionEvents } from "../signed_events.ts";
import { waitFor } from "../wait_for.ts";
import {
  countUnfinished,
  DrillBench,
  postEvent,
  readDatabase,
} from "./drill_server.ts";

/** Sizes of the outage drill. */
export interface OutageDrillOptions {
  events: number;
  /** The destination comes back after the breaker opened this often. */
  opensWhileDown: number;
  cooldownMs: number;
}

/** Findings of the outage drill. */
export interface OutageDrillReport {
  /** Times the breaker moved to `open`. */
  opens: number;
  attempts: number;
  failedAttempts: number;
  /** Attempts that started while the breaker was open: must be 0. */
  attemptsWhileOpen: number;
  unfinishedDeliveries: number;
  deliveriesArrived: number;
  /** Breaker state from `/health/resilience` at the end. */
  finalBreakerState: string;
}

interface Transition {
  atMs: number;
  to: string;
}

/** Runs the drill; see the file comment. */
export async function runOutageDrill(
  options: OutageDrillOptions,
): Promise<OutageDrillReport> {
  const bench = new DrillBench();
  await bench.open();
  await bench.destination.stop();
  try {
    const server = await bench.spawn({
      destination: {
        timeoutMs: 1_000,
        maxAttempts: 100,
        concurrency: 4,
        backoff: { baseMs: 20, capMs: options.cooldownMs },
        breaker: { failureThreshold: 3, cooldownMs: options.cooldownMs },
      },
      keepLine: (line) => line.includes('"circuit breaker'),
    });
    let finalBreakerState: string;
    try {
      finalBreakerState = await downThenUp(bench, server, options);
    } finally {
      await server.stop();
    }

    const attempts = readDatabase(
      bench.dbPath(),
      (database) =>
        database.prepare("SELECT started_at, status FROM outbound_attempts")
          .all().map((row) => ({
            startedAt: Number(row.started_at),
            succeeded: row.status === 200,
          })),
    );
    const transitions = server.lines.map(parseTransition);
    return {
      opens: transitions.filter((t) => t.to === "open").length,
      attempts: attempts.length,
      failedAttempts: attempts.filter((a) => !a.succeeded).length,
      attemptsWhileOpen: countStartedWhileOpen(
        attempts.map((a) => a.startedAt),
        transitions,
      ),
      unfinishedDeliveries: countUnfinished(bench.dbPath()),
      deliveriesArrived: bench.destination.arrivals.length,
      finalBreakerState,
    };
  } finally {
    await bench.close();
  }
}

/**
 * Posts events while the destination is down, brings it back once the
 * breaker opened often enough, and returns the breaker state after every
 * delivery succeeded.
 */
async function downThenUp(
  bench: DrillBench,
  server: ProductProcess,
  options: OutageDrillOptions,
): Promise<string> {
  const opens = () =>
    server.lines.filter((line) => line.includes('"to":"open"')).length;
  const events = await transcriptionEvents(
    options.events,
    `outage-${Date.now()}`,
    bench.secret,
  );
  for (const event of events) await postEvent(server.url, event);
  await waitFor(
    `the breaker to open ${options.opensWhileDown} times`,
    () => opens() >= options.opensWhileDown,
    30_000,
  );

  bench.destination.start();
  await waitFor(
    "every delivery to succeed",
    () => countUnfinished(bench.dbPath()) === 0,
    30_000,
  );
  const health = await fetch(`${server.url}/health/resilience`);
  return (await health.json()).breakers[0].state;
}

function parseTransition(line: string): Transition {
  const record = JSON.parse(line);
  return {
    atMs: Date.parse(record["@timestamp"]),
    to: String(record.properties.to),
  };
}

/**
 * Counts attempts that started strictly inside an open interval: after the
 * breaker opened and before it next changed state. Attempts in flight when
 * it opened started earlier, and a half-open probe starts no earlier than
 * the change that allows it.
 */
function countStartedWhileOpen(
  startedAt: number[],
  transitions: Transition[],
): number {
  let count = 0;
  transitions.forEach((transition, i) => {
    if (transition.to !== "open") return;
    const until = transitions[i + 1]?.atMs ?? Infinity;
    count += startedAt.filter((at) => at > transition.atMs && at < until)
      .length;
  });
  return count;
}
