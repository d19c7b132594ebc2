import { Hono } from "hono";
import type { Context } from "hono";
import {
  describePostCallEvent,
  InvalidEventError,
} from "../elevenlabs/events.ts";
import { verifySignature } from "../elevenlabs/signature.ts";
import { destinationsFor } from "../destinations.ts";
import { separateAudio } from "../store/audio.ts";
import type { AppContext } from "./app_context.ts";
import { handleInitiation } from "./initiation.ts";
import { jsonError } from "./responses.ts";
import {
  readJsonBody,
  sha256Hex,
  startWebhookReport,
  storeEvent,
} from "./webhook_request.ts";

/** Builds the two ElevenLabs webhook routes under `/webhooks/eleven`. */
export function webhookRoutes(app: AppContext): Hono {
  const routes = new Hono();
  routes.post("/conversation-end", (c) => handleConversationEnd(c, app));
  routes.post("/conversation-init", (c) => handleInitiation(c, app));
  return routes;
}

async function handleConversationEnd(
  c: Context,
  app: AppContext,
): Promise<Response> {
  const finish = startWebhookReport(app, "conversation_end");

  if (app.endKeys.length === 0) {
    return finish(
      jsonError(
        c,
        503,
        "post-call webhook disabled: ELEVEN_END_SECRET is not set",
      ),
      { outcome: "disabled", status: 503 },
    );
  }

  const read = await readJsonBody(c, app, async (bytes) => {
    const result = await verifySignature({
      header: c.req.header("elevenlabs-signature"),
      body: bytes,
      keys: app.endKeys,
      nowSeconds: Math.floor(app.now() / 1000),
      toleranceSeconds: app.config.signatureToleranceSeconds,
    });
    return result.ok ? undefined : { reason: result.reason };
  });
  if (!read.ok) return finish(read.response, read.record);

  let fields;
  try {
    fields = describePostCallEvent(read.json);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return finish(jsonError(c, 400, error.message), {
      outcome: "invalid_body",
      status: 400,
      reason: error.message,
    });
  }

  const dedupKey = fields.conversationId
    ? `${fields.type}:${fields.conversationId}`
    : `${fields.type}:sha256:${await sha256Hex(read.bytes)}`;
  const audio = separateAudio(fields.type, read.text, read.json);
  const event = {
    fields,
    dedupKey,
    body: audio?.body ?? read.text,
    audio,
    destinations: destinationsFor(app.destinations, fields.type),
  };
  return await storeEvent(c, app, finish, event, (result) =>
    c.json({
      ok: true,
      event_id: result.eventId,
      duplicate: result.duplicate,
    }));
}
