import { z } from "zod";
import { INITIATION_TYPE } from "./elevenlabs/events.ts";

/** Where events are relayed: Slack or any HTTP endpoint. */
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
  /** Most deliveries in flight to this destination at once. */
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

const positiveMs = z.number().int().min(1).max(7 * 24 * 3_600_000);

const destinationSchema = z.object({
  name: z.string().regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    "expected lowercase letters, digits, '-' or '_', at most 63 characters",
  ),
  kind: z.enum(["slack", "http"]),
  url: z.string().url().refine(
    (url) => /^https?:\/\//.test(url),
    "expected an http:// or https:// URL",
  ),
  events: z.array(z.string().min(1)).min(1).optional(),
  secret: z.string().regex(
    /^whsec_[A-Za-z0-9+/]+={0,2}$/,
    "expected whsec_ followed by base64",
  ).optional(),
  headers: z.record(z.string()).optional(),
  timeoutMs: positiveMs.optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  backoff: z.object({ baseMs: positiveMs, capMs: positiveMs }).strict()
    .optional(),
  breaker: z.object({
    failureThreshold: z.number().int().min(1).max(1000),
    cooldownMs: positiveMs,
  }).strict().optional(),
}).strict();

const fileSchema = z.object({ destinations: z.array(destinationSchema) })
  .strict();

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
      `${fileName}: invalid JSON, ${(error as Error).message}`,
    ]);
  }

  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new DestinationsError(parsed.error.issues.map((issue) => {
      const where = issue.path.length ? issue.path.join(".") : "(top level)";
      return `${fileName}: ${where}: ${issue.message}`;
    }));
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
