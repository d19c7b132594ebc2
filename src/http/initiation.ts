import type { Context } from "hono";
import {
  describeInitiationRequest,
  type InitiationRequest,
  InvalidEventError,
} from "../elevenlabs/events.ts";
import { verifySignature } from "../elevenlabs/signature.ts";
import { destinationsFor } from "../destinations.ts";
import type { DynamicValue } from "../init_data.ts";
import { getCallerHistory, isoTime } from "../store/event_queries.ts";
import type { AppContext } from "./app_context.ts";
import { matchesAnySecret } from "./constant_time.ts";
import { jsonError } from "./responses.ts";
import {
  readJsonBody,
  sha256Hex,
  startWebhookReport,
  storeEvent,
} from "./webhook_request.ts";

/**
 * Responds to ElevenLabs' conversation-initiation webhook with the caller's
 * dynamic variables. ElevenLabs sends no HMAC here: the operator configures a
 * header on its side, so the secret may come as `Authorization: Bearer`, as
 * `X-Webhook-Secret`, or as an `ElevenLabs-Signature` made with it.
 */
export async function handleInitiation(
  c: Context,
  app: AppContext,
): Promise<Response> {
  const finish = startWebhookReport(app, "conversation_init");

  if (app.config.initSecrets.length === 0) {
    return finish(
      jsonError(
        c,
        503,
        "initiation webhook disabled: ELEVEN_INIT_SECRET is not set",
      ),
      { outcome: "disabled", status: 503 },
    );
  }

  const read = await readJsonBody(c, app, async (bytes) => {
    const authorized = await isAuthorized(c, app, bytes);
    return authorized ? undefined : { reason: "no_matching_secret" };
  });
  if (!read.ok) return finish(read.response, read.record);

  let described;
  try {
    described = describeInitiationRequest(read.json);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return finish(jsonError(c, 400, error.message), {
      outcome: "invalid_body",
      status: 400,
      reason: error.message,
    });
  }

  const { request, fields } = described;
  const answer = JSON.stringify(buildAnswer(app, request));
  const dedupKey = request.call_sid
    ? `${fields.type}:${request.call_sid}`
    : `${fields.type}:sha256:${await sha256Hex(read.bytes)}`;
  const event = {
    fields,
    dedupKey,
    body: read.text,
    initResponse: answer,
    destinations: destinationsFor(app.destinations, fields.type),
  };
  return await storeEvent(
    c,
    app,
    finish,
    event,
    (result) =>
      c.body(result.initResponse ?? answer, 200, {
        "content-type": "application/json",
      }),
  );
}

async function isAuthorized(
  c: Context,
  app: AppContext,
  bytes: Uint8Array,
): Promise<boolean> {
  const authorization = c.req.header("authorization");
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (bearer && await matchesAnySecret(bearer.trim(), app.config.initSecrets)) {
    return true;
  }

  const headerSecret = c.req.header("x-webhook-secret");
  if (
    headerSecret && await matchesAnySecret(headerSecret, app.config.initSecrets)
  ) {
    return true;
  }

  const signature = c.req.header("elevenlabs-signature");
  if (!signature) return false;
  const result = await verifySignature({
    header: signature,
    body: bytes,
    keys: app.initKeys,
    nowSeconds: Math.floor(app.now() / 1000),
    toleranceSeconds: app.config.signatureToleranceSeconds,
  });
  return result.ok;
}

/**
 * Builds `conversation_initiation_client_data`. The operator's fixed
 * variables come first, so the per-call values (caller and history) win on a
 * name clash. Every value is a string, number or boolean, never null,
 * because the agent rejects a call whose variables are missing.
 */
export function buildAnswer(
  app: AppContext,
  request: InitiationRequest,
): Record<string, unknown> {
  const history = request.caller_id
    ? getCallerHistory(app.database, request.caller_id)
    : { previousCallCount: 0 };

  const dynamicVariables: Record<string, DynamicValue> = {
    ...app.initData.dynamic_variables,
    caller_id: request.caller_id ?? "",
    called_number: request.called_number ?? "",
    call_sid: request.call_sid ?? "",
    is_returning_caller: history.previousCallCount > 0,
    previous_call_count: history.previousCallCount,
    last_call_at: history.lastCallAtMs === undefined
      ? ""
      : isoTime(history.lastCallAtMs),
    last_call_summary: history.lastCallSummary ?? "",
  };

  const answer: Record<string, unknown> = {
    type: "conversation_initiation_client_data",
    dynamic_variables: dynamicVariables,
  };
  if (app.initData.conversation_config_override) {
    answer.conversation_config_override =
      app.initData.conversation_config_override;
  }
  return answer;
}
