import { z } from "zod";
import { jsonErrorWithoutExcerpt } from "./config_file_issues.ts";
import {
  addStatement,
  describeIssues,
  expecting,
  expectingObject,
  type JsonPath,
} from "./config_file_issues.ts";
import { checkHeaders } from "./destination_headers.ts";
import { INITIATION_TYPE, POST_CALL_TYPES } from "./elevenlabs/events.ts";

/** Kind of destination: Slack or any HTTP endpoint. */
export type DestinationKind = "slack" | "http";

/** One outbound destination, with every optional setting resolved. */
export interface Destination {
  name: string;
  kind: DestinationKind;
  url: string;
  /** Event types wanted; undefined means every post-call type. */
  events?: string[];
  /** `whsec_…` secret for Standard Webhooks signatures (http only). */
  secret?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxAttempts: number;
  /** Maximum number of deliveries in flight to this destination at once. */
  concurrency: number;
  backoff: { baseMs: number; capMs: number };
  breaker: { failureThreshold: number; cooldownMs: number };
}

/** Defaults for the optional destination settings. */
export const DESTINATION_DEFAULTS = {
  timeoutMs: 10_000,
  maxAttempts: 8,
  concurrency: 16,
  backoff: { baseMs: 5_000, capMs: 3_600_000 },
  breaker: { failureThreshold: 5, cooldownMs: 30_000 },
} as const;

/** Longest accepted timeout, delay or cooldown: one week, in milliseconds. */
const MAX_MS = 7 * 24 * 3_600_000;

const milliseconds = () =>
  z.number(
    expecting(`a whole number of milliseconds from 1 to ${MAX_MS}`),
  ).int().min(1).max(MAX_MS);

const wholeNumber = (min: number, max: number) =>
  z.number(expecting(`a whole number from ${min} to ${max}`))
    .int().min(min).max(max);

const URL_EXPECTED =
  "an absolute http:// or https:// URL such as https://crm.example.com/hooks";

const backoffSchema = z.object({
  baseMs: milliseconds(),
  capMs: milliseconds(),
}, expectingObject(["baseMs", "capMs"])).strict().superRefine(
  checkBackoffOrder,
);

const breakerSchema = z.object({
  failureThreshold: wholeNumber(1, 1000),
  cooldownMs: milliseconds(),
}, expectingObject(["failureThreshold", "cooldownMs"])).strict();

const destinationShape = {
  name: z.string(
    expecting(
      "lowercase letters, digits, '-' or '_', starting with a letter or digit, at most 63 characters",
    ),
  ).regex(/^[a-z0-9][a-z0-9_-]{0,62}$/),
  kind: z.enum(["slack", "http"], expecting('"slack" or "http"')),
  url: z.string(expecting(URL_EXPECTED)).refine(isHttpUrl, URL_EXPECTED),
  events: z.array(
    z.string(expecting("an event type such as post_call_transcription"))
      .min(1),
    expecting(
      'a non-empty list of event types such as ["post_call_transcription"]',
    ),
  ).min(1).optional(),
  secret: z.string(expecting("whsec_ followed by base64")).regex(
    /^whsec_[A-Za-z0-9+/]+={0,2}$/,
  ).optional(),
  headers: z.record(
    z.string(expecting("a string")),
    expecting("an object of header names and string values"),
  ).superRefine(checkHeaders).optional(),
  timeoutMs: milliseconds().optional(),
  maxAttempts: wholeNumber(1, 100).optional(),
  concurrency: wholeNumber(1, 256).optional(),
  backoff: backoffSchema.optional(),
  breaker: breakerSchema.optional(),
};

const REQUIRED_FIELDS = ["name", "kind", "url"];

const destinationSchema = z.object(
  destinationShape,
  expectingObject(
    REQUIRED_FIELDS,
    Object.keys(destinationShape).filter((field) =>
      !REQUIRED_FIELDS.includes(field)
    ),
  ),
).strict().superRefine(rejectSlackAudio);

const fileSchema = z.object({
  destinations: z.array(
    destinationSchema,
    expecting("a list of destination objects"),
  ),
}, expectingObject(["destinations"])).strict();

/** Raised for an invalid destinations file; one line per problem. */
export class DestinationsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "DestinationsError";
  }
}

/**
 * Validates the destinations file's JSON text and adds the Slack shorthand.
 * Unknown fields are errors, so a typo cannot fall back to a default.
 */
