import { z } from "zod";
import { HOST_EXPECTED, isListenHost } from "./listen_address.ts";

/** Log levels accepted by `LOG_LEVEL`, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevelName = typeof LOG_LEVELS[number];

/** Server settings read from the environment and validated at start. */
export interface Config {
  port: number;
  host: string;
  dbPath: string;
  /** Secrets for post-call webhooks; empty disables the route. */
  endSecrets: string[];
  /** Secrets for the initiation webhook; empty disables the route. */
  initSecrets: string[];
  slackWebhookUrl?: string;
  destinationsFile?: string;
  initDataFile?: string;
  /** Bearer token for the admin routes; undefined disables them. */
  adminToken?: string;
  signatureToleranceSeconds: number;
  maxBodyBytes: number;
  retentionDays: number;
  /** Days after which transcripts and audio are blanked; 0 turns it off. */
  redactAfterDays: number;
  logLevel: LogLevelName;
}

/** Every environment variable the server reads, with default and meaning. */
export const ENVIRONMENT_VARIABLES = [
  ["PORT", "3000", "listen port"],
  [
    "HOST",
    "0.0.0.0",
    "listen address: an IPv4 or IPv6 address or a host name; empty means the default",
  ],
  ["DB_PATH", "data/asknewton.db", "SQLite file; its folder is created"],
  [
    "ELEVEN_END_SECRET",
    "",
    "HMAC secret(s) for post-call webhooks, comma-separated during rotation",
  ],
  [
    "ELEVEN_INIT_SECRET",
    "",
    "secret(s) for the conversation-initiation webhook, comma-separated",
  ],
  ["SLACK_WEBHOOK_URL", "", "adds the `slack` destination"],
  ["DESTINATIONS_FILE", "", "JSON file of further destinations"],
  [
    "INIT_DATA_FILE",
    "",
    "JSON {dynamic_variables, conversation_config_override} merged into every initiation answer",
  ],
  [
    "ADMIN_TOKEN",
    "",
    "bearer token for /admin/* and /events*, at least 16 characters; unset disables them",
  ],
  [
    "SIGNATURE_TOLERANCE_SECONDS",
    "1800",
    "oldest accepted signature timestamp, in seconds",
  ],
  ["MAX_BODY_BYTES", "33554432", "largest accepted request body, in bytes"],
  [
    "RETENTION_DAYS",
    "90",
    "days to keep events and finished deliveries; 0 keeps all",
  ],
  [
    "REDACT_AFTER_DAYS",
    "0",
    "days after which transcripts, summaries and audio are blanked; 0 never blanks them",
  ],
  ["LOG_LEVEL", "info", "debug, info, warn or error"],
] as const;

/** Raised when the environment contains invalid values, with one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

/** Variables whose values are never echoed, because they hold credentials. */
const SECRET_VARIABLES = new Set([
  "ELEVEN_END_SECRET",
  "ELEVEN_INIT_SECRET",
  "ADMIN_TOKEN",
  "SLACK_WEBHOOK_URL",
]);

const secretList = z.string().optional().transform((value) =>
  (value ?? "").split(",").map((secret) => secret.trim()).filter(Boolean)
);

function integerVariable(fallback: number, min: number, max: number) {
  return z.string().optional().transform((value, context) => {
    if (value === undefined || value.trim() === "") return fallback;
    // Spaces around the value are trimmed, as for the text variables, and
    // the rest must be digits: Number() alone would also read "1e4", "0x10"
    // and "5.0".
    const digits = value.trim();
    const parsed = /^[0-9]{1,10}$/.test(digits) ? Number(digits) : NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      context.addIssue({
        code: "custom",
        message: `expected a whole number from ${min} to ${max}`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

const optionalText = z.string().optional().transform((value) =>
  value?.trim() ? value.trim() : undefined
);

const httpUrl = optionalText.refine(
  (value) =>
    value === undefined ||
    (/^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value)),
  "expected an http:// or https:// URL",
);

const environmentSchema = z.object({
  PORT: integerVariable(3000, 0, 65535),
  // An empty HOST counts as unset, as every variable here does, so `HOST=`
  // in an environment file keeps the default.
  HOST: optionalText.refine(
    (value) => value === undefined || isListenHost(value),
    HOST_EXPECTED,
  ).transform((value) => value ?? "0.0.0.0"),
  DB_PATH: optionalText.transform((value) => value ?? "data/asknewton.db"),
  ELEVEN_END_SECRET: secretList,
  ELEVEN_INIT_SECRET: secretList,
  SLACK_WEBHOOK_URL: httpUrl,
  DESTINATIONS_FILE: optionalText,
  INIT_DATA_FILE: optionalText,
  ADMIN_TOKEN: optionalText.refine(
    (value) => value === undefined || value.length >= 16,
    "expected at least 16 characters, so the token cannot be guessed",
  ),
  SIGNATURE_TOLERANCE_SECONDS: integerVariable(1800, 1, 7 * 24 * 3600),
  MAX_BODY_BYTES: integerVariable(33_554_432, 1024, 1024 * 1024 * 1024),
  RETENTION_DAYS: integerVariable(90, 0, 36_500),
  REDACT_AFTER_DAYS: integerVariable(0, 0, 36_500),
  LOG_LEVEL: z.string().optional().transform((value, context) => {
    const level = (value ?? "").trim().toLowerCase() || "info";
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      context.addIssue({
        code: "custom",
        message: `expected one of ${LOG_LEVELS.join(", ")}`,
      });
      return z.NEVER;
    }
    return level as LogLevelName;
  }),
}).superRefine((values, context) => {
  const retentionDays = values.RETENTION_DAYS;
  if (retentionDays > 0 && values.REDACT_AFTER_DAYS > retentionDays) {
    context.addIssue({
      code: "custom",
      path: ["REDACT_AFTER_DAYS"],
      message:
        `expected at most RETENTION_DAYS (${retentionDays}), because events are purged before they would be redacted`,
    });
  }
});

/**
 * Reads the server's settings from environment variables. Raises a
 * {@link ConfigError} listing every invalid value, each on its own line with
 * the variable, what is wrong and what is expected. Secret values never
 * appear in the message.
 */
export function parseConfig(environment: Record<string, string>): Config {
  const result = environmentSchema.safeParse(environment);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      const shown = SECRET_VARIABLES.has(variable)
        ? "(value hidden)"
        : JSON.stringify(environment[variable]);
      return `${variable}: invalid value ${shown}, ${issue.message}`;
    }));
  }

  const values = result.data;
  return {
    port: values.PORT,
    host: values.HOST,
    dbPath: values.DB_PATH,
    endSecrets: values.ELEVEN_END_SECRET,
    initSecrets: values.ELEVEN_INIT_SECRET,
    slackWebhookUrl: values.SLACK_WEBHOOK_URL,
    destinationsFile: values.DESTINATIONS_FILE,
    initDataFile: values.INIT_DATA_FILE,
    adminToken: values.ADMIN_TOKEN,
    signatureToleranceSeconds: values.SIGNATURE_TOLERANCE_SECONDS,
    maxBodyBytes: values.MAX_BODY_BYTES,
    retentionDays: values.RETENTION_DAYS,
    redactAfterDays: values.REDACT_AFTER_DAYS,
    logLevel: values.LOG_LEVEL,
  };
}
