import type { DatabaseSync } from "node:sqlite";
import type { Config } from "./config.ts";
import { type Destination, parseDestinations } from "./destinations.ts";
import { importSecrets } from "./elevenlabs/signature.ts";
import { type InitData, parseInitData } from "./init_data.ts";
import { createDrainingHandler, settleWithin } from "./http/draining.ts";
import { createApp, type UnhandledErrorListener } from "./http/app.ts";
import type { AppContext, ServerObserver } from "./http/app_context.ts";
import { openDatabaseAtPath } from "./database_path.ts";
import { describeListenError } from "./listen_address.ts";
import { EventWriter } from "./store/event_writer.ts";
import { DeliveryQueue } from "./store/delivery_queue.ts";
import { lockDatabase } from "./store/database_lock.ts";
import { DeliveryWorker } from "./delivery/worker.ts";
import { RetentionJob } from "./store/retention_job.ts";
import { ServerMetrics } from "./metrics/server_metrics.ts";
import { withMetrics } from "./observer.ts";
import { VERSION } from "./version.ts";

/**
 * Maximum wait at shutdown for requests already being handled. It leaves
 * room for the delivery drain inside the 10 s that `main.ts` allows.
 */
const REQUEST_DRAIN_MS = 4_000;

/** Maximum wait at shutdown for open connections to close. */
const CONNECTION_CLOSE_MS = 500;

/** Ways tests and `main.ts` shape a server beyond its configuration. */
export interface ServerOptions {
  /** Unix milliseconds; defaults to `Date.now`. */
  now?: () => number;
  /** Randomness for backoff jitter; defaults to `Math.random`. */
  random?: () => number;
  /** Maximum wait for deliveries in flight at shutdown. */
  deliveryDrainMs?: number;
  observer?: ServerObserver;
  onUnhandledError?: UnhandledErrorListener;
}

/** A running server. */
export interface RunningServer {
  /** Base URL such as `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  database: DatabaseSync;
  context: AppContext;
  /** The hourly purge and redaction; it also ran once at start. */
  retention: RetentionJob;
  /** Stops accepting, finishes requests in flight, closes the database. */
  shutdown(): Promise<void>;
}

/** Reads the JSON files named in the configuration and validates them. */
export async function loadConfigFiles(config: Config): Promise<{
  destinations: Destination[];
  initData: InitData;
}> {
  const readOptional = async (path: string | undefined, variable: string) => {
    if (!path) return undefined;
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new Error(
        `${variable}: cannot read ${JSON.stringify(path)}: ${
          (error as Error).message
        }`,
      );
    }
  };

  const destinationsText = await readOptional(
    config.destinationsFile,
    "DESTINATIONS_FILE",
  );
  const initDataText = await readOptional(
    config.initDataFile,
    "INIT_DATA_FILE",
  );
  return {
    destinations: parseDestinations(destinationsText, config.slackWebhookUrl),
    initData: parseInitData(initDataText),
  };
}

/**
 * Opens the store and builds what the routes share: the writer, the queue,
 * the worker (not started yet) and the metrics that observe them.
 */
async function createContext(
  config: Config,
  options: ServerOptions,
): Promise<AppContext> {
  const now = options.now ?? Date.now;
  const { destinations, initData } = await loadConfigFiles(config);
  const database = openDatabaseAtPath(config.dbPath);
  const lock = await lockDatabase(config.dbPath).catch((error) => {
    database.close();
    throw error;
  });
  const queue = new DeliveryQueue(database);
  const metrics = new ServerMetrics({
    version: VERSION,
    destinations: destinations.map((destination) => destination.name),
    now,
    queueCounts: () => queue.countOpen(),
    // Called only at scrape time, after `worker` below exists.
    breakers: () => worker.breakers(),
  });
  const observer = withMetrics(
    options.observer ?? { webhookHandled() {} },
    metrics,
  );
  const worker = new DeliveryWorker({
    queue,
    destinations,
    now,
    random: options.random,
    events: observer,
  });
  const writer = new EventWriter(database, {
    now,
    onCommit: ({ deliveries }) => {
      metrics.deliveriesEnqueued(deliveries);
      if (deliveries > 0) worker.wake();
    },
  });

  return {
    config,
    database,
    lock,
    writer,
    endKeys: await importSecrets(config.endSecrets),
    initKeys: await importSecrets(config.initSecrets),
    initData,
    destinations,
    queue,
    worker,
    now,
    observer,
    metrics,
  };
}

/** Opens the store and starts serving HTTP; resolves once listening. */
export async function startServer(
  config: Config,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const context = await createContext(config, options);
  const { database, worker, writer, observer } = context;
  const app = createApp(context, options.onUnhandledError);

  const handler = createDrainingHandler(app.fetch);
  const { server, address } = await listen(config, handler.fetch)
    .catch((error) => {
      database.close();
      context.lock.release();
      throw error;
    });
  worker.start();
  const retention = new RetentionJob(database, {
    now: context.now,
    retentionDays: config.retentionDays,
    redactAfterDays: config.redactAfterDays,
    onFinished: (report) => observer.retentionFinished?.(report),
    onFailed: (error) => observer.retentionFailed?.(error),
  });
  retention.start();

  const host = address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    database,
    context,
    retention,
    async shutdown() {
      await retention.stop();
      await handler.drain(REQUEST_DRAIN_MS);
      // A client that stops sending mid-body keeps its connection open, and
      // Deno's shutdown() waits for it. Nothing of that request was
      // accepted, so shutdown carries on after a short wait.
      await settleWithin(server.shutdown(), CONNECTION_CLOSE_MS);
      await writer.drain();
      await worker.stop(options.deliveryDrainMs);
      database.close();
      context.lock.release();
    },
  };
}

/**
 * Starts `Deno.serve` and resolves once it listens. A failure to bind, such
 * as a port in use, becomes an error that names `HOST` or `PORT`.
 */
async function listen(
  config: Config,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Promise<{ server: Deno.HttpServer<Deno.NetAddr>; address: Deno.NetAddr }> {
  const listening = Promise.withResolvers<Deno.NetAddr>();
  try {
    const server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: (address) => listening.resolve(address as Deno.NetAddr),
    }, handler);
    return { server, address: await listening.promise };
  } catch (error) {
    throw new Error(describeListenError(config.host, config.port, error), {
      cause: error,
    });
  }
}
