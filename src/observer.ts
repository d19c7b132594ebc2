import type { ServerObserver, WebhookRecord } from "./http/app_context.ts";
import { logger } from "./log.ts";

/**
 * Turns what the routes report into log lines. This is the one place where
 * webhook outcomes become logs; metrics hook in here too.
 */
export function createObserver(): ServerObserver {
  const log = logger("http");
  return {
    webhookHandled(record: WebhookRecord) {
      const fields = {
        route: record.route,
        type: record.type,
        outcome: record.outcome,
        status: record.status,
        duration_ms: Math.round(record.durationMs * 10) / 10,
        event_id: record.eventId,
        caller: record.caller,
        reason: record.reason,
        error: record.error === undefined ? undefined : String(record.error),
      };
      if (record.status >= 500) log.error("webhook handled", fields);
      else if (record.status >= 400) log.warn("webhook handled", fields);
      else log.info("webhook handled", fields);
    },
  };
}
