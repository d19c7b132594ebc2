import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "./config.ts";

/** Runs `parseConfig` and returns the ConfigError it raises. */
function configErrorFor(environment: Record<string, string>): ConfigError {
  try {
    parseConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail(`parseConfig accepted ${JSON.stringify(environment)}`);
}

Deno.test("parseConfig applies the defaults", () => {
  const config = parseConfig({});

  assert.equal(config.port, 3000);
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.dbPath, "data/asknewton.db");
  assert.deepEqual(config.endSecrets, []);
  assert.deepEqual(config.initSecrets, []);
  assert.equal(config.slackWebhookUrl, undefined);
  assert.equal(config.destinationsFile, undefined);
  assert.equal(config.initDataFile, undefined);
  assert.equal(config.adminToken, undefined);
  assert.equal(config.signatureToleranceSeconds, 1800);
  assert.equal(config.maxBodyBytes, 33_554_432);
  assert.equal(config.retentionDays, 90);
  assert.equal(config.logLevel, "info");
});

Deno.test("parseConfig treats empty values as unset", () => {
  const config = parseConfig({
    PORT: "",
    HOST: " ",
    DB_PATH: "",
    ADMIN_TOKEN: "",
    SLACK_WEBHOOK_URL: "",
    MAX_BODY_BYTES: "",
    LOG_LEVEL: "",
  });

  assert.equal(config.port, 3000);
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.dbPath, "data/asknewton.db");
  assert.equal(config.adminToken, undefined);
  assert.equal(config.slackWebhookUrl, undefined);
  assert.equal(config.maxBodyBytes, 33_554_432);
  assert.equal(config.logLevel, "info");
});

Deno.test("parseConfig trims whole numbers", () => {
  const config = parseConfig({ PORT: " 8080 ", RETENTION_DAYS: "\t30\n" });

  assert.equal(config.port, 8080);
  assert.equal(config.retentionDays, 30);
});

Deno.test("parseConfig reads every variable", () => {
  const config = parseConfig({
    PORT: "8080",
    HOST: "127.0.0.1",
    DB_PATH: "/var/lib/asknewton/events.db",
    ELEVEN_END_SECRET: "wsec_new",
    ELEVEN_INIT_SECRET: "init_secret",
    SLACK_WEBHOOK_URL: "https://hooks.slack.example/services/T0/B0/X",
    DESTINATIONS_FILE: "/etc/asknewton/destinations.json",
    INIT_DATA_FILE: "/etc/asknewton/init_data.json",
    ADMIN_TOKEN: "admin-token-of-twenty-chars",
    SIGNATURE_TOLERANCE_SECONDS: "600",
    MAX_BODY_BYTES: "1048576",
    RETENTION_DAYS: "0",
    LOG_LEVEL: "WARN",
  });

  assert.equal(config.port, 8080);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.dbPath, "/var/lib/asknewton/events.db");
  assert.deepEqual(config.endSecrets, ["wsec_new"]);
  assert.deepEqual(config.initSecrets, ["init_secret"]);
  assert.equal(
    config.slackWebhookUrl,
    "https://hooks.slack.example/services/T0/B0/X",
  );
  assert.equal(config.destinationsFile, "/etc/asknewton/destinations.json");
  assert.equal(config.initDataFile, "/etc/asknewton/init_data.json");
  assert.equal(config.adminToken, "admin-token-of-twenty-chars");
  assert.equal(config.signatureToleranceSeconds, 600);
  assert.equal(config.maxBodyBytes, 1_048_576);
  assert.equal(config.retentionDays, 0);
  assert.equal(config.logLevel, "warn");
});

Deno.test("parseConfig accepts IPv6 and host names", () => {
  assert.equal(parseConfig({ HOST: "::1" }).host, "::1");
  assert.equal(parseConfig({ HOST: "localhost" }).host, "localhost");
});

Deno.test("parseConfig splits secret lists on commas", () => {
  const config = parseConfig({
    ELEVEN_END_SECRET: "wsec_new, wsec_old,,",
    ELEVEN_INIT_SECRET: " init_a ,init_b",
  });

  assert.deepEqual(config.endSecrets, ["wsec_new", "wsec_old"]);
  assert.deepEqual(config.initSecrets, ["init_a", "init_b"]);
});

