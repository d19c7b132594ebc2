/**
 * Signs an ElevenLabs sample webhook and posts it to a running server, as
 * ElevenLabs would, then prints the HTTP status and the JSON response.
 *
 * Usage: `deno task send-sample [--init] [FIXTURE]`
 *
 * - Without `--init`, it posts `FIXTURE` (default
 *   `post_call_transcription.json`) to `/webhooks/eleven/conversation-end`
 *   with an `ElevenLabs-Signature` made from the first secret of
 *   `ELEVEN_END_SECRET` at the current time.
 * - With `--init`, it posts `FIXTURE` (default
 *   `conversation_init_request.json`) to `/webhooks/eleven/conversation-init`
 *   with `Authorization: Bearer` and the first secret of `ELEVEN_INIT_SECRET`.
 *
 * `FIXTURE` is a file name in `tests/fixtures/elevenlabs/` or a path. The
 * server is `SAMPLE_URL`, or `http://127.0.0.1:$PORT` (port 3000 by default).
 * The exit code is 0 for a 2xx response, 1 for any other response or an
 * unreachable server, and 2 for a usage or configuration error. Secrets are
 * never printed.
 */
import { resolve } from "node:path";
import { signBody } from "../src/elevenlabs/signature.ts";

const FIXTURE_FOLDER = new URL(
  "../tests/fixtures/elevenlabs/",
  import.meta.url,
);
const REQUEST_TIMEOUT_MS = 10_000;

/** Invalid usage or configuration, which the operator fixes before running again. */
class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

interface SampleRequest {
  url: string;
  fixturePath: string | URL;
  headers: (body: Uint8Array<ArrayBuffer>) => Promise<HeadersInit>;
}

function firstSecret(variable: string): string {
  const secret = (Deno.env.get(variable) ?? "").split(",")
    .map((part) => part.trim())
    .find(Boolean);
  if (!secret) {
    throw new UsageError(
      `${variable} is not set: set it to the secret the server is configured with`,
    );
  }
  return secret;
}

function serverUrl(): string {
  const base = Deno.env.get("SAMPLE_URL")?.trim() ||
    `http://127.0.0.1:${Deno.env.get("PORT")?.trim() || "3000"}`;
  if (!URL.canParse(base)) {
    throw new UsageError(
      `invalid server URL ${
        JSON.stringify(base)
      }: set SAMPLE_URL to a URL such as http://127.0.0.1:3000, or PORT to a port number`,
    );
  }
  return base.replace(/\/+$/, "");
}

async function resolveFixture(argument: string): Promise<string | URL> {
  // `deno task` runs in the project folder and passes the caller's working
  // directory as INIT_CWD, so relative paths resolve from where it was typed.
  const workingDirectory = Deno.env.get("INIT_CWD") || Deno.cwd();
  const candidates = [
    resolve(workingDirectory, argument),
    new URL(argument, FIXTURE_FOLDER),
  ];
  for (const candidate of candidates) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  throw new UsageError(
    `fixture not found: ${
      JSON.stringify(argument)
    } is neither a file nor a name in tests/fixtures/elevenlabs/`,
  );
}

async function buildRequest(args: string[]): Promise<SampleRequest> {
  const init = args.includes("--init");
  const [fixture, ...extra] = args.filter((arg) => arg !== "--init");
  if (extra.length > 0 || fixture?.startsWith("-")) {
    throw new UsageError(
      "usage: deno task send-sample [--init] [FIXTURE], where FIXTURE is a file name in tests/fixtures/elevenlabs/ or a path",
    );
  }

  if (init) {
    const secret = firstSecret("ELEVEN_INIT_SECRET");
    return {
      url: `${serverUrl()}/webhooks/eleven/conversation-init`,
      fixturePath: await resolveFixture(
        fixture ?? "conversation_init_request.json",
      ),
      headers: () => Promise.resolve({ authorization: `Bearer ${secret}` }),
    };
  }

  const secret = firstSecret("ELEVEN_END_SECRET");
  return {
    url: `${serverUrl()}/webhooks/eleven/conversation-end`,
    fixturePath: await resolveFixture(
      fixture ?? "post_call_transcription.json",
    ),
    headers: async (body) => ({
      "elevenlabs-signature": await signBody(
        body,
        secret,
        Math.floor(Date.now() / 1000),
      ),
    }),
  };
}

async function send(request: SampleRequest): Promise<number> {
  const body = await Deno.readFile(request.fixturePath);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...await request.headers(body),
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    console.error(
      `cannot reach ${request.url}: ${
        (error as Error).message
      }; start the server with "deno task start" or set SAMPLE_URL`,
    );
    return 1;
  }

  const text = await response.text();
  console.log(`POST ${request.url}: ${response.status}`);
  console.log(prettyJson(text));
  return response.ok ? 0 : 1;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function main(args: string[]): Promise<number> {
  let request: SampleRequest;
  try {
    request = await buildRequest(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  return await send(request);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
