import { dirname } from "node:path";
import { type Config, ConfigError, parseConfig } from "../config.ts";
import { findDatabasePathProblem } from "../database_path.ts";
import {
  type Destination,
  DestinationsError,
  findUnknownEventTypes,
  KNOWN_EVENT_TYPES,
  parseDestinations,
} from "../destinations.ts";
import { type InitData, InitDataError, parseInitData } from "../init_data.ts";

/** Result of `check-config`: the problems, or a summary of what would run. */
export interface ConfigurationReport {
  /** One line per problem, naming the variable or file; no secret values. */
  problems: string[];
  /** Lines about likely mistakes that do not stop the server. */
  warnings: string[];
  /** Lines describing the server that would start; empty with problems. */
  summary: string[];
}

/**
 * `check-config`: validates the environment and the JSON files it names,
 * then prints what the server would run, with secrets masked. Returns the
 * exit code: 0 when valid, 2 with one line per problem on stderr, as `serve`
 * exits for an invalid configuration. Warnings go to stderr either way.
 */
export async function checkConfigCommand(
  environment: Record<string, string>,
): Promise<number> {
  const report = await inspectConfiguration(environment);
  for (const warning of report.warnings) console.error(warning);
  if (report.problems.length > 0) {
    for (const problem of report.problems) console.error(problem);
    return 2;
  }
  console.log(report.summary.join("\n"));
  return 0;
}

/** Collects every problem of the configuration, or describes it. */
export async function inspectConfiguration(
  environment: Record<string, string>,
): Promise<ConfigurationReport> {
  const problems: string[] = [];
  let config: Config | undefined;
  try {
    config = parseConfig(environment);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }

  const destinationsPath = environment.DESTINATIONS_FILE?.trim() || undefined;
  const initDataPath = environment.INIT_DATA_FILE?.trim() || undefined;
  const destinations = await parseFile(
    "DESTINATIONS_FILE",
    destinationsPath,
    problems,
    (text) => parseDestinations(text, config?.slackWebhookUrl),
  );
  const initData = await parseFile(
    "INIT_DATA_FILE",
    initDataPath,
    problems,
    (text) => parseInitData(text),
  );
  if (config) problems.push(...databaseProblems(config.dbPath));
  const warnings = destinations ? unknownEventTypeWarnings(destinations) : [];

  if (problems.length > 0 || !config || !destinations || !initData) {
    return { problems, warnings, summary: [] };
  }
  return {
    problems,
    warnings,
    summary: await describeConfiguration(config, destinations, initData),
  };
}

/** Reads and validates one JSON file; problems go to `problems`. */
async function parseFile<T>(
  variable: string,
  path: string | undefined,
  problems: string[],
  parse: (text: string | undefined) => T,
): Promise<T | undefined> {
  const text = path === undefined
    ? undefined
    : await readConfigFile(variable, path, problems);
  if (path !== undefined && text === undefined) return undefined;

  try {
    return parse(text);
  } catch (error) {
    if (
      error instanceof DestinationsError || error instanceof InitDataError
    ) {
      problems.push(...error.problems);
      return undefined;
    }
    throw error;
  }
}

async function readConfigFile(
  variable: string,
  path: string,
  problems: string[],
): Promise<string | undefined> {
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    problems.push(
      `${variable}: this executable may not read ${
        JSON.stringify(path)
      }; place the file in a folder it was built to read (COMPILE_CONFIG_DIR, see docs/operations.md)`,
    );
    return undefined;
  }
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    problems.push(
      `${variable}: cannot read ${JSON.stringify(path)}: ${
        (error as Error).message
      }`,
    );
    return undefined;
  }
}

/**
 * Checks that the process may read and write the database folder, then that
 * `serve` could open the path as SQLite. The first check always passes under
 * `deno run -A`. It matters for the executable, whose folder permissions are
 * fixed at compile time, and the second check needs those permissions.
 */
