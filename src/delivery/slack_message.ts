import { maskPhoneNumber } from "../phone.ts";

/**
 * Body of a Slack incoming-webhook request. Slack shows `blocks`, and uses
 * `text` in notifications and in clients that cannot show blocks.
 */
export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

/** Stored event that `formatSlackMessage` turns into a message. */
export interface SlackEventInput {
  /** ElevenLabs event type, such as `post_call_transcription`. */
  type: string;
  /** Parsed ElevenLabs envelope `{type, event_timestamp, data}`. */
  body: unknown;
  /** Id of the stored event, shown so readers can look the event up. */
  eventId: string;
}

/** Labelled value shown as a section field and in the fallback text. */
interface MessageField {
  label: string;
  value: string;
  /** Shows the value as inline code, so `*` in masked numbers stays literal. */
  code?: boolean;
}

/** Content of a message before escaping and layout. */
interface MessageContent {
  title: string;
  summary?: string;
  fields: MessageField[];
  conversationId?: string;
  eventId: string;
}

// Block Kit limits, in characters.
const HEADER_MAX_LENGTH = 150;
const SECTION_TEXT_MAX_LENGTH = 3000;
const FIELD_MAX_LENGTH = 2000;

/**
 * Formats a stored ElevenLabs event as a Slack message, or returns null for
 * `post_call_audio`, because audio is never sent to Slack.
 *
 * Post-call transcriptions show the summary title, summary, outcome,
 * duration, masked caller number and agent. Call initiation failures show
 * the failure reason and the masked number called. Other types, which
 * ElevenLabs adds over time, get a short message with the type. Every message
 * ends with the event id and, when present, the conversation id. The
 * transcript is never read, the phone numbers shown are masked, and every
 * value from the event is escaped for Slack.
 */
export function formatSlackMessage(
  event: SlackEventInput,
): SlackMessage | null {
  const data = valueAt(event.body, ["data"]);

  switch (event.type) {
    case "post_call_audio":
      return null;
    case "post_call_transcription":
      return renderMessage(describeTranscription(data, event.eventId));
    case "call_initiation_failure":
      return renderMessage(describeInitiationFailure(data, event.eventId));
    default:
      return renderMessage(describeOtherEvent(event.type, data, event.eventId));
  }
}

/**
 * Escapes `&`, `<` and `>` as HTML entities, the three characters that Slack
 * reserves for links and mentions. Without it, a value could inject a link
 * or an `@channel` mention into a message.
 *
 * @example
 * ```ts
 * escapeSlackText("Q&A <b>"); // "Q&amp;A &lt;b&gt;"
 * ```
 */
export function escapeSlackText(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/**
 * Formats a call duration in seconds as hours, minutes and seconds, for
 * example `1m 22s` for 82. Fractions are rounded to whole seconds.
 */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;

  if (hours > 0) {
    return `${hours}h ${minutes}m ${rest}s`;
  }
  if (minutes > 0) {
    return `${minutes}m ${rest}s`;
  }

  return `${rest}s`;
}

function describeTranscription(
  data: unknown,
  eventId: string,
): MessageContent {
  const durationSeconds = numberAt(data, ["metadata", "call_duration_secs"]);
  const caller = textAt(data, ["metadata", "phone_call", "external_number"]);
  const fields = [
    field("Outcome", textAt(data, ["analysis", "call_successful"])),
    field("Duration", mapDefined(durationSeconds, formatDuration)),
    field("Caller", mapDefined(caller, maskPhoneNumber), true),
    field("Agent", agentOf(data)),
  ];

  return {
    title: textAt(data, ["analysis", "call_summary_title"]) ?? "Call ended",
    summary: textAt(data, ["analysis", "transcript_summary"]),
    fields: fields.filter(isDefined),
    conversationId: textAt(data, ["conversation_id"]),
    eventId,
  };
}

function describeInitiationFailure(
  data: unknown,
  eventId: string,
): MessageContent {
  const called = textAt(data, ["metadata", "body", "to_number"]) ??
    textAt(data, ["metadata", "body", "To"]);
  const fields = [
    field("Reason", failureReasonOf(data)),
    field("Number called", mapDefined(called, maskPhoneNumber), true),
    field("Agent", agentOf(data)),
  ];

  return {
    title: "Call initiation failed",
    fields: fields.filter(isDefined),
    conversationId: textAt(data, ["conversation_id"]),
    eventId,
  };
}

function describeOtherEvent(
  type: string,
  data: unknown,
  eventId: string,
): MessageContent {
  const fields = [field("Type", type, true), field("Agent", agentOf(data))];

  return {
    title: "ElevenLabs event received",
    fields: fields.filter(isDefined),
    conversationId: textAt(data, ["conversation_id"]),
    eventId,
  };
}

