import assert from "node:assert/strict";
import { sendRequest } from "./http_transport.ts";

Deno.test("sendRequest keeps an invalid URL out of errors", async () => {
  const result = await sendRequest(
    {
      // The port is out of range, so fetch rejects the URL before any
      // connection is tried.
      url: "https://127.0.0.1:99999/services/T000/B000/SLACKSECRETPATH",
      headers: {},
      body: "{}",
    },
    1_000,
    new AbortController().signal,
  );

  assert.equal(result.status, undefined);
  assert.equal(result.error, "network error: invalid destination URL");
});
