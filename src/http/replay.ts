import { destinationsFor } from "../destinations.ts";
import type { AppContext } from "./app_context.ts";

/** Outcome of `replayEvent`: new delivery ids, or why nothing was done. */
export type EventReplayResult =
  | { ok: true; deliveries: string[] }
  | { ok: false; status: 400 | 404; error: string };

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
        error: `destination "${destinationName}" is not configured`,
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
 * ids, counts them as enqueued in the metrics and wakes the worker. Without `ids` or `destination` it moves every
 * dead delivery. Returns how many moved.
 */
export function replayDead(
  app: AppContext,
  filter: { ids?: string[]; destination?: string },
): number {
  const replayed = app.queue.replayDead(filter, app.now());
  app.metrics.deliveriesEnqueued(replayed);
  if (replayed) app.worker.wake();
  return replayed;
}
