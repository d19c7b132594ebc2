import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { ENVIRONMENT_VARIABLES } from "../src/config.ts";
import { VERSION } from "../src/version.ts";
import { ADMIN_TOKEN, transcriptionFor } from "./support/fixtures.ts";
import { runMain } from "./support/main_command.ts";
import { startTestServer } from "./support/test_server.ts";

const DAY_MS = 24 * 3_600_000;

/** Secret values a check-config test sets; none may appear in its output. */
const SECRETS = {
  end: ["wsec_first_end_secret_value", "wsec_second_end_secret_value"],
  admin: "admin-token-never-printed-0001",
  slackPath: "T0000/B0000/slackpathisasecret",
  signing: "whsec_Kv/IJoBWkK+fRZrgoBT3BEobO85VsqXk",
  apiKey: "crm-api-key-never-printed",
};

async function withFolder(run: (folder: string) => Promise<void>) {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-cli-" });
  try {
    await run(folder);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

function assertNoSecrets(output: string): void {
  const values = [
    ...SECRETS.end,
    SECRETS.admin,
    SECRETS.slackPath,
    SECRETS.signing,
    SECRETS.apiKey,
  ];
  for (const value of values) {
    assert.equal(output.includes(value), false, `output shows ${value}`);
  }
}

Deno.test("--version prints the version", async () => {
  const result = await runMain(["--version"]);

  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), VERSION);
});

Deno.test("--help lists every variable and default", async () => {
  const result = await runMain(["--help"]);

  assert.equal(result.code, 0);
  for (const [name, fallback] of ENVIRONMENT_VARIABLES) {
    const line = result.lines.find((text) => text.trim().startsWith(name));
    assert.ok(line, `--help has no line for ${name}`);
    if (fallback) assert.ok(line.endsWith(`(default ${fallback})`), line);
  }
  for (const command of ["serve", "check-config", "backup <file>", "purge"]) {
    assert.ok(
      result.lines.some((text) => text.trim().startsWith(command)),
      `--help does not list ${command}`,
    );
  }
});

Deno.test("--help states the ADMIN_TOKEN minimum", async () => {
  const result = await runMain(["--help"]);

  const line = result.lines.find((text) =>
    text.trim().startsWith("ADMIN_TOKEN")
  );
  assert.ok(line, "--help has no line for ADMIN_TOKEN");
  assert.match(line, /at least 16 characters/);
});

Deno.test("unknown command exits 2", async () => {
  const result = await runMain(["restore"]);

  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown command "restore"/);
});

Deno.test("check-config describes a valid setup", async () => {
  await withFolder(async (folder) => {
    await Deno.writeTextFile(
      `${folder}/destinations.json`,
      JSON.stringify({
        destinations: [{
          name: "crm",
          kind: "http",
          url: "https://crm.example.com:8443/hooks/asknewton?key=query-secret",
          events: ["post_call_transcription"],
          secret: SECRETS.signing,
          headers: { "x-api-key": SECRETS.apiKey },
        }],
      }),
    );
    await Deno.writeTextFile(
      `${folder}/init.json`,
      JSON.stringify({ dynamic_variables: { office: "Oakland" } }),
    );

    const result = await runMain(["check-config"], {
      DB_PATH: `${folder}/data/asknewton.db`,
      ELEVEN_END_SECRET: SECRETS.end.join(","),
      ADMIN_TOKEN: SECRETS.admin,
      SLACK_WEBHOOK_URL:
        `https://hooks.slack.com/services/${SECRETS.slackPath}`,
      DESTINATIONS_FILE: `${folder}/destinations.json`,
      INIT_DATA_FILE: `${folder}/init.json`,
      REDACT_AFTER_DAYS: "30",
    });

    assert.equal(result.code, 0, result.stderr);
    const expected = [
      "configuration is valid",
      `database: ${folder}/data/asknewton.db (will be created)`,
      "  POST /webhooks/eleven/conversation-end: enabled, 2 secrets",
      "  POST /webhooks/eleven/conversation-init: disabled, ELEVEN_INIT_SECRET is not set",
      "  /events and /admin/*: enabled, ADMIN_TOKEN is set",
      "  slack: slack to hooks.slack.com; events all post-call types; signing secret not set; 8 attempts, timeout 10000 ms",
      "  crm: http to crm.example.com:8443; events post_call_transcription; signing secret set; headers x-api-key; 8 attempts, timeout 10000 ms",
      "initiation data: dynamic variables office; no conversation_config_override",
      "retention: events purged after 90 days; transcripts and audio blanked after 30 days",
    ];
    for (const line of expected) {
      assert.ok(result.lines.includes(line), `missing line: ${line}`);
    }
    assert.equal(result.stdout.includes("query-secret"), false);
    assertNoSecrets(result.stdout + result.stderr);
  });
});

