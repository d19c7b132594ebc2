import type { Context } from "hono";
import { z } from "zod";
import type { AppContext } from "./app_context.ts";
import {
  decimalParameter,
  describeQueryIssue,
  readSingleValuedQuery,
} from "./query_string.ts";

/**
 * Query string of `GET /admin/queue`. An empty `destination` means all of
 * them, because the page's filter form sends one for "All destinations".
 * `retried` is the count that the retry form's redirect adds for the page's
 * notice.
 */
const queueQuerySchema = z.object({
  destination: z.string()
    .max(100, "expected a destination name")
    .optional()
    .transform((value) => value || undefined),
  retried: decimalParameter(0, 999_999_999).optional(),
}).strict();

/** The filter of the queue dashboard, or why the query string is invalid. */
export type QueueFilter =
  | { ok: true; destination?: string }
  | { ok: false; error: string };

/**
 * Lists the destinations the queue dashboard can filter by: the configured
 * ones, then any other that still has pending, in-flight or dead
 * deliveries, such as one removed from the configuration.
 */
export function queueDestinations(app: AppContext): string[] {
  const configured = app.destinations.map((destination) => destination.name);
  const withOpenDeliveries = app.queue.countOpen().map((count) =>
    count.destination
  );

  return [...new Set([...configured, ...withOpenDeliveries])];
}

/**
 * Reads and checks the query string of `GET /admin/queue`: no unknown or
 * repeated parameters, and a `destination` from `queueDestinations`.
 */
export function parseQueueFilter(c: Context, app: AppContext): QueueFilter {
  const read = readSingleValuedQuery(c);
  if (!read.ok) return read;
  const parsed = queueQuerySchema.safeParse(read.query);
  if (!parsed.success) {
    const error = describeQueryIssue(
      parsed.error.issues[0],
      read.query,
      Object.keys(queueQuerySchema.shape),
    );
    return { ok: false, error };
  }

  const { destination } = parsed.data;
  const known = queueDestinations(app);
  if (destination !== undefined && !known.includes(destination)) {
    const expected = known.length
      ? `expected one of ${known.join(", ")}`
      : "and no destinations are configured";
    return {
      ok: false,
      error: `query parameter destination: destination ${
        JSON.stringify(destination)
      } is not configured, ${expected}`,
    };
  }

  return { ok: true, destination };
}
