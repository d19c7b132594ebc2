import assert from "node:assert/strict";
import { rawJsonOf } from "./event_body.ts";

Deno.test("rawJsonOf survives a deeply nested body", () => {
  const body = JSON.parse(
    `{"data":${"[".repeat(200_000)}${"]".repeat(200_000)}}`,
  );

  const shown = rawJsonOf(body);

  assert.match(shown, /nested too deeply/);
});

Deno.test("rawJsonOf masks phone numbers", () => {
  const shown = rawJsonOf({ caller: "+15550100987" });

  assert.match(shown, /\+\*{7}0987/);
  assert.doesNotMatch(shown, /15550100987/);
});
