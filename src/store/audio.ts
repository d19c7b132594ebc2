import type { DatabaseSync } from "node:sqlite";

/**
 * Shortest `data.full_audio` text, in characters, that is stored apart from
 * the body. A real call sends about 1.3 MB of base64 a minute, so nearly
 * every real audio event is split. Shorter recordings stay inline, because
 * scanning them costs little.
 */
export const AUDIO_SPLIT_MIN_CHARS = 64 * 1024;

/** The MP3 of a `post_call_audio` event, taken out of its body. */
export interface SeparatedAudio {
  /** The body with `data.full_audio` emptied to "", still valid JSON. */
  body: string;
  mp3: Uint8Array;
  /** Offset in `body` where the base64 text goes back, in UTF-16 code units. */
  base64Offset: number;
}

/**
 * Takes the base64 MP3 out of a large `post_call_audio` body, so searches
 * and listings never read megabytes of base64. Returns undefined, keeping
 * the body whole, unless {@link restoreAudio} can rebuild the exact
 * original text: the value must appear in the raw text without JSON
 * escapes and be canonical base64 (padded, standard alphabet, no line
 * breaks).
 *
 * @example
 * ```ts
 * const text = JSON.stringify({
 *   type: "post_call_audio",
 *   data: { full_audio: "SUQz".repeat(20_000) },
 * });
 * const split = separateAudio("post_call_audio", text, JSON.parse(text))!;
 * restoreAudio(split.body, split.mp3, split.base64Offset) === text; // true
 * ```
 */
export function separateAudio(
  type: string,
  text: string,
  json: unknown,
): SeparatedAudio | undefined {
  if (type !== "post_call_audio") return undefined;
  const base64 = (json as { data?: { full_audio?: unknown } }).data
    ?.full_audio;
  if (typeof base64 !== "string" || base64.length < AUDIO_SPLIT_MIN_CHARS) {
    return undefined;
  }

  const quoteAt = text.indexOf(`"${base64}"`);
  if (quoteAt < 0) return undefined;
  const mp3 = decodeCanonicalBase64(base64);
  if (!mp3) return undefined;

  const base64Offset = quoteAt + 1;
  const body = text.slice(0, base64Offset) +
    text.slice(base64Offset + base64.length);
  // The cut must have emptied `full_audio` itself, not an equal string
  // elsewhere in the body.
  const emptied = JSON.parse(body) as { data?: { full_audio?: unknown } };
  if (emptied.data?.full_audio !== "") return undefined;

  return { body, mp3, base64Offset };
}

/** Rebuilds the body exactly as received from its {@link separateAudio} parts. */
export function restoreAudio(
  body: string,
  mp3: Uint8Array,
  base64Offset: number,
): string {
  return body.slice(0, base64Offset) + mp3.toBase64() +
    body.slice(base64Offset);
}

/** The audio of one stored event, for download. */
export interface EventAudio {
  conversationId: string | null;
  /** Undefined when the event has no audio or redaction removed it. */
  mp3?: Uint8Array;
  redacted: boolean;
}

/**
 * Loads the MP3 of an event, from `event_audio` or, for small and older
 * audio events, from the base64 inside the body. Returns undefined for an
 * unknown event id.
 */
export function loadEventAudio(
  database: DatabaseSync,
  eventId: string,
): EventAudio | undefined {
  const row = database.prepare(`
    SELECT e.type, e.conversation_id, e.redacted_at, a.mp3,
      CASE WHEN a.mp3 IS NULL AND e.type = 'post_call_audio'
        THEN e.body END AS inline_body
    FROM events e LEFT JOIN event_audio a ON a.event_id = e.id
    WHERE e.id = ?`).get(eventId) as
    | {
      conversation_id: string | null;
      redacted_at: number | null;
      mp3: Uint8Array | null;
      inline_body: string | null;
    }
    | undefined;
  if (!row) return undefined;

  const mp3 = row.mp3 ??
    (row.inline_body === null ? undefined : inlineAudio(row.inline_body));
  return {
    conversationId: row.conversation_id,
    mp3,
    redacted: row.redacted_at !== null,
  };
}

function inlineAudio(body: string): Uint8Array | undefined {
  const json = JSON.parse(body) as { data?: { full_audio?: unknown } };
  const base64 = json.data?.full_audio;
  if (typeof base64 !== "string" || base64 === "") return undefined;
  try {
    return Uint8Array.fromBase64(base64);
  } catch {
    // The sender's base64 is invalid; there is no audio to offer.
    return undefined;
  }
}

function decodeCanonicalBase64(base64: string): Uint8Array | undefined {
  let mp3: Uint8Array;
  try {
    mp3 = Uint8Array.fromBase64(base64);
  } catch {
    return undefined;
  }
  return mp3.toBase64() === base64 ? mp3 : undefined;
}
