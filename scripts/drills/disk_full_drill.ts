/**
 * Drill: the disk fills. The database lives on a small tmpfs mounted for
 * the drill (this needs root and `mount`), so SQLite returns SQLITE_FULL.
 * The server must respond 503 to new webhooks, keep every event it already
 * acknowledged with 200, and accept webhooks again once the tmpfs grows.
 */
import { transcriptionEvents } from "../signed_events.ts";
import { waitFor } from "../wait_for.ts";
import {
  countEventsWithoutDeliveries,
  countUnfinished,
  DrillBench,
  postEvent,
  storedConversationIds,
} from "./drill_server.ts";

/** Sizes of the disk-full drill. */
export interface DiskFullDrillOptions {
  /** Size of the tmpfs while it fills, in KiB. */
  fullSizeKib: number;
  /** Requests sent after the first 503, which must all get 503 too. */
  requestsWhileFull: number;
  /** Requests sent once the tmpfs was made larger. */
  requestsAfterRecovery: number;
}

/** Findings of the disk-full drill. */
export interface DiskFullDrillReport {
  /** Events acknowledged with 200 before the disk filled. */
  storedBeforeFull: number;
  /** The status of the first response other than 200. */
  firstFailureStatus: number;
  /** Responses other than 503 to the requests after that first failure. */
  notUnavailableWhileFull: number;
  /** `/healthz` status while the disk is full. */
  healthWhileFull: number;
  /** Acknowledged events that are missing from the database. */
  missingEvents: number;
  eventsWithoutDeliveries: number;
  /** Responses other than 200 once the tmpfs grew. */
  failedAfterRecovery: number;
  /** Deliveries not `succeeded` at the end. */
  unfinishedDeliveries: number;
  /** From recovery until every delivery succeeded. */
  drainAfterRecoveryMs: number;
}

const MAX_FILL_REQUESTS = 5_000;

/** Runs the drill; see the file comment. */
export async function runDiskFullDrill(
  options: DiskFullDrillOptions,
): Promise<DiskFullDrillReport> {
  const bench = new DrillBench();
  await bench.open();
  const mountPoint = `${bench.folder}/disk`;
  await Deno.mkdir(mountPoint);
  await run("mount", [
    "-t",
    "tmpfs",
    "-o",
    `size=${options.fullSizeKib}k`,
    "tmpfs",
    mountPoint,
  ]);
  try {
    return await fillAndRecover(bench, mountPoint, options);
  } finally {
    await run("umount", [mountPoint]);
    await bench.close();
  }
}

async function fillAndRecover(
  bench: DrillBench,
  mountPoint: string,
  options: DiskFullDrillOptions,
): Promise<DiskFullDrillReport> {
  const dbPath = bench.dbPath(mountPoint);
  const server = await bench.spawn({
    dbFolder: mountPoint,
    destination: { timeoutMs: 1_000 },
  });
  try {
    const events = await transcriptionEvents(
      MAX_FILL_REQUESTS + options.requestsWhileFull +
        options.requestsAfterRecovery,
      `full-${Date.now()}`,
      bench.secret,
    );
    const acknowledged: string[] = [];
    let next = 0;
    let firstFailureStatus = 0;
    while (next < MAX_FILL_REQUESTS && firstFailureStatus === 0) {
      const event = events[next++];
      const status = await postEvent(server.url, event);
      if (status === 200) acknowledged.push(event.conversationId);
      else firstFailureStatus = status;
    }

    let notUnavailableWhileFull = 0;
    for (let i = 0; i < options.requestsWhileFull; i++) {
      if (await postEvent(server.url, events[next++]) !== 503) {
        notUnavailableWhileFull += 1;
      }
    }
    const health = await fetch(`${server.url}/healthz`);
    await health.arrayBuffer();
    const storedBeforeFull = acknowledged.length;

    await run("mount", ["-o", "remount,size=64m", mountPoint]);
    const recoveredAt = performance.now();
    let failedAfterRecovery = 0;
    for (let i = 0; i < options.requestsAfterRecovery; i++) {
      const event = events[next++];
      const status = await postEvent(server.url, event);
      if (status === 200) acknowledged.push(event.conversationId);
      else failedAfterRecovery += 1;
    }
    await waitFor(
      "every delivery to succeed",
      () => countUnfinished(dbPath) === 0,
      90_000,
      200,
    );
    const drainAfterRecoveryMs = performance.now() - recoveredAt;

    const stored = storedConversationIds(dbPath);
    return {
      storedBeforeFull,
      firstFailureStatus,
      notUnavailableWhileFull,
      healthWhileFull: health.status,
      missingEvents: acknowledged.filter((id) => !stored.has(id)).length,
      eventsWithoutDeliveries: countEventsWithoutDeliveries(dbPath),
      failedAfterRecovery,
      unfinishedDeliveries: countUnfinished(dbPath),
      drainAfterRecoveryMs,
    };
  } finally {
    await server.stop();
  }
}

/** Runs a system command and fails with its standard error. */
async function run(command: string, args: string[]): Promise<void> {
  const output = await new Deno.Command(command, {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const detail = new TextDecoder().decode(output.stderr).trim();
    throw new Error(
      `${command} ${
        args.join(" ")
      } failed: ${detail}; the disk-full drill needs root and a mount command that accepts tmpfs`,
    );
  }
}
