import assert from "node:assert/strict";
import type { TestServer } from "./test_server.ts";

/** Counts the stored events, to show that a rejected request stored nothing. */
export function countEvents(server: TestServer): number {
  const row = server.database.prepare("SELECT count(*) AS n FROM events")
    .get();
  return Number(row?.n);
}

/**
 * Asserts the error shape every route shares, `{ok: false, error}` as JSON
 * with the expected status, and returns the error message.
 */
export async function assertJsonError(
  response: Response,
  status: number,
): Promise<string> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(
    response.headers.get("content-type") ?? "",
    /^application\/json/,
  );
  const body = JSON.parse(text);
  assert.equal(body.ok, false, text);
  assert.equal(typeof body.error, "string", text);
  assert.notEqual(body.error, "", text);
  return body.error;
}
