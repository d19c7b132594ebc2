import assert from "node:assert/strict";
import {
  BodyTimeoutError,
  BodyTooLargeError,
  readBodyLimited,
} from "./body.ts";

function streamingRequest(
  chunks: string[],
  options: { endStream: boolean },
): Request {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (options.endStream) controller.close();
    },
  });
  return new Request("http://127.0.0.1/", { method: "POST", body });
}

Deno.test("readBodyLimited joins streamed chunks", async () => {
  const request = streamingRequest(['{"a":', "1}"], { endStream: true });
  const body = await readBodyLimited(request, 100);

  assert.equal(new TextDecoder().decode(body), '{"a":1}');
});

Deno.test("readBodyLimited stops a stream over the limit", async () => {
  const request = streamingRequest(["12345", "67890"], { endStream: false });

  await assert.rejects(readBodyLimited(request, 8), BodyTooLargeError);
});

Deno.test("readBodyLimited times out a stalled body", async () => {
  const request = streamingRequest(['{"a":'], { endStream: false });

  await assert.rejects(readBodyLimited(request, 100, 20), BodyTimeoutError);
});