export function parseDestinations(
  fileText: string | undefined,
  slackWebhookUrl: string | undefined,
  fileName = "DESTINATIONS_FILE",
): Destination[] {
  const destinations: Destination[] = [];
  if (slackWebhookUrl) {
    destinations.push(withDefaults({
      name: "slack",
      kind: "slack",
      url: slackWebhookUrl,
    }));
  }
  if (fileText === undefined) return destinations;

  let json: unknown;
  try {
    json = JSON.parse(fileText);
  } catch (error) {
    throw new DestinationsError([
      `${fileName}: invalid JSON, ${jsonErrorWithoutExcerpt(error)}`,
    ]);
  }

  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new DestinationsError(
      describeIssues(fileName, parsed.error.issues, json, isCredentialPath),
    );
  }

  for (const entry of parsed.data.destinations) {
    destinations.push(withDefaults(entry));
  }
  const problems = findDuplicateNames(destinations).map((name) =>
    `${fileName}: destination name "${name}" is used twice; names must be unique`
  );
  if (problems.length) throw new DestinationsError(problems);
  return destinations;
}

/**
 * Lists the destinations owed a delivery for an event type. A destination
 * without `events` takes every type except initiation requests, which go
 * only where they are listed by name.
 */
export function destinationsFor(
  destinations: readonly Destination[],
  type: string,
): string[] {
  return destinations
    .filter((destination) =>
      destination.events
        ? destination.events.includes(type)
        : type !== INITIATION_TYPE
    )
    .filter((destination) =>
      !(destination.kind === "slack" && type === "post_call_audio")
    )
    .map((destination) => destination.name);
}

/** Event types this server recognizes; destinations may list others. */
export const KNOWN_EVENT_TYPES: readonly string[] = [
  ...POST_CALL_TYPES,
  INITIATION_TYPE,
];

/** An event type that a destination lists and this server does not recognize. */
export interface UnknownEventType {
  destination: string;
  eventType: string;
}

/**
 * Finds event types that destinations list but this server does not
 * recognize.
 * They stay valid, because ElevenLabs adds types over time, but a typo such
 * as `post_call_transcriptoin` would silently match nothing, so callers
 * warn about each one.
 */
export function findUnknownEventTypes(
  destinations: readonly Destination[],
): UnknownEventType[] {
  return destinations.flatMap((destination) =>
    (destination.events ?? [])
      .filter((type) => !KNOWN_EVENT_TYPES.includes(type))
      .map((eventType) => ({ destination: destination.name, eventType }))
  );
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === "http:" || protocol === "https:";
}

/**
 * Paths whose values are never shown in messages: secrets, header values and
 * URLs, because the path of a Slack webhook URL is its credential.
 */
function isCredentialPath(path: JsonPath): boolean {
  return path.some((key) =>
    key === "secret" || key === "headers" || key === "url"
  );
}

function checkBackoffOrder(
  backoff: { baseMs: number; capMs: number },
  context: z.RefinementCtx,
): void {
  if (backoff.baseMs <= backoff.capMs) return;
  addStatement(
    context,
    [],
    `baseMs (${backoff.baseMs}) is greater than capMs (${backoff.capMs}); expected baseMs at most capMs, because capMs is the longest delay between attempts`,
  );
}

/** Rejects `post_call_audio` in a Slack destination, which never gets it. */
function rejectSlackAudio(
  entry: { kind: string; events?: string[] },
  context: z.RefinementCtx,
): void {
  if (entry.kind !== "slack") return;
  entry.events?.forEach((type, index) => {
    if (type !== "post_call_audio") return;
    addStatement(
      context,
      ["events", index],
      "slack destinations never receive post_call_audio, because a recording has no readable message; remove it or use an http destination",
    );
  });
}

function withDefaults(
  entry: z.infer<typeof destinationSchema>,
): Destination {
  return {
    ...entry,
    headers: entry.headers ?? {},
    timeoutMs: entry.timeoutMs ?? DESTINATION_DEFAULTS.timeoutMs,
    maxAttempts: entry.maxAttempts ?? DESTINATION_DEFAULTS.maxAttempts,
    concurrency: entry.concurrency ?? DESTINATION_DEFAULTS.concurrency,
    backoff: entry.backoff ?? { ...DESTINATION_DEFAULTS.backoff },
    breaker: entry.breaker ?? { ...DESTINATION_DEFAULTS.breaker },
  };
}

function findDuplicateNames(destinations: Destination[]): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { name } of destinations) {
    if (seen.has(name)) duplicates.add(name);
    seen.add(name);
  }
  return [...duplicates];
}
