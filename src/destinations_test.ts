import assert from "node:assert/strict";
import {
  DestinationsError,
  findUnknownEventTypes,
  KNOWN_EVENT_TYPES,
  parseDestinations,
} from "./destinations.ts";
import { formatPath } from "./config_file_issues.ts";
import { SERVER_SET_HEADERS } from "./destination_headers.ts";

const SIGNING_SECRET = "whsec_Kv/IJoBWkK+fRZrgoBT3BEobO85VsqXk";
const API_KEY = "crm-api-key-never-shown";

/** Builds a valid `http` destination with `overrides` applied. */
function crm(overrides: Record<string, unknown> = {}) {
  return {
    name: "crm",
    kind: "http",
    url: "https://crm.example.com/hooks/asknewton",
    ...overrides,
  };
}

function parse(destinations: unknown[]) {
  return parseDestinations(JSON.stringify({ destinations }), undefined);
}

/** Runs `parseDestinations` and returns the problems it raises. */
function problemsFor(destinations: unknown[]): string[] {
  try {
    parse(destinations);
  } catch (error) {
    if (error instanceof DestinationsError) return error.problems;
    throw error;
  }
  assert.fail(`parseDestinations accepted ${JSON.stringify(destinations)}`);
}

Deno.test("destination with every field parses", () => {
  const [destination] = parse([crm({
    events: ["post_call_transcription"],
    secret: SIGNING_SECRET,
    headers: { "x-api-key": API_KEY, "User-Agent": "crm-relay/1" },
    timeoutMs: 2_000,
    maxAttempts: 3,
    concurrency: 4,
    backoff: { baseMs: 1_000, capMs: 1_000 },
    breaker: { failureThreshold: 2, cooldownMs: 5_000 },
  })]);

  assert.deepEqual(destination.headers, {
    "x-api-key": API_KEY,
    "User-Agent": "crm-relay/1",
  });
  assert.deepEqual(destination.backoff, { baseMs: 1_000, capMs: 1_000 });
  assert.equal(destination.maxAttempts, 3);
});

Deno.test("header name with a space is rejected", () => {
  const problems = problemsFor([crm({ headers: { "bad header": "v" } })]);

  assert.deepEqual(problems, [
    'DESTINATIONS_FILE: destinations[0].headers["bad header"]: invalid header name, expected letters, digits or !#$%&\'*+-.^_`|~ with no spaces (an HTTP token)',
  ]);
});

for (const name of SERVER_SET_HEADERS) {
  const written = name.toUpperCase();
  Deno.test(`header ${written} is reserved`, () => {
    const problems = problemsFor([crm({ headers: { [written]: "value" } })]);

    const where = formatPath(["destinations", 0, "headers", written]);
    assert.deepEqual(problems, [
      `DESTINATIONS_FILE: ${where}: the server sets this header itself; remove it`,
    ]);
  });
}

Deno.test("header value with CR LF is rejected", () => {
  const value = `${API_KEY}\r\nx-injected: 1`;
  const problems = problemsFor([crm({ headers: { "x-api-key": value } })]);

  assert.deepEqual(problems, [
    'DESTINATIONS_FILE: destinations[0].headers["x-api-key"]: invalid value (value hidden), expected printable characters with no CR, LF or other control characters',
  ]);
});

Deno.test("header value above 0xFF is rejected", () => {
  const problems = problemsFor([crm({ headers: { "x-office": "東京" } })]);

  assert.equal(problems.length, 1);
  assert.match(problems[0], /headers\["x-office"\]: invalid value/);
  assert.equal(problems[0].includes("東京"), false);
});

Deno.test("header names differing in case are rejected", () => {
  const problems = problemsFor([
    crm({ headers: { "x-api-key": API_KEY, "X-Api-Key": API_KEY } }),
  ]);

  assert.deepEqual(problems, [
    'DESTINATIONS_FILE: destinations[0].headers["X-Api-Key"]: the same header as "x-api-key", because header names ignore case; keep one',
  ]);
});

Deno.test("header problems never show the value", () => {
  const problems = problemsFor([crm({
    headers: { "bad header": API_KEY, "Host": API_KEY, "x-a": `${API_KEY}\n` },
  })]);

  assert.equal(problems.length, 3);
  for (const problem of problems) {
    assert.equal(problem.includes(API_KEY), false, problem);
  }
});

Deno.test("headers as a string are hidden", () => {
  const problems = problemsFor([crm({ headers: `x-api-key: ${API_KEY}` })]);

  assert.deepEqual(problems, [
    "DESTINATIONS_FILE: destinations[0].headers: invalid value (value hidden), expected an object of header names and string values",
  ]);
});

Deno.test("backoff base above cap is rejected", () => {
  const problems = problemsFor([
    crm({ backoff: { baseMs: 5000, capMs: 100 } }),
  ]);

  assert.deepEqual(problems, [
    "DESTINATIONS_FILE: destinations[0].backoff: baseMs (5000) is greater than capMs (100); expected baseMs at most capMs, because capMs is the longest delay between attempts",
  ]);
});

Deno.test("slack destination rejects post_call_audio", () => {
  const problems = problemsFor([{
    name: "team",
    kind: "slack",
    url: "https://hooks.slack.com/services/T0/B0/slack-path-secret",
    events: ["post_call_transcription", "post_call_audio"],
  }]);

  assert.deepEqual(problems, [
    "DESTINATIONS_FILE: destinations[0].events[1]: slack destinations never receive post_call_audio, because a recording has no readable message; remove it or use an http destination",
  ]);
});

