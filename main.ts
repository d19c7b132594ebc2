import {
  type Config,
  ConfigError,
  ENVIRONMENT_VARIABLES,
  parseConfig,
} from "./src/config.ts";
import { backupCommand } from "./src/cli/backup.ts";
import { checkConfigCommand } from "./src/cli/check_config.ts";
import { readEnvironment } from "./src/cli/environment.ts";
import { purgeCommand } from "./src/cli/purge.ts";
import {
  findUnknownEventTypes,
  KNOWN_EVENT_TYPES,
} from "./src/destinations.ts";
import { configureLogging, logger } from "./src/log.ts";
import { createObserver } from "./src/observer.ts";
import { type RunningServer, startServer } from "./src/server.ts";
import { VERSION } from "./src/version.ts";

/** Maximum time a graceful shutdown may take after SIGTERM or SIGINT. */
const SHUTDOWN_LIMIT_MS = 10_000;

function helpText(): string {
  const rows = ENVIRONMENT_VARIABLES.map(([name, fallback, meaning]) =>
    `  ${name.padEnd(28)} ${meaning}${fallback ? ` (default ${fallback})` : ""}`
  );
  return [
    `asknewton-webhooks ${VERSION}: receives ElevenLabs webhooks, stores them, relays them.`,
    "",
    "Usage: asknewton-webhooks [command] [--help] [--version]",
    "",
    "Commands:",
    "  serve           start the HTTP server (the default)",
    "  check-config    validate the environment and the JSON files it names, print what would run (secrets masked)",
    "  backup <file>   write a consistent copy of DB_PATH to a new file while the server runs",
    "  purge           purge and redact old events now, as the server does hourly",
    "",
    "Environment variables:",
    ...rows,
  ].join("\n");
}

/** Logs where the server listens and what is disabled or suspicious. */
function logStartup(server: RunningServer, config: Config): void {
  const log = logger("server");
  const disabled = [
    !config.endSecrets.length && "/webhooks/eleven/conversation-end",
    !config.initSecrets.length && "/webhooks/eleven/conversation-init",
    !config.adminToken && "/events, /admin/*",
  ].filter(Boolean);
  log.info("server started", {
    url: server.url,
    version: VERSION,
    db_path: config.dbPath,
    destinations: server.context.destinations.map((d) => d.name),
    disabled_routes: disabled,
  });
  for (const route of disabled) {
    log.warn("route disabled: its secret is not set", { route });
  }
  const unknownTypes = findUnknownEventTypes(server.context.destinations);
  for (const { destination, eventType } of unknownTypes) {
    log.warn("destination lists an unknown event type; check its spelling", {
      destination,
      event_type: eventType,
      known_types: KNOWN_EVENT_TYPES,
    });
  }
}

async function serve(): Promise<number> {
  let config;
  try {
    config = parseConfig(readEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }

  await configureLogging(config.logLevel);
  const log = logger("server");
  let server;
  try {
    server = await startServer(config, {
      observer: createObserver(),
      onUnhandledError: (error, path) =>
        logger("http").error("request failed", { path, error: String(error) }),
    });
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }

  // Listen for signals before announcing the start, so a SIGTERM sent as
  // soon as "server started" appears still shuts down cleanly.
  const stopped = Promise.withResolvers<number>();
  let stopping = false;
  const stop = (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    log.info("shutdown started", { signal });
    const timer = setTimeout(() => {
      log.error("shutdown timed out", { limit_ms: SHUTDOWN_LIMIT_MS });
      stopped.resolve(1);
    }, SHUTDOWN_LIMIT_MS);
    server.shutdown().then(() => {
      clearTimeout(timer);
      log.info("shutdown finished");
      stopped.resolve(0);
    }, (error) => {
      clearTimeout(timer);
      log.error("shutdown failed", { error: String(error) });
      stopped.resolve(1);
    });
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));

  logStartup(server, config);

  return await stopped.promise;
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--version")) {
    console.log(VERSION);
    return 0;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText());
    return 0;
  }

  const [command = "serve", ...rest] = args;
  if (command === "serve") return await serve();
  if (command === "check-config") {
    return await checkConfigCommand(readEnvironment());
  }
  if (command === "backup") {
    return await backupCommand(rest, readEnvironment());
  }
  if (command === "purge") return await purgeCommand(readEnvironment());
  console.error(
    `unknown command "${command}"; run with --help to list commands`,
  );
  return 2;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