const invalidValues: [string, string, RegExp][] = [
  [
    "PORT",
    "http",
    /^PORT: invalid value "http", expected a whole number from 0 to 65535$/,
  ],
  [
    "PORT",
    "65536",
    /^PORT: invalid value "65536", expected a whole number from 0 to 65535$/,
  ],
  ["PORT", "80.5", /^PORT: invalid value "80.5", expected a whole number/],
  ["PORT", "0x10", /^PORT: invalid value "0x10", expected a whole number/],
  ["PORT", "80.0", /^PORT: invalid value "80.0", expected a whole number/],
  [
    "MAX_BODY_BYTES",
    "1e4",
    /^MAX_BODY_BYTES: invalid value "1e4", expected a whole number/,
  ],
  [
    "SIGNATURE_TOLERANCE_SECONDS",
    "0",
    /^SIGNATURE_TOLERANCE_SECONDS: invalid value "0", expected a whole number from 1 to 604800$/,
  ],
  [
    "MAX_BODY_BYTES",
    "32MB",
    /^MAX_BODY_BYTES: invalid value "32MB", expected a whole number from 1024 to 1073741824$/,
  ],
  ["MAX_BODY_BYTES", "100", /^MAX_BODY_BYTES: invalid value "100", expected/],
  [
    "RETENTION_DAYS",
    "-1",
    /^RETENTION_DAYS: invalid value "-1", expected a whole number from 0 to 36500$/,
  ],
  [
    "LOG_LEVEL",
    "verbose",
    /^LOG_LEVEL: invalid value "verbose", expected one of debug, info, warn, error$/,
  ],
  [
    "SLACK_WEBHOOK_URL",
    "hooks.slack.example/services/T0",
    /^SLACK_WEBHOOK_URL: invalid value \(value hidden\), expected an http:\/\/ or https:\/\/ URL$/,
  ],
  [
    "ADMIN_TOKEN",
    "short-token",
    /^ADMIN_TOKEN: invalid value \(value hidden\), expected at least 16 characters/,
  ],
  [
    "HOST",
    "999.1.1.1",
    /^HOST: invalid value "999.1.1.1", expected an IPv4 address such as 127.0.0.1, an IPv6 address such as ::1, or a host name such as localhost$/,
  ],
  ["HOST", "not a host", /^HOST: invalid value "not a host", expected an IPv4/],
];

for (const [variable, value, expected] of invalidValues) {
  Deno.test(`parseConfig rejects ${variable}=${value}`, () => {
    const error = configErrorFor({ [variable]: value });

    assert.equal(error.problems.length, 1);
    assert.match(error.problems[0], expected);
  });
}

Deno.test("parseConfig lists each problem on its own line", () => {
  const error = configErrorFor({
    PORT: "http",
    MAX_BODY_BYTES: "32MB",
    RETENTION_DAYS: "-1",
    LOG_LEVEL: "verbose",
    ADMIN_TOKEN: "short-token",
  });
  const lines = error.message.split("\n");

  assert.equal(lines.length, 5);
  assert.deepEqual(
    lines.map((line) => line.slice(0, line.indexOf(":"))).sort(),
    ["ADMIN_TOKEN", "LOG_LEVEL", "MAX_BODY_BYTES", "PORT", "RETENTION_DAYS"],
  );
  for (const line of lines) assert.match(line, /, expected /, line);
  assert.equal(error.name, "ConfigError");
});

Deno.test("parseConfig never shows secret values", () => {
  const adminToken = "tooshort-secret";
  const slackUrl = "hooks.slack.example/services/T0/B0/secret-part";
  const error = configErrorFor({
    ADMIN_TOKEN: adminToken,
    SLACK_WEBHOOK_URL: slackUrl,
    ELEVEN_END_SECRET: "wsec_end_value",
    ELEVEN_INIT_SECRET: "init_value",
    PORT: "not-a-port",
  });

  for (const secret of [adminToken, slackUrl, "wsec_end_value", "init_value"]) {
    assert.ok(!error.message.includes(secret), secret);
  }
  assert.ok(!error.message.includes("secret-part"), "part of the Slack URL");
});

Deno.test("config rejects an unparsable Slack URL", () => {
  const url =
    "https://hooks.slack.com:99999/services/T000/B000/SLACKSECRETPATH";

  assert.throws(
    () => parseConfig({ SLACK_WEBHOOK_URL: url }),
    (error: Error) => {
      assert.match(error.message, /^SLACK_WEBHOOK_URL: invalid value/);
      assert.doesNotMatch(error.message, /SLACKSECRETPATH/);
      return true;
    },
  );
});
