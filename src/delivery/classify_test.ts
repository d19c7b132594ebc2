import assert from "node:assert/strict";
import {
  type AttemptOutcome,
  classifyStatus,
  parseRetryAfter,
} from "./classify.ts";

Deno.test("classifyStatus() sorts statuses into outcomes", () => {
  const cases: [number, AttemptOutcome][] = [
    [200, "success"],
    [201, "success"],
    [202, "success"],
    [204, "success"],
    [299, "success"],
    [100, "permanent"],
    [199, "permanent"],
    [301, "permanent"],
    [304, "permanent"],
    [400, "permanent"],
    [401, "permanent"],
    [403, "permanent"],
    [404, "permanent"],
    [409, "permanent"],
    [410, "permanent"],
    [413, "permanent"],
    [422, "permanent"],
    [408, "retry"],
    [425, "retry"],
    [429, "retry"],
    [500, "retry"],
    [502, "retry"],
    [503, "retry"],
    [504, "retry"],
    [599, "retry"],
    [600, "permanent"],
  ];
  for (const [status, expected] of cases) {
    assert.equal(classifyStatus(status), expected, `status ${status}`);
  }
});

// 2025-12-04T15:10:00Z, a Thursday.
const NOW_MS = Date.UTC(2025, 11, 4, 15, 10, 0);

Deno.test("parseRetryAfter() reads delay-seconds", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["1", 1_000],
    ["120", 120_000],
    ["0120", 120_000],
    [" 30 ", 30_000],
    ["86400", 86_400_000],
  ];
  for (const [header, expected] of cases) {
    assert.equal(parseRetryAfter(header, NOW_MS), expected, `"${header}"`);
  }
});

Deno.test("parseRetryAfter() keeps huge delays finite", () => {
  const delayMs = parseRetryAfter("9".repeat(400), NOW_MS);

  assert.equal(delayMs, Number.MAX_SAFE_INTEGER);
});

Deno.test("parseRetryAfter() reads IMF-fixdate", () => {
  const cases: [string, number][] = [
    ["Thu, 04 Dec 2025 15:12:00 GMT", 120_000],
    ["Fri, 05 Dec 2025 15:10:00 GMT", 86_400_000],
    ["Thu, 04 Dec 2025 15:10:00 GMT", 0],
  ];
  for (const [header, expected] of cases) {
    assert.equal(parseRetryAfter(header, NOW_MS), expected, `"${header}"`);
  }
});

Deno.test("parseRetryAfter() gives 0 for a past date", () => {
  const cases = [
    "Thu, 04 Dec 2025 15:09:59 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT",
  ];
  for (const header of cases) {
    assert.equal(parseRetryAfter(header, NOW_MS), 0, `"${header}"`);
  }
});

Deno.test("parseRetryAfter() rejects absent and invalid values", () => {
  const cases: (string | null)[] = [
    null,
    "",
    "   ",
    "-5",
    "1.5",
    "+30",
    "1e3",
    "soon",
    "30 seconds",
    "Infinity",
    "2025-12-04T15:12:00Z",
    "Thu, 04 Dec 2025 15:12:00 +0000",
    "Thu, 4 Dec 2025 15:12:00 GMT",
    "thu, 04 Dec 2025 15:12:00 GMT",
    "Mon, 04 Dec 2025 15:12:00 GMT",
    "Sat, 31 Feb 2026 15:12:00 GMT",
    "Thu, 04 Dec 2025 25:12:00 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
  ];
  for (const header of cases) {
    assert.equal(parseRetryAfter(header, NOW_MS), undefined, `"${header}"`);
  }
});
