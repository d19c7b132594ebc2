/**
 * Drill: the disk fills. The database lives on a small tmpfs mounted for
 * the drill (this needs root and `mount`), so SQLite returns SQLITE_FULL.
 * The server must respond 503 to new webhooks, keep every event it already
 * acknowledged with 200, and accept webhooks again once the tmpfs grows.
 */
import { type SignedEvent, transcriptionEvents } from "../signed_events.ts";
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
  /** The status of the first response other than 200, or 200 if none. */
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
    const poster = new EventPoster(
      server.url,
      await transcriptionEvents(
        MAX_FILL_REQUESTS + options.requestsWhileFull +
          options.requestsAfterRecovery,
        `full-${Date.now()}`,
        bench.secret,
      ),
    );
    let firstFailureStatus = 200;
    for (let i = 0; i < MAX_FILL_REQUESTS && firstFailureStatus === 200; i++) {
      firstFailureStatus = await poster.post();
    }
    const storedBeforeFull = poster.acknowledged.length;
    const whileFull = await poster.postMany(options.requestsWhileFull);
    const health = await fetch(`${server.url}/healthz`);
    await health.arrayBuffer();

    await run("mount", ["-o", "remount,size=64m", mountPoint]);
    const recoveredAt = performance.now();
    const afterRecovery = await poster.postMany(options.requestsAfterRecovery);
    await waitFor(
      "every delivery to succeed",
      () => countUnfinished(dbPath) === 0,
      90_000,
      200,
    );

    const stored = storedConversationIds(dbPath);
    return {
      storedBeforeFull,
      firstFailureStatus,
      notUnavailableWhileFull: whileFull.filter((s) => s !== 503).length,
      healthWhileFull: health.status,
      missingEvents: poster.acknowledged.filter((id) => !stored.has(id)).length,
      eventsWithoutDeliveries: countEventsWithoutDeliveries(dbPath),
      failedAfterRecovery: afterRecovery.filter((s) => s !== 200).length,
      unfinishedDeliveries: countUnfinished(dbPath),
      drainAfterRecoveryMs: performance.now() - recoveredAt,
    };
  } finally {
    await server.stop();
  }
}

/** Posts events one at a time, in order, keeping those acknowledged with 200. */
class EventPoster {
  readonly acknowledged: string[] = [];
  #next = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly events: SignedEvent[],
  ) {}

  /** Posts the next event and returns the response status. */
  async post(): Promise<number> {
    const event = this.events[this.#next++];
    const status = await postEvent(this.baseUrl, event);
    if (status === 200) this.acknowledged.push(event.conversationId);
    return status;
  }

  /** Posts the next `count` events and returns their statuses. */
  async postMany(count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push(await this.post());
    return statuses;
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
