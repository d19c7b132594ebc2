/**
 * Drill: `kill -9` under load, several rounds on one database. Every event
 * that got a 200 response must be stored after the restart, and every
 * delivery must end `succeeded` at the destination. A delivery may arrive
 * twice only across a crash (at least once), never twice within one server
 * process.
 */
import { runLoad } from "../load_client.ts";
import { signedHeaders, transcriptionEvents } from "../signed_events.ts";
import { waitFor } from "../wait_for.ts";
import {
  countEventsWithoutDeliveries,
  countUnfinished,
  DrillBench,
  END_ROUTE,
  readDatabase,
  storedConversationIds,
} from "./drill_server.ts";

/** Sizes of the kill drill. */
export interface KillDrillOptions {
  rounds: number;
  /** The server is killed once this many requests got a 200 response. */
  killAfterResponses: number;
  connections: number;
}

/** Findings of the kill drill. */
export interface KillDrillReport {
  rounds: number;
  /** Events that got a 200 response, over all rounds. */
  acknowledged: number;
  /** Acknowledged events missing from the database after a kill. */
  missingAfterKill: number;
  /** Events stored without their delivery rows. */
  eventsWithoutDeliveries: number;
  /** Deliveries not `succeeded` once the last server drained the queue. */
  unfinishedDeliveries: number;
  deliveries: number;
  /** Succeeded deliveries whose `webhook-id` never reached the destination. */
  neverArrived: number;
  /** `webhook-id`s that arrived more than once, across crashes. */
  deliveredMoreThanOnce: number;
  /** `webhook-id`s that arrived twice from the same server process. */
  repeatedWithinOneLifetime: number;
}

/** Runs the drill; see the file comment. */
export async function runKillDrill(
  options: KillDrillOptions,
): Promise<KillDrillReport> {
  const bench = new DrillBench();
  await bench.open();
  try {
    const perRound = options.killAfterResponses * 4;
    const events = await transcriptionEvents(
      options.rounds * perRound,
      `kill-${Date.now()}`,
      bench.secret,
    );
    const acknowledged = new Set<string>();
    const missingAfterKill = new Set<string>();

    for (let round = 0; round < options.rounds; round++) {
      const roundEvents = events.slice(
        round * perRound,
        (round + 1) * perRound,
      );
      await killDuringLoad(bench, roundEvents, options, acknowledged);
      const stored = storedConversationIds(bench.dbPath());
      for (const id of acknowledged) {
        if (!stored.has(id)) missingAfterKill.add(id);
      }
    }

    bench.destination.markLifetime();
    const server = await bench.spawn();
    try {
      await waitFor(
        "every delivery to succeed",
        () => countUnfinished(bench.dbPath()) === 0,
        60_000,
        100,
      );
    } finally {
      await server.stop();
    }

    return {
      rounds: options.rounds,
      acknowledged: acknowledged.size,
      missingAfterKill: missingAfterKill.size,
      eventsWithoutDeliveries: countEventsWithoutDeliveries(bench.dbPath()),
      unfinishedDeliveries: countUnfinished(bench.dbPath()),
      ...compareArrivals(bench),
    };
  } finally {
    await bench.close();
  }
}

/** Starts a server, loads it and kills it with SIGKILL mid-load. */
async function killDuringLoad(
  bench: DrillBench,
  events: Awaited<ReturnType<typeof transcriptionEvents>>,
  options: KillDrillOptions,
  acknowledged: Set<string>,
): Promise<void> {
  bench.destination.markLifetime();
  const server = await bench.spawn();
  const abort = new AbortController();
  let acknowledgedThisRound = 0;

  const load = runLoad({
    url: `${server.url}${END_ROUTE}`,
    connections: options.connections,
    requests: events.length,
    timeLimitMs: 30_000,
    buildRequest: (index) => ({
      headers: signedHeaders(events[index]),
      body: events[index].body,
    }),
    signal: abort.signal,
    onResponse: (index, status) => {
      if (status !== 200) return;
      acknowledged.add(events[index].conversationId);
      acknowledgedThisRound += 1;
      if (acknowledgedThisRound === options.killAfterResponses) {
        server.kill("SIGKILL");
      }
    },
  });

  await server.exited;
  abort.abort();
  await load;
}

function compareArrivals(bench: DrillBench) {
  const succeededIds = readDatabase(
    bench.dbPath(),
    (database) =>
      database.prepare("SELECT id FROM deliveries WHERE state = 'succeeded'")
        .all().map((row) => String(row.id)),
  );

  const arrivals = new Map<string, number>();
  const lifetimes = new Set<string>();
  let repeatedWithinOneLifetime = 0;
  for (const arrival of bench.destination.arrivals) {
    arrivals.set(arrival.webhookId, (arrivals.get(arrival.webhookId) ?? 0) + 1);
    const key = `${arrival.lifetime}:${arrival.webhookId}`;
    if (lifetimes.has(key)) repeatedWithinOneLifetime += 1;
    lifetimes.add(key);
  }

  return {
    deliveries: succeededIds.length,
    neverArrived: succeededIds.filter((id) => !arrivals.has(id)).length,
    deliveredMoreThanOnce: [...arrivals.values()].filter((n) => n > 1).length,
    repeatedWithinOneLifetime,
  };
}