/**
 * Joins `failure_reason` with the provider's details, for example
 * `busy (SIP 486, Busy Here)`. A detail equal to an earlier one is dropped,
 * because Twilio's `CallStatus` can repeat the reason.
 */
function failureReasonOf(data: unknown): string | undefined {
  const sipStatus = textAt(data, ["metadata", "body", "sip_status_code"]);
  const parts = [
    textAt(data, ["failure_reason"]),
    mapDefined(sipStatus, (status) => `SIP ${status}`),
    textAt(data, ["metadata", "body", "error_reason"]),
    textAt(data, ["metadata", "body", "CallStatus"]),
  ];
  const [reason, ...details] = [...new Set(parts.filter(isDefined))];
  if (reason === undefined) {
    return undefined;
  }

  return details.length > 0 ? `${reason} (${details.join(", ")})` : reason;
}

function agentOf(data: unknown): string | undefined {
  return textAt(data, ["agent_name"]) ?? textAt(data, ["agent_id"]);
}

function field(
  label: string,
  value: string | undefined,
  code = false,
): MessageField | undefined {
  return value === undefined ? undefined : { label, value, code };
}

function renderMessage(content: MessageContent): SlackMessage {
  const blocks: unknown[] = [{
    type: "header",
    text: {
      type: "plain_text",
      text: truncate(escapeSlackText(content.title), HEADER_MAX_LENGTH),
    },
  }];
  const section = renderSection(content);
  if (section !== undefined) {
    blocks.push(section);
  }
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: renderContext(content) }],
  });

  return { text: renderFallbackText(content), blocks };
}

function renderSection(content: MessageContent): unknown {
  const section: Record<string, unknown> = { type: "section" };
  if (content.summary !== undefined) {
    const text = `*Summary*\n${escapeSlackText(content.summary)}`;
    section.text = mrkdwn(truncate(text, SECTION_TEXT_MAX_LENGTH));
  }
  if (content.fields.length > 0) {
    section.fields = content.fields.map((item) =>
      mrkdwn(
        truncate(`*${item.label}*\n${formatValue(item)}`, FIELD_MAX_LENGTH),
      )
    );
  }

  return Object.keys(section).length > 1 ? section : undefined;
}

function renderContext(content: MessageContent): string {
  const parts = [`Event ${inlineCode(content.eventId)}`];
  if (content.conversationId !== undefined) {
    parts.unshift(`Conversation ${inlineCode(content.conversationId)}`);
  }

  return truncate(parts.join(" | "), SECTION_TEXT_MAX_LENGTH);
}

/** Builds the notification text: title, fields and conversation id. */
function renderFallbackText(content: MessageContent): string {
  const parts = [
    content.title,
    ...content.fields.map((item) => `${item.label}: ${item.value}`),
  ];
  if (content.conversationId !== undefined) {
    parts.push(`Conversation: ${content.conversationId}`);
  }

  return truncate(escapeSlackText(parts.join(" | ")), SECTION_TEXT_MAX_LENGTH);
}

function formatValue(item: MessageField): string {
  return item.code ? inlineCode(item.value) : escapeSlackText(item.value);
}

/** Wraps a value in backticks and replaces inner ones, which would end it. */
function inlineCode(value: string): string {
  return "`" + escapeSlackText(value.replaceAll("`", "'")) + "`";
}

function mrkdwn(text: string): { type: "mrkdwn"; text: string } {
  return { type: "mrkdwn", text };
}

/**
 * Shortens escaped text to `maxLength` characters with a trailing ellipsis.
 * A cut never leaves half an entity such as `&am` or half a surrogate pair.
 */
function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) {
    return text;
  }

  const cut = text.slice(0, maxLength - 1)
    .replace(/&[a-z]*$/, "")
    .replace(/[\uD800-\uDBFF]$/, "");

  return `${cut}…`;
}

function valueAt(root: unknown, path: string[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }

  return value;
}

/** Reads a non-blank string, or a finite number as a string. */
function textAt(root: unknown, path: string[]): string | undefined {
  const value = valueAt(root, path);
  if (typeof value === "number" && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value === "string" && value.trim() !== "") {
    return value.trim();
  }

  return undefined;
}

function numberAt(root: unknown, path: string[]): number | undefined {
  const value = valueAt(root, path);

  return typeof value === "number" && Number.isFinite(value) && value >= 0
    ? value
    : undefined;
}

function mapDefined<T, R>(
  value: T | undefined,
  map: (value: T) => R,
): R | undefined {
  return value === undefined ? undefined : map(value);
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
