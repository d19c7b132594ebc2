import { dirname } from "node:path";
import { type Config, ConfigError, parseConfig } from "../config.ts";
import {
  type Destination,
  DestinationsError,
  parseDestinations,
} from "../destinations.ts";
import { type InitData, InitDataError, parseInitData } from "../init_data.ts";

/** Result of `check-config`: the problems, or a summary of what would run. */
export interface ConfigurationReport {
  /** One line per problem, naming the variable or file; no secret values. */
  problems: string[];
  /** Lines describing the server that would start; empty with problems. */
  summary: string[];
}

/**
 * `check-config`: validates the environment and the JSON files it names,
 * then prints what the server would run, with secrets masked. Returns the
 * exit code: 0 when valid, 1 with one line per problem on stderr.
 */
export async function checkConfigCommand(
  environment: Record<string, string>,
): Promise<number> {
  const report = await inspectConfiguration(environment);
  if (report.problems.length > 0) {
    for (const problem of report.problems) console.error(problem);
    return 1;
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
  if (config) problems.push(...databaseAccessProblems(config.dbPath));

  if (problems.length > 0 || !config || !destinations || !initData) {
    return { problems, summary: [] };
  }
  return {
    problems,
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
      }; place the file in a folder it was built to read (COMPILE_CONFIG_DIR, see README)`,
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
 * Checks that the process may read and write the database folder. Under
 * `deno run -A` this always holds; the executable is built with folder
 * permissions fixed at compile time.
 */
function databaseAccessProblems(dbPath: string): string[] {
  const folder = dirname(dbPath);
  const denied = (["read", "write"] as const).filter((name) =>
    Deno.permissions.querySync({ name, path: folder }).state !== "granted"
  );
  if (denied.length === 0) return [];
  return [
    `DB_PATH: this executable may not ${denied.join(" or ")} ${
      JSON.stringify(folder)
    }; set DB_PATH inside the folder it was built for (COMPILE_DATA_DIR, see README)`,
  ];
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
    throw error;
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
