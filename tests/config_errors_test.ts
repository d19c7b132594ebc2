import assert from "node:assert/strict";
import { ENVIRONMENT_VARIABLES } from "../src/config.ts";
import { KNOWN_EVENT_TYPES } from "../src/destinations.ts";
import { type CommandResult, runMain } from "./support/main_command.ts";
import { spawnServer } from "./support/server_process.ts";

const mainModule = new URL("../main.ts", import.meta.url).pathname;

/** Maximum wait for `serve` to give up; it should exit within a second. */
const SERVE_LIMIT_MS = 30_000;

/**
 * Runs `main.ts serve` with only `environment` set and waits for it to exit,
 * killing it after {@link SERVE_LIMIT_MS} so a server that starts by mistake
 * fails the test instead of hanging it.
 */
async function runServe(
  environment: Record<string, string>,
): Promise<CommandResult> {
  const unset = Object.fromEntries(
    ENVIRONMENT_VARIABLES.map(([name]) => [name, ""]),
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", mainModule, "serve"],
    env: { NO_COLOR: "1", ...unset, HOST: "127.0.0.1", ...environment },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(SERVE_LIMIT_MS),
  }).output();

  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const nonEmpty = (text: string) => text.split("\n").filter((line) => line);
  return {
    code: output.code,
    stdout,
    stderr,
    lines: nonEmpty(stdout),
    errorLines: nonEmpty(stderr),
  };
}

async function withFolder(run: (folder: string) => Promise<void>) {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-config-" });
  try {
    await run(folder);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

/** Writes a destinations file with `destinations` and returns its path. */
async function writeDestinations(
  folder: string,
  destinations: Record<string, unknown>[],
): Promise<string> {
  const path = `${folder}/destinations.json`;
  await Deno.writeTextFile(path, JSON.stringify({ destinations }));
  return path;
}

/** Asserts that `result` failed with exactly `line` and no stack trace. */
function assertOneProblem(result: CommandResult, line: string): void {
  assert.equal(result.code, 2, result.stderr);
  assert.deepEqual(result.errorLines, [line]);
  assert.equal(result.stdout, "");
}

Deno.test("serve names PORT when it is taken", async () => {
  await withFolder(async (folder) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let result: CommandResult;
    try {
      result = await runServe({
        PORT: String(listener.addr.port),
        DB_PATH: `${folder}/asknewton.db`,
      });
    } finally {
      listener.close();
    }

    assertOneProblem(
      result,
      `PORT: cannot listen on 127.0.0.1:${listener.addr.port}: address already in use; choose a free port or stop the other process`,
    );
  });
});

for (const host of ["999.1.1.1", "not a host"]) {
  Deno.test(`serve rejects HOST ${host}`, async () => {
    const result = await runServe({ HOST: host, PORT: "0" });

    assertOneProblem(
      result,
      `HOST: invalid value "${host}", expected an IPv4 address such as 127.0.0.1, an IPv6 address such as ::1, or a host name such as localhost`,
    );
  });
}

Deno.test("serve names DB_PATH that is a folder", async () => {
  await withFolder(async (folder) => {
    const result = await runServe({ PORT: "0", DB_PATH: folder });

    assertOneProblem(
      result,
      `DB_PATH: cannot open "${folder}" as a SQLite database: it is a folder; expected a file path such as data/asknewton.db`,
    );
  });
});

Deno.test("serve names DB_PATH that is JSON", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/settings.json`;
    await Deno.writeTextFile(path, '{"port": 3000}');

    const result = await runServe({ PORT: "0", DB_PATH: path });

    assertOneProblem(
      result,
      `DB_PATH: cannot open "${path}" as a SQLite database: the file exists and is not a SQLite database; expected a new path or an existing database file`,
    );
  });
});

Deno.test("serve names DB_PATH through a file", async () => {
  await withFolder(async (folder) => {
    await Deno.writeTextFile(`${folder}/settings.json`, "{}");
    const path = `${folder}/settings.json/asknewton.db`;

    const result = await runServe({ PORT: "0", DB_PATH: path });

    assertOneProblem(
      result,
      `DB_PATH: cannot open "${path}" as a SQLite database: "${folder}/settings.json" is a file, so no folder can be created inside it; expected a path inside a folder`,
    );
  });
});

Deno.test("serve rejects a bad header name", async () => {
  await withFolder(async (folder) => {
    const destinationsFile = await writeDestinations(folder, [{
      name: "crm",
      kind: "http",
      url: "http://127.0.0.1:9/hooks",
      headers: { "bad header": "v" },
    }]);

    const result = await runServe({
      PORT: "0",
      DB_PATH: `${folder}/asknewton.db`,
      DESTINATIONS_FILE: destinationsFile,
    });

    assertOneProblem(
      result,
      'DESTINATIONS_FILE: destinations[0].headers["bad header"]: invalid header name, expected letters, digits or !#$%&\'*+-.^_`|~ with no spaces (an HTTP token)',
    );
  });
});

Deno.test("serve logs unknown event types", async () => {
  await withFolder(async (folder) => {
    const destinationsFile = await writeDestinations(folder, [{
      name: "crm",
      kind: "http",
      url: "http://127.0.0.1:9/hooks",
      events: ["post_call_transcriptoin"],
    }]);
    const server = await spawnServer({
      DB_PATH: `${folder}/asknewton.db`,
      DESTINATIONS_FILE: destinationsFile,
    });
    // A completed request shows that the start-up code, warnings included, ran.
    await (await fetch(`${server.url}/healthz`)).body?.cancel();
    server.kill("SIGTERM");
    assert.equal(await server.exited, 0, server.lines.join("\n"));

    const warnings = server.lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((record) =>
        record.message ===
          "destination lists an unknown event type; check its spelling"
      );
    assert.equal(warnings.length, 1, server.lines.join("\n"));
    assert.equal(warnings[0].level, "WARN");
    assert.deepEqual(warnings[0].properties, {
      destination: "crm",
      event_type: "post_call_transcriptoin",
      known_types: KNOWN_EVENT_TYPES,
    });
  });
});