Deno.test("http destination accepts post_call_audio", () => {
  const [destination] = parse([crm({ events: ["post_call_audio"] })]);

  assert.deepEqual(destination.events, ["post_call_audio"]);
});

Deno.test("unknown event type parses and is found", () => {
  const destinations = parse([
    crm({ events: ["post_call_transcriptoin", "post_call_transcription"] }),
    crm({ name: "archive", events: [...KNOWN_EVENT_TYPES] }),
    crm({ name: "all" }),
  ]);

  assert.deepEqual(findUnknownEventTypes(destinations), [
    { destination: "crm", eventType: "post_call_transcriptoin" },
  ]);
});

Deno.test("relative url gives one hidden line", () => {
  const problems = problemsFor([crm({ url: "/hooks/asknewton" })]);

  assert.deepEqual(problems, [
    "DESTINATIONS_FILE: destinations[0].url: invalid value (value hidden), expected an absolute http:// or https:// URL such as https://crm.example.com/hooks",
  ]);
});

Deno.test("slack url without scheme stays hidden", () => {
  const url = "hooks.slack.com/services/T0/B0/slack-path-secret";
  const problems = problemsFor([{ name: "team", kind: "slack", url }]);

  assert.equal(problems.length, 1);
  assert.equal(problems[0].includes("slack-path-secret"), false, problems[0]);
});

Deno.test("ftp url is rejected", () => {
  const problems = problemsFor([crm({ url: "ftp://crm.example.com/" })]);

  assert.equal(problems.length, 1);
  assert.match(problems[0], /^DESTINATIONS_FILE: destinations\[0\]\.url: /);
});

const invalidFields: [string, Record<string, unknown>, string][] = [
  [
    "kind",
    { kind: "slak" },
    'destinations[0].kind: invalid value "slak", expected "slack" or "http"',
  ],
  [
    "maxAttempts",
    { maxAttempts: 0 },
    "destinations[0].maxAttempts: invalid value 0, expected a whole number from 1 to 100",
  ],
  [
    "timeoutMs",
    { timeoutMs: "10s" },
    'destinations[0].timeoutMs: invalid value "10s", expected a whole number of milliseconds from 1 to 604800000',
  ],
  [
    "concurrency",
    { concurrency: 2.5 },
    "destinations[0].concurrency: invalid value 2.5, expected a whole number from 1 to 256",
  ],
  [
    "name",
    { name: "CRM Main" },
    `destinations[0].name: invalid value "CRM Main", expected lowercase letters, digits, '-' or '_', starting with a letter or digit, at most 63 characters`,
  ],
  [
    "events",
    { events: "post_call_audio" },
    'destinations[0].events: invalid value "post_call_audio", expected a non-empty list of event types such as ["post_call_transcription"]',
  ],
  [
    "events",
    { events: [] },
    'destinations[0].events: invalid value (an array), expected a non-empty list of event types such as ["post_call_transcription"]',
  ],
  [
    "breaker",
    { breaker: { failureThreshold: 0, cooldownMs: 1000 } },
    "destinations[0].breaker.failureThreshold: invalid value 0, expected a whole number from 1 to 1000",
  ],
  [
    "backoff",
    { backoff: { baseMs: 1000 } },
    "destinations[0].backoff.capMs: missing, expected a whole number of milliseconds from 1 to 604800000",
  ],
  [
    "retries",
    { retries: 3 },
    "destinations[0].retries: unknown field, expected one of name, kind, url, events, secret, headers, timeoutMs, maxAttempts, concurrency, backoff, breaker",
  ],
];

for (const [field, overrides, expected] of invalidFields) {
  Deno.test(`destination ${field} ${JSON.stringify(overrides[field])} is rejected`, () => {
    const problems = problemsFor([crm(overrides)]);

    assert.deepEqual(problems, [`DESTINATIONS_FILE: ${expected}`]);
  });
}

Deno.test("missing url names what is expected", () => {
  const problems = problemsFor([{ name: "crm", kind: "http" }]);

  assert.deepEqual(problems, [
    "DESTINATIONS_FILE: destinations[0].url: missing, expected an absolute http:// or https:// URL such as https://crm.example.com/hooks",
  ]);
});

Deno.test("invalid secret is hidden", () => {
  const secret = "not-a-whsec-secret-value";
  const problems = problemsFor([crm({ secret })]);

  assert.deepEqual(problems, [
    "DESTINATIONS_FILE: destinations[0].secret: invalid value (value hidden), expected whsec_ followed by base64",
  ]);
});

Deno.test("file without a destinations list is rejected", () => {
  let problems: string[] = [];
  try {
    parseDestinations("[]", undefined);
  } catch (error) {
    if (!(error instanceof DestinationsError)) throw error;
    problems = error.problems;
  }

  assert.deepEqual(problems, [
    "DESTINATIONS_FILE: (top level): invalid value (an array), expected an object with the fields destinations",
  ]);
});

Deno.test("duplicate names are rejected", () => {
  const problems = problemsFor([crm(), crm()]);

  assert.deepEqual(problems, [
    'DESTINATIONS_FILE: destination name "crm" is used twice; names must be unique',
  ]);
});

Deno.test("invalid JSON error hides the excerpt", () => {
  const text =
    '{"destinations":[{"name":"a","kind":"http","url":"http://x","headers":{"authorization": Bearer CRMTOKEN_SECRET_123}}]}';

  assert.throws(
    () => parseDestinations(text, undefined),
    (error: Error) => {
      assert.doesNotMatch(error.message, /Bearer|CRMTOKEN/);
      assert.match(error.message, /^DESTINATIONS_FILE: invalid JSON/);
      return true;
    },
  );
});
