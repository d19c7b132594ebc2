/**
 * Checks the server's `/metrics` output and the alert rules with
 * `promtool`, as CI does.
 *
 * Usage: `deno task metrics-lint`
 *
 * It starts the real server on a free loopback port with a SQLite file in
 * a temporary folder and two loopback destinations: `crm` returns 200 and
 * `flaky` returns 503, which retries and opens its breaker. It posts signed
 * sample webhooks (a transcription twice, an unknown type, an event type
 * with quotes, a backslash and a newline, a bad signature and an
 * initiation request), waits for the deliveries, scrapes `/metrics` and
 * pipes it to `promtool check metrics`. Then it runs
 * `promtool check rules docs/alerts.yml`.
 *
 * It prints what promtool prints. The exit code is 0 when promtool finds
 * nothing, 1 on any finding or a failed step, and 2 when promtool is not
 * installed.
 */
import { parseConfig } from "../src/config.ts";
import { signBody } from "../src/elevenlabs/signature.ts";
import { CONTENT_TYPE } from "../src/metrics/registry.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { PromtoolMissingError, runPromtool } from "./promtool.ts";

const FIXTURE_FOLDER = new URL(
  "../tests/fixtures/elevenlabs/",
  import.meta.url,
);
const ALERT_RULES = new URL("../docs/alerts.yml", import.meta.url).pathname;
const REQUEST_TIMEOUT_MS = 10_000;

/** Starts a loopback HTTP server that responds to every request with `status`. */
function startDestination(status: number): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      await request.body?.cancel();
      return new Response(null, { status });
    },
  );
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Posts webhooks that move every labelled counter at least once. */
async function postSamples(
  server: RunningServer,
  endSecret: string,
  initSecret: string,
): Promise<void> {
  const post = async (
    route: string,
    body: Uint8Array,
    headers: HeadersInit,
  ) => {
    const response = await fetch(`${server.url}/webhooks/eleven/${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.body?.cancel();
  };
  const signed = async (body: Uint8Array, secret = endSecret) => ({
    "elevenlabs-signature": await signBody(
      body as Uint8Array<ArrayBuffer>,
      secret,
      Math.floor(Date.now() / 1000),
    ),
  });

  const transcription = await readFixture("post_call_transcription.json");
  const unknown = await readFixture("unknown_type.json");
  const hostile = new TextEncoder().encode(
    JSON.stringify({ type: 'quote" backslash\\ newline\n', data: {} }),
  );
  for (const body of [transcription, transcription, unknown, hostile]) {
    await post("conversation-end", body, await signed(body));
  }
  await post("conversation-end", unknown, await signed(unknown, "wrong"));
  await post(
    "conversation-init",
    await readFixture("conversation_init_request.json"),
    { authorization: `Bearer ${initSecret}` },
  );
}

function readFixture(name: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(name, FIXTURE_FOLDER));
}

/** Starts the server with its destinations, posts samples, returns the scrape. */
async function scrapeAfterSamples(folder: string): Promise<string> {
  const crm = startDestination(200);
  const flaky = startDestination(503);
  const destinationsFile = `${folder}/destinations.json`;
  await Deno.writeTextFile(
    destinationsFile,
    JSON.stringify({
      destinations: [
        {
          name: "crm",
          kind: "http",
          url: `http://127.0.0.1:${crm.addr.port}/`,
        },
        {
          name: "flaky",
          kind: "http",
          url: `http://127.0.0.1:${flaky.addr.port}/`,
          breaker: { failureThreshold: 1, cooldownMs: 60_000 },
        },
      ],
    }),
  );
  const endSecret = randomSecret();
  const initSecret = randomSecret();
  const server = await startServer(
    parseConfig({
      HOST: "127.0.0.1",
      PORT: "0",
      DB_PATH: `${folder}/asknewton.db`,
      ELEVEN_END_SECRET: endSecret,
      ELEVEN_INIT_SECRET: initSecret,
      DESTINATIONS_FILE: destinationsFile,
    }),
    { deliveryDrainMs: 100 },
  );

  try {
    await postSamples(server, endSecret, initSecret);
    await server.context.worker.settle();
    const response = await fetch(`${server.url}/metrics`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const contentType = response.headers.get("content-type");
    if (response.status !== 200 || contentType !== CONTENT_TYPE) {
      throw new Error(
        `GET /metrics failed: status ${response.status}, content-type ${contentType}; expected 200 and ${CONTENT_TYPE}`,
      );
    }
    return text;
  } finally {
    await server.shutdown();
    await Promise.all([crm.shutdown(), flaky.shutdown()]);
  }
}

/** Prints what promtool printed and returns whether it found nothing. */
function report(
  step: string,
  result: { code: number; stdout: string; stderr: string },
  expectSilence: boolean,
): boolean {
  const output = (result.stdout + result.stderr).trimEnd();
  const clean = result.code === 0 && (!expectSilence || output === "");
  console.log(`${step}: ${clean ? "ok" : `failed (exit ${result.code})`}`);
  if (output !== "") console.log(output);

  return clean;
}

async function main(): Promise<number> {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-metrics-lint-" });
  try {
    const text = await scrapeAfterSamples(folder);
    const lines = text.split("\n").length - 1;
    const metricsClean = report(
      `promtool check metrics (${lines} lines of /metrics)`,
      await runPromtool(["check", "metrics"], text),
      true,
    );
    const rulesClean = report(
      "promtool check rules docs/alerts.yml",
      await runPromtool([
        "check",
        "rules",
        "--lint=all",
        "--lint-fatal",
        ALERT_RULES,
      ]),
      false,
    );
    return metricsClean && rulesClean ? 0 : 1;
  } catch (error) {
    if (error instanceof PromtoolMissingError) {
      console.error(error.message);
      return 2;
    }
    console.error(`metrics lint failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

if (import.meta.main) {
  Deno.exit(await main());
}
