import type { Context } from "hono";
import {
  type NewEvent,
  StoreUnavailableError,
  type WriteResult,
} from "../store/event_writer.ts";
import { maskPhoneNumber } from "../phone.ts";
import type { AppContext, WebhookRecord } from "./app_context.ts";
import {
  BodyTimeoutError,
  BodyTooLargeError,
  readBodyLimited,
} from "./body.ts";
import { jsonError } from "./responses.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Starts timing a webhook request and returns the function that ends it:
 * it reports the outcome to the observer and passes the response through.
 * Fields the caller leaves out default to an `error` outcome.
 */
export function startWebhookReport(
  app: AppContext,
  route: WebhookRecord["route"],
): WebhookReport {
  const started = performance.now();
  return (response, record) => {
    app.observer.webhookHandled({
      route,
      outcome: "error",
      status: response.status,
      durationMs: performance.now() - started,
      ...record,
    });
    return response;
  };
}

/** The shared result of the steps before a webhook is stored. */
export type ReadOutcome =
  | { ok: true; bytes: Uint8Array; text: string; json: unknown }
  | { ok: false; response: Response; record: Partial<WebhookRecord> };

/** Reads a body within the size limit and parses it as JSON. */
export async function readJsonBody(
  c: Context,
  app: AppContext,
  verify?: (bytes: Uint8Array) => Promise<Partial<WebhookRecord> | undefined>,
): Promise<ReadOutcome> {
  let bytes: Uint8Array;
  try {
    bytes = await readBodyLimited(c.req.raw, app.config.maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTimeoutError) {
      return {
        ok: false,
        response: jsonError(c, 408, error.message, { connection: "close" }),
        record: { outcome: "invalid_body", status: 408, reason: "timeout" },
      };
    }
    if (!(error instanceof BodyTooLargeError)) throw error;
    return {
      ok: false,
      response: jsonError(c, 413, error.message),
      record: { outcome: "too_large", status: 413 },
    };
  }

  const rejection = await verify?.(bytes);
  if (rejection) {
    return {
      ok: false,
      response: jsonError(c, 401, "invalid or missing signature"),
      record: { outcome: "invalid_signature", status: 401, ...rejection },
    };
  }

  try {
    const text = utf8.decode(bytes);
    return { ok: true, bytes, text, json: JSON.parse(text) };
  } catch {
    return {
      ok: false,
      response: jsonError(c, 400, "body is not valid UTF-8 JSON"),
      record: { outcome: "invalid_body", status: 400, reason: "not_json" },
    };
  }
}

/** Maps a storage failure to 503 (retry later) or rethrows it. */
export function storeFailureResponse(
  c: Context,
  error: unknown,
): { response: Response; record: Partial<WebhookRecord> } {
  if (error instanceof StoreUnavailableError) {
    return {
      response: jsonError(
        c,
        503,
        `storage unavailable: ${error.message}; retry later`,
        { "Retry-After": "5" },
      ),
      record: { outcome: "unavailable", status: 503, error },
    };
  }
  throw error;
}

/** Returns the hex SHA-256 of a body, for deduplication keys. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** Reports a webhook's outcome and passes its response through. */
export type WebhookReport = (
  response: Response,
  record: Partial<WebhookRecord>,
) => Response;

/**
 * Stores an event and reports how it went. `respond` builds the 200 response
 * from the write result; a store that cannot take writes gives 503.
 */
export async function storeEvent(
  c: Context,
  app: AppContext,
  finish: WebhookReport,
  event: NewEvent,
  respond: (result: WriteResult) => Response,
): Promise<Response> {
  const { fields } = event;
  const caller = fields.callerNumber && maskPhoneNumber(fields.callerNumber);
  try {
    const result = await app.writer.write(event);
    return finish(respond(result), {
      outcome: result.duplicate ? "duplicate" : "stored",
      status: 200,
      type: fields.type,
      eventId: result.eventId,
      caller,
    });
  } catch (error) {
    const failure = storeFailureResponse(c, error);
    return finish(failure.response, { ...failure.record, type: fields.type });
  }
}
