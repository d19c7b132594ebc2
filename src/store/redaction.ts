/**
 * Redaction of conversation content: the words of a conversation and
 * everything derived from them are blanked, while ids, times, durations,
 * costs, phone numbers, outcomes and the rest of the metadata stay. Blanked strings become "" and
 * collected values become null, so every body stays valid JSON of the same
 * shape and consumers that read fields keep working.
 *
 * @module
 */

/** A JSON object as parsed, open to edits in place. */
type JsonObject = Record<string, unknown>;

/**
 * Blanks the conversation content of one event body. Returns the new body
 * text, or undefined when the type carries no such content (then the body
 * is left as it is).
 *
 * - `post_call_transcription`: each transcript turn's `message` and
 *   `original_message`, tool call `params_as_json` and tool result
 *   `result_value`; `analysis.transcript_summary` and
 *   `call_summary_title`; the `value` of each data collection result and
 *   every `rationale`; the `last_call_summary` dynamic variable.
 * - `post_call_audio`: `data.full_audio`.
 *
 * @example
 * ```ts
 * const body = '{"type":"post_call_audio","data":{"full_audio":"SUQz"}}';
 * redactBody("post_call_audio", body);
 * // '{"type":"post_call_audio","data":{"full_audio":""}}'
 * ```
 */
export function redactBody(type: string, body: string): string | undefined {
  const redact = BODY_REDACTORS[type];
  if (!redact) return undefined;

  const event = JSON.parse(body) as unknown;
  const data = isObject(event) ? event.data : undefined;
  if (isObject(data)) redact(data);
  return JSON.stringify(event);
}

/**
 * Blanks `last_call_summary` in a stored initiation response, which carries
 * the summary of the caller's previous call. Returns undefined when there
 * is nothing to blank.
 */
export function redactInitResponse(text: string): string | undefined {
  const answer = JSON.parse(text) as unknown;
  if (!isObject(answer) || !isObject(answer.dynamic_variables)) {
    return undefined;
  }
  if (!blankString(answer.dynamic_variables, "last_call_summary")) {
    return undefined;
  }
  return JSON.stringify(answer);
}

const BODY_REDACTORS: Record<string, (data: JsonObject) => void> = {
  post_call_transcription: redactTranscription,
  post_call_audio: (data) => blankString(data, "full_audio"),
};

function redactTranscription(data: JsonObject): void {
  for (const turn of objectsIn(data.transcript)) {
    blankString(turn, "message");
    blankString(turn, "original_message");
    for (const call of objectsIn(turn.tool_calls)) {
      blankString(call, "params_as_json");
    }
    for (const result of objectsIn(turn.tool_results)) {
      blankString(result, "result_value");
    }
  }

  const analysis = data.analysis;
  if (isObject(analysis)) {
    blankString(analysis, "transcript_summary");
    blankString(analysis, "call_summary_title");
    for (const result of objectsIn(analysis.data_collection_results)) {
      if ("value" in result) result.value = null;
      blankString(result, "rationale");
    }
    for (const result of objectsIn(analysis.evaluation_criteria_results)) {
      blankString(result, "rationale");
    }
  }

  const initiation = data.conversation_initiation_client_data;
  if (isObject(initiation) && isObject(initiation.dynamic_variables)) {
    blankString(initiation.dynamic_variables, "last_call_summary");
  }
}

/** Sets a string field to ""; reports whether it held text before. */
function blankString(object: JsonObject, key: string): boolean {
  if (typeof object[key] !== "string" || object[key] === "") return false;
  object[key] = "";
  return true;
}

/** Collects the objects in an array, or in the values of an object map. */
function objectsIn(value: unknown): JsonObject[] {
  const items = Array.isArray(value)
    ? value
    : isObject(value)
    ? Object.values(value)
    : [];
  return items.filter(isObject);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
