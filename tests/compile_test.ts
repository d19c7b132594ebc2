import assert from "node:assert/strict";
import { ENVIRONMENT_VARIABLES } from "../src/config.ts";
import {
  compileCommand,
  compileSettings,
  OUTPUT_PATH,
  permissionFlags,
} from "../scripts/compile.ts";
import {
  ADMIN_TOKEN,
  END_SECRET,
  readFixture,
  signatureFor,
} from "./support/fixtures.ts";
import { runMain } from "./support/main_command.ts";
import { TextLineStream } from "./support/text_lines.ts";

const compileScript = new URL("../scripts/compile.ts", import.meta.url)
  .pathname;
const mainModule = new URL("../main.ts", import.meta.url).pathname;

/** The flags `deno task compile` bakes into the executable by default. */
const DEFAULT_FLAGS = permissionFlags(compileSettings({}));

Deno.test("compile never allows everything", () => {
  const { args } = compileCommand(compileSettings({}));
  const broad = [
    "-A",
    "--allow-all",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-ffi",
    "--allow-sys",
  ];

  for (const flag of broad) {
    assert.equal(args.includes(flag), false, `compile passes ${flag}`);
  }
  assert.equal(args.some((arg) => arg.startsWith("--allow-run")), false);
  assert.equal(args.some((arg) => arg.startsWith("--allow-ffi")), false);
  assert.deepEqual(args.slice(-3), ["--output", OUTPUT_PATH, "main.ts"]);
});

Deno.test("compile keeps the start task's V8 flags", async () => {
  const { args } = compileCommand(compileSettings({}));
  const tasks = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  ).tasks;
  const startFlag = (tasks.start as string).split(" ").find((word) =>
    word.startsWith("--v8-flags=")
  );

  assert.ok(startFlag);
  assert.ok(args.includes(startFlag));
});

Deno.test("compile allows exactly the variables read", () => {
  const envFlag = DEFAULT_FLAGS.find((flag) => flag.startsWith("--allow-env="));
  const allowed = envFlag?.slice("--allow-env=".length).split(",");

  assert.deepEqual(allowed, ENVIRONMENT_VARIABLES.map(([name]) => name));
});

Deno.test("compile scopes files to the data folders", () => {
  const settings = compileSettings({
    COMPILE_DATA_DIR: "/var/lib/asknewton-webhooks",
    COMPILE_CONFIG_DIR: "/etc/asknewton-webhooks",
  });
  const flags = permissionFlags(settings);

  assert.ok(
    flags.includes(
      "--allow-read=/var/lib/asknewton-webhooks,/etc/asknewton-webhooks",
    ),
  );
  assert.ok(flags.includes("--allow-write=/var/lib/asknewton-webhooks"));
  assert.ok(DEFAULT_FLAGS.includes("--allow-read=./data,./config"));
  assert.ok(DEFAULT_FLAGS.includes("--allow-write=./data"));
});

Deno.test("compile passes DENORT_BIN to deno", () => {
  const withDenort = compileCommand(
    compileSettings({ DENORT_BIN: "/opt/deno/denort" }),
  );
  const without = compileCommand(compileSettings({}));

  assert.equal(withDenort.env.DENORT_BIN, "/opt/deno/denort");
  assert.equal("DENORT_BIN" in without.env, false);
});

Deno.test("compile stops on a missing DENORT_BIN", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-compile-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write=dist",
        "--allow-env",
        "--allow-run",
        compileScript,
      ],
      cwd: folder,
      env: { DENORT_BIN: `${folder}/no-such-denort` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);

    assert.equal(output.code, 1);
    assert.match(stderr, /DENORT_BIN ".*no-such-denort" does not exist/);
    assert.deepEqual([...Deno.readDirSync(folder)], []);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("server runs with the compile permissions", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-compile-" });
  const environment = {
    HOST: "127.0.0.1",
    PORT: "0",
    DB_PATH: "data/asknewton.db",
    ELEVEN_END_SECRET: END_SECRET,
    ADMIN_TOKEN,
  };
  const server = await spawnWithFlags(DEFAULT_FLAGS, folder, environment);
  try {
    const body = await readFixture("post_call_transcription.json");
    const stored = await fetch(
      `${server.url}/webhooks/eleven/conversation-end`,
      {
        method: "POST",
        headers: { "elevenlabs-signature": await signatureFor(body) },
        body,
      },
    );
    const resilience = await fetch(`${server.url}/health/resilience`);
    const metrics = await fetch(`${server.url}/metrics`);
    const health = await fetch(`${server.url}/healthz`);
    const backupInside = await runMain(
      ["backup", "data/backup.db"],
      environment,
      { permissions: DEFAULT_FLAGS, cwd: folder },
    );
    const backupOutside = await runMain(
      ["backup", `${folder}/outside.db`],
      environment,
      { permissions: DEFAULT_FLAGS, cwd: folder },
    );

    assert.equal(stored.status, 200, await stored.text());
    assert.equal(resilience.status, 200, await resilience.text());
    const metricsText = await metrics.text();
    assert.equal(metrics.status, 200, metricsText);
    assert.match(
      metricsText,
      /^asknewton_events_total\{type="post_call_transcription"\} 1$/m,
    );
    assert.equal(health.status, 200, await health.text());
    assert.equal(backupInside.code, 0, backupInside.stderr);
    assert.match(backupInside.stdout, /1 events, integrity check ok/);
    assert.equal(backupOutside.code, 1);
    assert.match(backupOutside.stderr, /may not write/);
  } finally {
    server.kill();
    assert.equal(await server.exited, 0, server.lines.join("\n"));
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("check-config names a folder the build cannot write", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-compile-" });
  try {
    const result = await runMain(
      ["check-config"],
      { DB_PATH: `${folder}/elsewhere/asknewton.db` },
      { permissions: DEFAULT_FLAGS, cwd: folder },
    );

    assert.equal(result.code, 2);
    assert.deepEqual(result.errorLines.length, 1, result.stderr);
    assert.match(
      result.errorLines[0],
      /^DB_PATH: this executable may not read or write ".*elsewhere"/,
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

/**
 * Starts `main.ts serve` with the given permission flags, as the compiled
 * executable would run, and waits for its "server started" line.
 */
async function spawnWithFlags(
  flags: string[],
  cwd: string,
  environment: Record<string, string>,
) {
  const unset = Object.fromEntries(
    ENVIRONMENT_VARIABLES.map(([name]) => [name, ""]),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, mainModule, "serve"],
    cwd,
    env: { ...unset, ...environment },
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const lines: string[] = [];
  const started = Promise.withResolvers<string>();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.pipeThrough(new TextDecoderStream())
      .pipeThrough(new TextLineStream());
    for await (const line of reader) {
      lines.push(line);
      if (line.includes('"server started"')) {
        started.resolve(JSON.parse(line).properties.url);
      }
    }
  };
  const exited = Promise.all([collect(child.stdout), collect(child.stderr)])
    .then(() => child.status)
    .then((status) => {
      started.reject(new Error(`server exited early:\n${lines.join("\n")}`));
      return status.code;
    });

  return {
    url: await started.promise,
    lines,
    exited,
    kill: () => child.kill("SIGTERM"),
  };
}
