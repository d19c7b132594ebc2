import assert from "node:assert/strict";
import { z } from "zod";
import { describeIssues, expecting, formatPath } from "./config_file_issues.ts";

Deno.test("formatPath writes indexes and odd keys", () => {
  assert.equal(formatPath([]), "(top level)");
  assert.equal(formatPath(["destinations", 0, "name"]), "destinations[0].name");
  assert.equal(
    formatPath(["destinations", 2, "headers", "x-api-key"]),
    'destinations[2].headers["x-api-key"]',
  );
});

Deno.test("describeIssues cuts long strings", () => {
  const schema = z.object({ name: z.number(expecting("a number")) });
  const input = { name: "n".repeat(200) };
  const result = schema.safeParse(input);
  assert.equal(result.success, false);

  const [line] = describeIssues(
    "FILE",
    result.error!.issues,
    input,
    () => false,
  );

  assert.equal(
    line,
    `FILE: name: invalid value "${"n".repeat(60)}"…, expected a number`,
  );
});

Deno.test("describeIssues hides marked values", () => {
  const schema = z.object({ token: z.number(expecting("a number")) });
  const input = { token: "secret-token-value" };
  const result = schema.safeParse(input);
  assert.equal(result.success, false);

  const lines = describeIssues("FILE", result.error!.issues, input, () => true);

  assert.deepEqual(lines, [
    "FILE: token: invalid value (value hidden), expected a number",
  ]);
});
