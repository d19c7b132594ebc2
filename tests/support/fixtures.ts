import { signBody } from "../../src/elevenlabs/signature.ts";

const fixtureFolder = new URL("../fixtures/elevenlabs/", import.meta.url);

/** The post-call secret the signature vectors were computed with. */
export const END_SECRET =
  "wsec_3f9c1a7be2d84c06a5b19e7d20c4f8a1b6d3e9f0572c8a4e1d6b0f3a9c7e2d51";
export const INIT_SECRET = "init-secret-for-tests-0001";
export const ADMIN_TOKEN = "admin-token-for-tests-0001";

/** Names of the post-call fixture files. */
export const POST_CALL_FIXTURES = [
  "post_call_transcription.json",
  "post_call_audio.json",
  "call_initiation_failure_twilio.json",
  "call_initiation_failure_sip.json",
  "unknown_type.json",
] as const;

/** Reads a fixture's exact bytes. */
export function readFixture(name: string): Promise<Uint8Array<ArrayBuffer>> {
  return Deno.readFile(new URL(name, fixtureFolder));
}

/** Reads a fixture as parsed JSON, for tests that build variations. */
export async function readFixtureJson(
  name: string,
): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(new URL(name, fixtureFolder)));
}

/** Returns a copy of the transcription fixture for another call. */
export async function transcriptionFor(options: {
  conversationId: string;
  caller?: string;
  summary?: string;
}): Promise<Uint8Array<ArrayBuffer>> {
  const event = await readFixtureJson("post_call_transcription.json");
  const data = event.data as {
    conversation_id: string;
    metadata: { phone_call: { external_number: string } };
    analysis: { transcript_summary: string };
  };
  data.conversation_id = options.conversationId;
  if (options.caller) {
    data.metadata.phone_call.external_number = options.caller;
  }
  if (options.summary) data.analysis.transcript_summary = options.summary;
  return new TextEncoder().encode(JSON.stringify(event));
}

/** Signs a body as ElevenLabs would, at `nowSeconds` (default: now). */
export function signatureFor(
  body: Uint8Array<ArrayBuffer>,
  secret = END_SECRET,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  return signBody(body, secret, nowSeconds);
}