Deno.test("check-config lists each problem", async () => {
  await withFolder(async (folder) => {
    await Deno.writeTextFile(`${folder}/init.json`, "{ not json");

    const result = await runMain(["check-config"], {
      PORT: "eighty",
      ADMIN_TOKEN: "short",
      LOG_LEVEL: "loud",
      DESTINATIONS_FILE: `${folder}/missing.json`,
      INIT_DATA_FILE: `${folder}/init.json`,
    });

    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.equal(result.errorLines.length, 5, result.stderr);
    const [port, token, level, destinations, initData] = result.errorLines;
    assert.match(
      port,
      /^PORT: invalid value "eighty", expected a whole number/,
    );
    assert.match(token, /^ADMIN_TOKEN: invalid value \(value hidden\)/);
    assert.match(level, /^LOG_LEVEL: invalid value "loud"/);
    assert.match(destinations, /^DESTINATIONS_FILE: cannot read ".*missing/);
    assert.match(initData, /^INIT_DATA_FILE: invalid JSON/);
    assert.equal(result.stderr.includes("short"), false);
  });
});

Deno.test("check-config rejects a bad destinations file", async () => {
  await withFolder(async (folder) => {
    await Deno.writeTextFile(
      `${folder}/destinations.json`,
      JSON.stringify({
        destinations: [{
          name: "crm",
          kind: "http",
          url: "ftp://crm.example.com/",
          secret: SECRETS.signing,
          retries: 3,
        }],
      }),
    );

    const result = await runMain(["check-config"], {
      ELEVEN_END_SECRET: SECRETS.end[0],
      DESTINATIONS_FILE: `${folder}/destinations.json`,
      RETENTION_DAYS: "30",
      REDACT_AFTER_DAYS: "60",
    });

    assert.equal(result.code, 2);
    const redactLine = result.errorLines.find((line) =>
      line.startsWith('REDACT_AFTER_DAYS: invalid value "60"')
    );
    assert.ok(redactLine, result.stderr);
    assert.match(redactLine, /at most RETENTION_DAYS \(30\)/);
    assert.ok(
      result.errorLines.some((line) => line.includes("retries")),
      result.stderr,
    );
    assert.ok(
      result.errorLines.some((line) =>
        line.startsWith("DESTINATIONS_FILE: destinations[0].url")
      ),
      result.stderr,
    );
    assertNoSecrets(result.stdout + result.stderr);
  });
});

Deno.test("backup holds every event answered before it", async () => {
  const server = await startTestServer();
  const answered: string[] = [];
  let stopped = false;
  const postLoop = async (loop: number) => {
    for (let i = 0; i < 300 && !stopped; i++) {
      const body = await transcriptionFor({ conversationId: `l${loop}-${i}` });
      const response = await server.postEnd(body);
      if (response.status === 200) {
        answered.push((await response.json()).event_id);
      } else await response.body?.cancel();
    }
  };
  try {
    const loops = [0, 1, 2, 3].map(postLoop);
    const deadline = Date.now() + 20_000;
    while (answered.length < 40) {
      if (Date.now() > deadline) {
        throw new Error(`only ${answered.length} of 40 webhooks answered 200`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const answeredBefore = [...answered];
    const target = `${server.folder}/backup.db`;
    const result = await runMain(["backup", target], {
      DB_PATH: server.dbPath,
    });
    const answeredDuring = answered.length - answeredBefore.length;
    stopped = true;
    await Promise.all(loops);

    assert.equal(result.code, 0, result.stderr);
    assert.ok(answeredDuring > 0, "no webhook was stored during the backup");
    const copy = new DatabaseSync(target, { readOnly: true });
    const ids = new Set(
      copy.prepare("SELECT id FROM events").all().map((row) => row.id),
    );
    copy.close();
    const missing = answeredBefore.filter((id) => !ids.has(id));
    assert.deepEqual(missing, []);
    const match = result.stdout.match(
      /^backup written to .*backup\.db: (\d+) bytes, (\d+) events, integrity check ok$/m,
    );
    assert.ok(match, result.stdout);
    assert.equal(Number(match[1]), (await Deno.stat(target)).size);
    assert.equal(Number(match[2]), ids.size);
  } finally {
    stopped = true;
    await server.close();
  }
});

Deno.test("backup never overwrites a file", async () => {
  const server = await startTestServer();
  try {
    await server.postFixture("post_call_transcription.json");
    const target = `${server.folder}/existing.db`;
    await Deno.writeTextFile(target, "keep me");

    const result = await runMain(["backup", target], {
      DB_PATH: server.dbPath,
    });

    assert.equal(result.code, 1);
    assert.match(result.stderr, /already exists/);
    assert.equal(await Deno.readTextFile(target), "keep me");
  } finally {
    await server.close();
  }
});

Deno.test("backup needs one file argument", async () => {
  const result = await runMain(["backup"]);

  assert.equal(result.code, 2);
  assert.match(result.stderr, /expected one argument/);
});

Deno.test("backup of a missing database creates nothing", async () => {
  await withFolder(async (folder) => {
    const result = await runMain(["backup", `${folder}/copy.db`], {
      DB_PATH: `${folder}/none.db`,
    });

    assert.equal(result.code, 1);
    assert.match(result.stderr, /does not exist/);
    assert.deepEqual([...Deno.readDirSync(folder)], []);
  });
});

Deno.test("purge removes old events by hand", async () => {
  let nowMs = Date.now() - 100 * DAY_MS;
  const server = await startTestServer({
    now: () => nowMs,
    environment: { RETENTION_DAYS: "0" },
  });
  const folder = server.folder;
  try {
    await server.postEnd(await transcriptionFor({ conversationId: "old-1" }));
    await server.postEnd(await transcriptionFor({ conversationId: "old-2" }));
    nowMs = Date.now();
    await server.postEnd(await transcriptionFor({ conversationId: "new-1" }));
  } finally {
    await server.shutdown();
  }

  try {
    const result = await runMain(["purge"], {
      DB_PATH: `${folder}/asknewton.db`,
      RETENTION_DAYS: "90",
      ADMIN_TOKEN,
    });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.lines[0],
      "purged 2 events older than 90 days, with 0 deliveries, 0 attempts and 0 audio recordings",
    );
    assert.equal(
      result.lines[1],
      "kept 0 events older than 90 days, because a delivery of theirs is pending, in flight or dead",
    );
    const database = new DatabaseSync(`${folder}/asknewton.db`);
    const left = database.prepare("SELECT conversation_id FROM events").all();
    database.close();
    assert.deepEqual(left.map((row) => row.conversation_id), ["new-1"]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("purge with retention off does nothing", async () => {
  const result = await runMain(["purge"], { RETENTION_DAYS: "0" });

  assert.equal(result.code, 0);
  assert.match(result.stdout, /^purge: nothing to do/);
});
