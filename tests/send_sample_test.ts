import assert from "node:assert/strict";
import { END_SECRET, INIT_SECRET } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const projectFolder = new URL("..", import.meta.url).pathname;

interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno task send-sample`, so the task's permissions are tested too. */
async function runSendSample(
  args: string[],
  environment: Record<string, string>,
): Promise<ScriptRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "send-sample", ...args],
    cwd: projectFolder,
    env: {
      NO_COLOR: "1",
      ELEVEN_END_SECRET: "",
      ELEVEN_INIT_SECRET: "",
      ...environment,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function storedTypes(server: TestServer): string[] {
  return server.database.prepare("SELECT type FROM events ORDER BY seq").all()
    .map((row) => String(row.type));
}

/** Returns a loopback port that nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("send-sample stores the transcription sample", async () => {
  const server = await startTestServer();
  try {
    const run = await runSendSample([], {
      SAMPLE_URL: server.url,
      ELEVEN_END_SECRET: `${END_SECRET},second-secret-unused`,
    });

    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /: 200\n/);
    assert.match(run.stdout, /"event_id": "evt_/);
    assert.deepEqual(storedTypes(server), ["post_call_transcription"]);
    assert.ok(!run.stdout.includes(END_SECRET), "secret in stdout");
    assert.ok(!run.stderr.includes(END_SECRET), "secret in stderr");
  } finally {
    await server.close();
  }
});

Deno.test("send-sample posts a named fixture", async () => {
  const server = await startTestServer();
  try {
    const run = await runSendSample(["unknown_type.json"], {
      SAMPLE_URL: server.url,
      ELEVEN_END_SECRET: END_SECRET,
    });

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(storedTypes(server), ["agent_qa"]);
  } finally {
    await server.close();
  }
});

Deno.test("send-sample posts a fixture given by path", async () => {
  const server = await startTestServer();
  try {
    const path =
      `${projectFolder}tests/fixtures/elevenlabs/post_call_audio.json`;
    const run = await runSendSample([path], {
      SAMPLE_URL: server.url,
      ELEVEN_END_SECRET: END_SECRET,
    });

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(storedTypes(server), ["post_call_audio"]);
  } finally {
    await server.close();
  }
});

Deno.test("send-sample --init posts the initiation request", async () => {
  const server = await startTestServer();
  try {
    const run = await runSendSample(["--init"], {
      SAMPLE_URL: server.url,
      ELEVEN_INIT_SECRET: INIT_SECRET,
    });

    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"type": "conversation_initiation_client_data"/);
    assert.deepEqual(storedTypes(server), ["conversation_initiation"]);
    assert.ok(!run.stdout.includes(INIT_SECRET), "secret in stdout");
    assert.ok(!run.stderr.includes(INIT_SECRET), "secret in stderr");
  } finally {
    await server.close();
  }
});

Deno.test("send-sample exits 1 when the server rejects it", async () => {
  const server = await startTestServer();
  try {
    const wrongSecret = "wsec_not_the_server_secret";
    const run = await runSendSample([], {
      SAMPLE_URL: server.url,
      ELEVEN_END_SECRET: wrongSecret,
    });

    assert.equal(run.code, 1);
    assert.match(run.stdout, /: 401\n/);
    assert.deepEqual(storedTypes(server), []);
    assert.ok(!run.stdout.includes(wrongSecret), "secret in stdout");
    assert.ok(!run.stderr.includes(wrongSecret), "secret in stderr");
  } finally {
    await server.close();
  }
});

Deno.test("send-sample reports a missing secret", async () => {
  const run = await runSendSample([], {
    SAMPLE_URL: `http://127.0.0.1:${closedPort()}`,
  });

  assert.equal(run.code, 2);
  assert.match(run.stderr, /ELEVEN_END_SECRET is not set/);
});

Deno.test("send-sample --init reports a missing secret", async () => {
  const run = await runSendSample(["--init"], {
    SAMPLE_URL: `http://127.0.0.1:${closedPort()}`,
    ELEVEN_END_SECRET: END_SECRET,
  });

  assert.equal(run.code, 2);
  assert.match(run.stderr, /ELEVEN_INIT_SECRET is not set/);
});

Deno.test("send-sample reports an unknown fixture", async () => {
  const run = await runSendSample(["no_such_fixture.json"], {
    SAMPLE_URL: `http://127.0.0.1:${closedPort()}`,
    ELEVEN_END_SECRET: END_SECRET,
  });

  assert.equal(run.code, 2);
  assert.match(run.stderr, /fixture not found: "no_such_fixture.json"/);
});

Deno.test("send-sample reports an unreachable server", async () => {
  const url = `http://127.0.0.1:${closedPort()}`;
  const run = await runSendSample([], {
    SAMPLE_URL: url,
    ELEVEN_END_SECRET: END_SECRET,
  });

  assert.equal(run.code, 1);
  assert.ok(
    run.stderr.includes(`cannot reach ${url}/webhooks/eleven/conversation-end`),
    run.stderr,
  );
  assert.ok(!run.stderr.includes(END_SECRET), "secret in stderr");
});
