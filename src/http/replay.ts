import { destinationsFor } from "../destinations.ts";
import type { AppContext } from "./app_context.ts";

/** A delivery id such as `msg_01JB…`, the form `replay-failed` takes. */
export const DELIVERY_ID_PATTERN = /^msg_[0-9A-Z]{1,60}$/;

/** Outcome of `replayEvent`: new delivery ids, or why nothing was done. */
export type EventReplayResult =
  | { ok: true; deliveries: string[] }
  | { ok: false; status: 400 | 404; error: string };

/** Outcome of `replayDead`: how many deliveries moved, or why none did. */
export type DeadReplayResult =
  | { ok: true; replayed: number }
  | { ok: false; status: 400; error: string };

/**
 * Formats the error for a destination name that is not in the
 * configuration, listing the names that are.
 */
function unknownDestinationError(app: AppContext, name: string): string {
  const names = app.destinations.map((destination) => destination.name);
  const expected = names.length
    ? `expected one of ${names.join(", ")}`
    : "and no destinations are configured";
  return `destination "${name}" is not configured, ${expected}`;
}

/**
 * Creates new deliveries (new ids) of one event, to every destination that
 * takes its type or to the one named, counts them as enqueued in the
 * metrics and wakes the worker. A destination
 * that still has a pending or in-flight delivery of the event gets none.
 */
export function replayEvent(
  app: AppContext,
  eventId: string,
  destinationName?: string,
): EventReplayResult {
  const event = app.database.prepare("SELECT type FROM events WHERE id = ?")
    .get(eventId) as { type: string } | undefined;
  if (!event) return { ok: false, status: 404, error: "event not found" };

  let targets: string[];
  if (destinationName) {
    const destination = app.destinations.find((d) =>
      d.name === destinationName
    );
    if (!destination) {
      return {
        ok: false,
        status: 400,
        error: unknownDestinationError(app, destinationName),
      };
    }
    if (destination.kind === "slack" && event.type === "post_call_audio") {
      return {
        ok: false,
        status: 400,
        error: "slack does not take post_call_audio events",
      };
    }
    targets = [destinationName];
  } else {
    targets = destinationsFor(app.destinations, event.type);
  }

  const deliveries = app.queue.replayEvent(eventId, targets, app.now());
  app.metrics.deliveriesEnqueued(deliveries.length);
  if (deliveries.length) app.worker.wake();
  return { ok: true, deliveries };
}

/**
 * Moves dead deliveries back to `pending` with attempts reset, keeping their
 * ids, counts them as enqueued in the metrics and wakes the worker. Without
 * `ids` or `destination` it moves every dead delivery. Deliveries to a
 * destination that is no longer configured stay dead, because no worker
 * would send them. Naming such a destination is an error.
 */
export function replayDead(
  app: AppContext,
  filter: { ids?: string[]; destination?: string },
): DeadReplayResult {
  const configured = app.destinations.map((destination) => destination.name);
  if (
    filter.destination !== undefined &&
    !configured.includes(filter.destination)
  ) {
    return {
      ok: false,
      status: 400,
      error: unknownDestinationError(app, filter.destination),
    };
  }

  const replayed = app.queue.replayDead({
    ids: filter.ids,
    destinations: filter.destination ? [filter.destination] : configured,
  }, app.now());
  app.metrics.deliveriesEnqueued(replayed);
  if (replayed) app.worker.wake();
  return { ok: true, replayed };
}
