import { z } from "zod";

/** Post-call event types this server recognises; others are stored as they come. */
export const POST_CALL_TYPES = [
  "post_call_transcription",
  "post_call_audio",
  "call_initiation_failure",
] as const;

/**
 * Type stored for requests to the initiation webhook. They are delivered only
 * to destinations that list this type, because a ringing call is not news to
 * most of them.
 */
export const INITIATION_TYPE = "conversation_initiation";

/** Columns an admin filters on, read out of an event body once at ingest. */
export interface EventFields {
  type: string;
  conversationId?: string;
  agentId?: string;
  /** The customer's number: the caller inbound, the number called outbound. */
  callerNumber?: string;
  callSid?: string;
  eventTimestampSeconds?: number;
  /** `analysis.transcript_summary`, kept for the initiation webhook. */
  summary?: string;
  /** `analysis.call_successful`, or the failure reason of a failed call. */
  outcome?: string;
}

const text = z.string().min(1).optional().catch(undefined);
const lenientObject = <T extends z.ZodRawShape>(shape: T) =>
  z.object(shape).partial().optional().catch(undefined);

const envelopeSchema = z.object({
  type: z.string().min(1).max(200),
  event_timestamp: z.number().finite().optional().catch(undefined),
  data: z.unknown().optional(),
});

const postCallDataSchema = z.object({
  conversation_id: text,
  agent_id: text,
  failure_reason: text,
  analysis: lenientObject({ transcript_summary: text, call_successful: text }),
  metadata: lenientObject({
    phone_call: lenientObject({ external_number: text, call_sid: text }),
    body: lenientObject({
      to_number: text,
      call_sid: text,
      To: text,
      CallSid: text,
    }),
  }),
}).partial().catch({});

/** A body that cannot be stored, with the reason for the 400 response. */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidEventError";
  }
}

/**
 * Reads the filter columns out of a post-call envelope
 * `{type, event_timestamp, data}`. Only `type` is required, so a shape that
 * ElevenLabs changes still gets stored. Raises {@link InvalidEventError} when
 * the body is not an object with a string `type`.
 */
export function describePostCallEvent(body: unknown): EventFields {
  if (!isPlainObject(body)) {
    throw new InvalidEventError("body must be a JSON object");
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) {
    throw new InvalidEventError("body must have a string `type` field");
  }

  const data = postCallDataSchema.parse(envelope.data.data ?? {});
  const phoneCall = data.metadata?.phone_call;
  const providerBody = data.metadata?.body;
  return {
    type: envelope.data.type,
    conversationId: data.conversation_id,
    agentId: data.agent_id,
    callerNumber: phoneCall?.external_number ?? providerBody?.to_number ??
      providerBody?.To,
    callSid: phoneCall?.call_sid ?? providerBody?.call_sid ??
      providerBody?.CallSid,
    eventTimestampSeconds: envelope.data.event_timestamp,
    summary: data.analysis?.transcript_summary,
    outcome: data.analysis?.call_successful ?? data.failure_reason,
  };
}

/** The request ElevenLabs sends to the initiation webhook while a call rings. */
export const initiationRequestSchema = z.object({
  caller_id: z.string().max(64).optional(),
  agent_id: z.string().max(200).optional(),
  called_number: z.string().max(64).optional(),
  call_sid: z.string().max(200).optional(),
}).passthrough();

export type InitiationRequest = z.infer<typeof initiationRequestSchema>;

/** Reads the filter columns out of an initiation request. */
export function describeInitiationRequest(body: unknown): {
  request: InitiationRequest;
  fields: EventFields;
} {
  if (!isPlainObject(body)) {
    throw new InvalidEventError("body must be a JSON object");
  }
  const parsed = initiationRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidEventError(
      `field \`${issue.path.join(".")}\` is invalid: ${issue.message}`,
    );
  }

  const request = parsed.data;
  return {
    request,
    fields: {
      type: INITIATION_TYPE,
      agentId: request.agent_id || undefined,
      callerNumber: request.caller_id || undefined,
      callSid: request.call_sid || undefined,
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
