/**
 * Shared set-up of the fault drills: a temporary folder, a recording
 * destination in the drill's process, the server in a child process, and a
 * read connection to the server's SQLite file for the checks.
 */
import { DatabaseSync } from "node:sqlite";
import { type ProductProcess, spawnProduct } from "../product_process.ts";
import { RecordingDestination } from "../recording_destination.ts";
import {
  newSecret,
  type SignedEvent,
  signedHeaders,
} from "../signed_events.ts";

/** The route every drill posts to. */
export const END_ROUTE = "/webhooks/eleven/conversation-end";

/** Settings of the drill's one destination, merged over name, kind and url. */
export type DestinationSettings = Record<string, unknown>;

/** A drill's folder, secret and destination, shared by its server runs. */
export class DrillBench {
  readonly secret = newSecret();
  readonly destination = new RecordingDestination();
  #folder = "";

  /** Creates the folder and starts the destination. */
  async open(): Promise<void> {
    this.#folder = await Deno.makeTempDir({ prefix: "asknewton-drill-" });
    this.destination.start();
  }

  get folder(): string {
    return this.#folder;
  }

  /** Returns the SQLite file's path, in `dbFolder` when given (a tmpfs, say). */
  dbPath(dbFolder = this.#folder): string {
    return `${dbFolder}/asknewton.db`;
  }

  /**
   * Starts the server against this bench's database and destination. It
   * keeps the log lines that `keepLine` selects.
   */
  async spawn(options: {
    destination?: DestinationSettings;
    environment?: Record<string, string>;
    dbFolder?: string;
    keepLine?: (line: string) => boolean;
  } = {}): Promise<ProductProcess> {
    const destinationsFile = `${this.#folder}/destinations.json`;
    await Deno.writeTextFile(
      destinationsFile,
      JSON.stringify({
        destinations: [{
          name: "drill",
          kind: "http",
          url: this.destination.url,
          ...options.destination,
        }],
      }),
    );
    return spawnProduct({
      environment: {
        DB_PATH: this.dbPath(options.dbFolder),
        ELEVEN_END_SECRET: this.secret,
        DESTINATIONS_FILE: destinationsFile,
        ...options.environment,
      },
      keepLine: options.keepLine,
    });
  }

  /** Stops the destination and removes the folder. */
  async close(): Promise<void> {
    await this.destination.stop();
    if (this.#folder) await Deno.remove(this.#folder, { recursive: true });
  }
}

/** Posts one signed event and returns the status, reading the body. */
export async function postEvent(
  baseUrl: string,
  event: SignedEvent,
): Promise<number> {
  const response = await fetch(`${baseUrl}${END_ROUTE}`, {
    method: "POST",
    headers: signedHeaders(event),
    body: event.body,
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Opens the server's database for reading, runs `read` and closes it. The
 * server may be running: WAL mode lets a reader see the last commit.
 */
export function readDatabase<T>(
  dbPath: string,
  read: (database: DatabaseSync) => T,
): T {
  const database = new DatabaseSync(dbPath);
  try {
    database.exec("PRAGMA busy_timeout = 1000");
    return read(database);
  } finally {
    database.close();
  }
}

/** Conversation ids of every stored event. */
export function storedConversationIds(dbPath: string): Set<string> {
  return readDatabase(dbPath, (database) =>
    new Set(
      database.prepare(
        "SELECT conversation_id FROM events WHERE conversation_id IS NOT NULL",
      ).all().map((row) => String(row.conversation_id)),
    ));
}

/** Counts deliveries that are not `succeeded`. */
export function countUnfinished(dbPath: string): number {
  return readDatabase(dbPath, (database) =>
    Number(
      database.prepare(
        "SELECT count(*) AS n FROM deliveries WHERE state != 'succeeded'",
      ).get()?.n,
    ));
}

/** Counts events that have no delivery row, which a half-write would leave. */
export function countEventsWithoutDeliveries(dbPath: string): number {
  return readDatabase(dbPath, (database) =>
    Number(
      database.prepare(`
        SELECT count(*) AS n FROM events e
        WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)`)
        .get()?.n,
    ));
}