function databaseProblems(dbPath: string): string[] {
  const folder = dirname(dbPath);
  const denied = (["read", "write"] as const).filter((name) =>
    Deno.permissions.querySync({ name, path: folder }).state !== "granted"
  );
  if (denied.length > 0) {
    return [
      `DB_PATH: this executable may not ${denied.join(" or ")} ${
        JSON.stringify(folder)
      }; set DB_PATH inside the folder it was built for (COMPILE_DATA_DIR, see docs/operations.md)`,
    ];
  }

  const problem = findDatabasePathProblem(dbPath);
  return problem ? [problem] : [];
}

function unknownEventTypeWarnings(destinations: Destination[]): string[] {
  return findUnknownEventTypes(destinations).map(({ destination, eventType }) =>
    `warning: DESTINATIONS_FILE: destination "${destination}" lists unknown event type ${
      JSON.stringify(eventType)
    }; it is kept, because ElevenLabs adds types over time, but check its spelling against the known types ${
      KNOWN_EVENT_TYPES.join(", ")
    }`
  );
}

async function describeConfiguration(
  config: Config,
  destinations: Destination[],
  initData: InitData,
): Promise<string[]> {
  return [
    "configuration is valid",
    `listen: ${config.host}:${config.port}`,
    `database: ${config.dbPath} (${await describeDatabaseFile(config.dbPath)})`,
    `log level: ${config.logLevel}`,
    "routes:",
    ...describeRoutes(config).map((line) => `  ${line}`),
    destinations.length ? "destinations:" : "destinations: none",
    ...destinations.map((destination) =>
      `  ${describeDestination(destination)}`
    ),
    `initiation data: ${describeInitData(initData)}`,
    `retention: ${describeRetention(config)}`,
    `limits: bodies up to ${config.maxBodyBytes} bytes, signatures up to ${config.signatureToleranceSeconds} s old`,
  ];
}

async function describeDatabaseFile(path: string): Promise<string> {
  try {
    const { size } = await Deno.stat(path);
    return `exists, ${size} bytes`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "will be created";
    return `cannot inspect it: ${(error as Error).message}`;
  }
}

function describeRoutes(config: Config): string[] {
  const secrets = (count: number) =>
    `enabled, ${count} secret${count === 1 ? "" : "s"}`;
  return [
    `POST /webhooks/eleven/conversation-end: ${
      config.endSecrets.length
        ? secrets(config.endSecrets.length)
        : "disabled, ELEVEN_END_SECRET is not set"
    }`,
    `POST /webhooks/eleven/conversation-init: ${
      config.initSecrets.length
        ? secrets(config.initSecrets.length)
        : "disabled, ELEVEN_INIT_SECRET is not set"
    }`,
    `/events and /admin/*: ${
      config.adminToken
        ? "enabled, ADMIN_TOKEN is set"
        : "disabled, ADMIN_TOKEN is not set"
    }`,
  ];
}

/**
 * Describes a destination by its URL host only: the path and query of a
 * Slack webhook URL are its credential. Header values are left out too.
 */
function describeDestination(destination: Destination): string {
  const parts = [
    `${destination.name}: ${destination.kind} to ${
      new URL(destination.url).host
    }`,
    `events ${destination.events?.join(", ") ?? "all post-call types"}`,
    `signing secret ${destination.secret ? "set" : "not set"}`,
  ];
  const headerNames = Object.keys(destination.headers);
  if (headerNames.length) parts.push(`headers ${headerNames.join(", ")}`);
  parts.push(
    `${destination.maxAttempts} attempts, timeout ${destination.timeoutMs} ms`,
  );
  return parts.join("; ");
}

function describeInitData(initData: InitData): string {
  const names = Object.keys(initData.dynamic_variables);
  const variables = names.length
    ? `dynamic variables ${names.join(", ")}`
    : "no fixed dynamic variables";
  const override = initData.conversation_config_override
    ? "conversation_config_override set"
    : "no conversation_config_override";
  return `${variables}; ${override}`;
}

function describeRetention(config: Config): string {
  const purge = config.retentionDays > 0
    ? `events purged after ${config.retentionDays} days`
    : "events kept forever";
  const redact = config.redactAfterDays > 0
    ? `transcripts and audio blanked after ${config.redactAfterDays} days`
    : "no redaction";
  return `${purge}; ${redact}`;
}
