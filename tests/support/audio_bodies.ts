import { readFixture } from "./fixtures.ts";

/** Deterministic bytes standing in for an MP3 recording. */
export function fakeMp3(byteLength: number): Uint8Array {
  const bytes = new Uint8Array(byteLength);
  let state = 12345;
  for (let i = 0; i < byteLength; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    bytes[i] = state >> 16;
  }
  return bytes;
}

/**
 * Returns the audio fixture's exact text with its recording replaced, so
 * the layout (indentation, key order) of a real body is kept. `encode`
 * turns the bytes into the JSON string's content.
 */
export async function audioBody(
  mp3: Uint8Array,
  encode = (bytes: Uint8Array) => bytes.toBase64(),
): Promise<string> {
  const text = new TextDecoder().decode(
    await readFixture("post_call_audio.json"),
  );
  const original = JSON.parse(text).data.full_audio as string;
  return text.replace(original, encode(mp3));
}