Deno.test("check-config warns about unknown event types", async () => {
  await withFolder(async (folder) => {
    const destinationsFile = await writeDestinations(folder, [{
      name: "crm",
      kind: "http",
      url: "http://127.0.0.1:9/hooks",
      events: ["post_call_transcriptoin", "post_call_transcription"],
    }]);

    const result = await runMain(["check-config"], {
      DB_PATH: `${folder}/asknewton.db`,
      DESTINATIONS_FILE: destinationsFile,
    });

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.errorLines, [
      'warning: DESTINATIONS_FILE: destination "crm" lists unknown event type "post_call_transcriptoin"; it is kept, because ElevenLabs adds types over time, but check its spelling against the known types post_call_transcription, post_call_audio, call_initiation_failure, conversation_initiation',
    ]);
    assert.equal(result.lines[0], "configuration is valid");
  });
});

Deno.test("check-config rejects a bad header name", async () => {
  await withFolder(async (folder) => {
    const destinationsFile = await writeDestinations(folder, [{
      name: "crm",
      kind: "http",
      url: "http://127.0.0.1:9/hooks",
      headers: { "bad header": "v", "webhook-id": "fixed" },
    }]);

    const result = await runMain(["check-config"], {
      DB_PATH: `${folder}/asknewton.db`,
      DESTINATIONS_FILE: destinationsFile,
    });

    assert.equal(result.code, 2);
    assert.deepEqual(result.errorLines, [
      'DESTINATIONS_FILE: destinations[0].headers["bad header"]: invalid header name, expected letters, digits or !#$%&\'*+-.^_`|~ with no spaces (an HTTP token)',
      'DESTINATIONS_FILE: destinations[0].headers["webhook-id"]: the server sets this header itself; remove it',
    ]);
  });
});

Deno.test("check-config names DB_PATH that is a folder", async () => {
  await withFolder(async (folder) => {
    const result = await runMain(["check-config"], { DB_PATH: folder });

    assertOneProblem(
      result,
      `DB_PATH: cannot open "${folder}" as a SQLite database: it is a folder; expected a file path such as data/asknewton.db`,
    );
  });
});

Deno.test("check-config names DB_PATH that is JSON", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/settings.json`;
    await Deno.writeTextFile(path, '{"port": 3000}');

    const result = await runMain(["check-config"], { DB_PATH: path });

    assertOneProblem(
      result,
      `DB_PATH: cannot open "${path}" as a SQLite database: the file exists and is not a SQLite database; expected a new path or an existing database file`,
    );
  });
});

Deno.test("check-config names DB_PATH through a file", async () => {
  await withFolder(async (folder) => {
    await Deno.writeTextFile(`${folder}/settings.json`, "{}");
    const path = `${folder}/settings.json/asknewton.db`;

    const result = await runMain(["check-config"], { DB_PATH: path });

    assertOneProblem(
      result,
      `DB_PATH: cannot open "${path}" as a SQLite database: "${folder}/settings.json" is a file, so no folder can be created inside it; expected a path inside a folder`,
    );
  });
});

Deno.test("check-config names DB_PATH under /proc", async () => {
  const result = await runMain(["check-config"], { DB_PATH: "/proc/x/y.db" });

  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.errorLines.length, 1, result.stderr);
  assert.match(
    result.errorLines[0],
    /^DB_PATH: cannot open "\/proc\/x\/y\.db" as a SQLite database: this process may not use it \(.*\); Deno allows \/proc, \/dev and \/sys only with every permission/,
  );
});

Deno.test("check-config accepts an existing database", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/asknewton.db`;
    const server = await spawnServer({ DB_PATH: path });
    await (await fetch(`${server.url}/healthz`)).body?.cancel();
    server.kill("SIGTERM");
    assert.equal(await server.exited, 0, server.lines.join("\n"));

    const result = await runMain(["check-config"], { DB_PATH: path });

    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^database: .*asknewton\.db \(exists, \d+ bytes\)$/m,
    );
  });
});

Deno.test("serve and check-config both exit 2", async () => {
  const environment = { PORT: "eighty" };

  const served = await runServe(environment);
  const checked = await runMain(["check-config"], environment);

  assert.equal(served.code, 2, served.stderr);
  assert.equal(checked.code, 2, checked.stderr);
  assert.deepEqual(served.errorLines, checked.errorLines);
});

Deno.test("serve refuses a DB_PATH in use", async () => {
  await withFolder(async (folder) => {
    const dbPath = `${folder}/asknewton.db`;
    const first = await spawnServer({ DB_PATH: dbPath });
    let result: CommandResult;
    try {
      result = await runServe({ PORT: "0", DB_PATH: dbPath });
    } finally {
      first.kill("SIGTERM");
      await first.exited;
    }
    const afterStop = await spawnServer({ DB_PATH: dbPath });
    afterStop.kill("SIGTERM");
    const afterStopCode = await afterStop.exited;

    assertOneProblem(
      result,
      `DB_PATH: another process is serving "${dbPath}" (it holds ${dbPath}.lock); stop it, or give this server its own DB_PATH`,
    );
    assert.equal(afterStopCode, 0);
  });
});
