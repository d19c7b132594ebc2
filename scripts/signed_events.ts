/**
 * Signed ElevenLabs events for load: distinct post-call transcriptions built
 * from the repository's fixture, and a large post-call audio event.
 */
import { signBody } from "../src/elevenlabs/signature.ts";

const FIXTURE_FOLDER = new URL(
  "../tests/fixtures/elevenlabs/",
  import.meta.url,
);

/** A request body with its `ElevenLabs-Signature` header. */
export interface SignedEvent {
  conversationId: string;
  body: Uint8Array<ArrayBuffer>;
  signature: string;
}

/** Creates a fresh post-call secret for one run; it is never printed. */
export function newSecret(): string {
  return `wsec_${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * Returns a function that builds transcription event number `n`, with the
 * conversation id `<prefix>-<n>`, signed at the time it is called.
 */
export async function transcriptionEventMaker(
  prefix: string,
  secret: string,
): Promise<(n: number) => Promise<SignedEvent>> {
  const fixture = JSON.parse(
    await Deno.readTextFile(
      new URL("post_call_transcription.json", FIXTURE_FOLDER),
    ),
  );
  const encoder = new TextEncoder();

  return async (n) => {
    const conversationId = `${prefix}-${n}`;
    fixture.data.conversation_id = conversationId;
    const body = encoder.encode(JSON.stringify(fixture));
    const signature = await signBody(
      body,
      secret,
      Math.floor(Date.now() / 1000),
    );
    return { conversationId, body, signature };
  };
}

/**
 * Builds `count` transcription events with the conversation ids
 * `<prefix>-<n>`. Signing happens here, before a run, so the load client
 * spends no time on it.
 */
export async function transcriptionEvents(
  count: number,
  prefix: string,
  secret: string,
): Promise<SignedEvent[]> {
  const make = await transcriptionEventMaker(prefix, secret);
  const events: SignedEvent[] = [];
  for (let n = 0; n < count; n++) events.push(await make(n));
  return events;
}

/**
 * Builds a post-call audio event of about `totalBytes`, whose `full_audio`
 * is base64 of random bytes, as ElevenLabs sends base64 MP3.
 */
export async function audioEvent(
  totalBytes: number,
  conversationId: string,
  secret: string,
): Promise<SignedEvent> {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("post_call_audio.json", FIXTURE_FOLDER)),
  );
  const audio = new Uint8Array(Math.floor(totalBytes * 3 / 4));
  for (let offset = 0; offset < audio.length; offset += 65_536) {
    crypto.getRandomValues(audio.subarray(offset, offset + 65_536));
  }
  fixture.data.conversation_id = conversationId;
  fixture.data.full_audio = audio.toBase64();

  const body = new TextEncoder().encode(JSON.stringify(fixture));
  const signature = await signBody(
    body,
    secret,
    Math.floor(Date.now() / 1000),
  );
  return { conversationId, body, signature };
}

/** Splits bytes into a stream of chunks, so fetch sends them chunked. */
export function chunked(
  bytes: Uint8Array,
  chunkBytes: number,
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  });
}

/** Headers of a signed post-call request. */
export function signedHeaders(event: SignedEvent): Record<string, string> {
  return {
    "content-type": "application/json",
    "elevenlabs-signature": event.signature,
  };
}
