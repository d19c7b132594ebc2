import assert from "node:assert/strict";
import { ADMIN_CHALLENGE } from "../src/http/admin_auth.ts";
import { AdminSessions, SESSION_TTL_MS } from "../src/http/session.ts";
import { SignInLimiter } from "../src/http/sign_in_limiter.ts";
import { assertJsonError } from "./support/assertions.ts";
import { ADMIN_TOKEN } from "./support/fixtures.ts";
import { startDestination } from "./support/destination.ts";
import { spawnServer } from "./support/server_process.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const HTML = "text/html,application/xhtml+xml,*/*;q=0.8";

/** Returns a clock that the test moves by hand. */
function fakeClock(startMs = Date.parse("2026-03-02T09:00:00Z")) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

async function withServer(
  run: (
    server: TestServer,
    clock: ReturnType<typeof fakeClock>,
  ) => Promise<void>,
): Promise<void> {
  const clock = fakeClock();
  const server = await startTestServer({ now: clock.now });
  try {
    await run(server, clock);
  } finally {
    await server.close();
  }
}

/** Posts the sign-in form as a browser on the server's own page would. */
function signIn(
  server: TestServer,
  token: string,
  options: { next?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const form = new URLSearchParams({ token });
  if (options.next !== undefined) form.set("next", options.next);
  return fetch(`${server.url}/admin/login`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: server.url, accept: HTML, ...options.headers },
    body: form,
  });
}

/** Signs in and returns the `name=value` pair to send as `Cookie`. */
async function sessionCookie(server: TestServer): Promise<string> {
  const response = await signIn(server, ADMIN_TOKEN);
  await response.body?.cancel();
  assert.equal(response.status, 303);
  const [cookie] = response.headers.getSetCookie();
  return cookie.split(";")[0];
}

function withCookie(
  server: TestServer,
  path: string,
  cookie: string,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    redirect: "manual",
    ...init,
    headers: { cookie, ...Object.fromEntries(new Headers(init.headers)) },
  });
}

Deno.test("sign-in sets a strict HttpOnly cookie", async () => {
  await withServer(async (server) => {
    const response = await signIn(server, ADMIN_TOKEN, {
      next: "/admin/queue?destination=crm",
    });
    await response.body?.cancel();

    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get("location"),
      "/admin/queue?destination=crm",
    );
    const [cookie] = response.headers.getSetCookie();
    assert.match(cookie, /^asknewton_admin=[A-Za-z0-9_.-]+;/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\//);
    assert.match(cookie, /; Max-Age=43200/);
    assert.doesNotMatch(cookie, /Secure/);
    assert.equal(cookie.includes(ADMIN_TOKEN), false);
  });
});

Deno.test("sign-in over https sets Secure", async () => {
  await withServer(async (server) => {
    const httpsOrigin = server.url.replace("http:", "https:");
    const response = await signIn(server, ADMIN_TOKEN, {
      headers: { origin: httpsOrigin, "x-forwarded-proto": "https" },
    });
    await response.body?.cancel();

    assert.equal(response.status, 303);
    assert.match(response.headers.getSetCookie()[0], /; Secure/);
  });
});

Deno.test("session cookie opens admin routes", async () => {
  await withServer(async (server) => {
    const cookie = await sessionCookie(server);

    const events = await withCookie(server, "/events", cookie);
    assert.equal(events.status, 200);
    assert.deepEqual(await events.json(), { items: [], next_cursor: null });
  });
});

Deno.test("sign-in sends foreign next to events", async () => {
  await withServer(async (server) => {
    for (const next of ["//evil.example/", "https://evil.example/", "/\\x"]) {
      const response = await signIn(server, ADMIN_TOKEN, { next });
      await response.body?.cancel();
      assert.equal(response.headers.get("location"), "/events/ui", next);
    }
  });
});

Deno.test("wrong token shows the form again", async () => {
  await withServer(async (server) => {
    const response = await signIn(server, "not-the-admin-token-0001");
    const page = await response.text();

    assert.equal(response.status, 401);
    assert.deepEqual(response.headers.getSetCookie(), []);
    assert.match(page, /The admin token is missing or wrong\./);
    assert.match(page, /<form method="post" action="\/admin\/login">/);
  });
});

Deno.test("sign-in without Origin is rejected", async () => {
  await withServer(async (server) => {
    const response = await fetch(`${server.url}/admin/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
    });

    await assertJsonError(response, 403);
    assert.deepEqual(response.headers.getSetCookie(), []);
  });
});

Deno.test("sign-in rate limit blocks the sixth try", async () => {
  await withServer(async (server, clock) => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await signIn(server, `wrong-token-${attempt}-0000000`);
      await response.body?.cancel();
      assert.equal(response.status, 401, `attempt ${attempt}`);
      clock.advance(1_000);
    }

    const blocked = await signIn(server, ADMIN_TOKEN);
    await blocked.body?.cancel();
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers.get("retry-after"), "55");
    assert.deepEqual(blocked.headers.getSetCookie(), []);

    clock.advance(54_000);
    const stillBlocked = await signIn(server, ADMIN_TOKEN, {
      headers: { accept: "application/json" },
    });
    const error = await assertJsonError(stillBlocked, 429);
    assert.match(error, /Try again in 1 s\./);

    clock.advance(1_000);
    const allowed = await signIn(server, ADMIN_TOKEN);
    await allowed.body?.cancel();
    assert.equal(allowed.status, 303);
  });
});

Deno.test("sign-in limiter counts each address apart", () => {
  const clock = fakeClock();
  const limiter = new SignInLimiter({ now: clock.now });
  for (let i = 0; i < 5; i++) limiter.recordFailure("192.0.2.1");

  assert.equal(limiter.retryAfterMs("192.0.2.1"), 60_000);
  assert.equal(limiter.retryAfterMs("192.0.2.2"), 0);
  limiter.reset("192.0.2.1");
  assert.equal(limiter.retryAfterMs("192.0.2.1"), 0);
});

Deno.test("sign-in limiter forgets the oldest address", () => {
  const clock = fakeClock();
  const limiter = new SignInLimiter({ now: clock.now, maxAddresses: 2 });
  for (const address of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) {
    for (let i = 0; i < 5; i++) limiter.recordFailure(address);
  }

  assert.equal(limiter.retryAfterMs("192.0.2.1"), 0);
  assert.equal(limiter.retryAfterMs("192.0.2.3"), 60_000);
});

Deno.test("cookie POST from another origin is 403", async () => {
  await withServer(async (server) => {
    const cookie = await sessionCookie(server);

    const foreign = await withCookie(server, "/admin/replay-failed", cookie, {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    const error = await assertJsonError(foreign, 403);
    assert.match(error, /Origin "http:\/\/evil\.example"/);

    const missing = await withCookie(server, "/admin/replay-failed", cookie, {
      method: "POST",
    });
    await assertJsonError(missing, 403);

    const same = await withCookie(server, "/admin/replay-failed", cookie, {
      method: "POST",
      headers: { origin: server.url },
    });
    assert.equal(same.status, 200);
    assert.deepEqual(await same.json(), { ok: true, replayed: 0 });
  });
});

Deno.test("bearer POST skips the Origin check", async () => {
  await withServer(async (server) => {
    const response = await server.admin("/admin/replay-failed", {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });

    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true, replayed: 0 });
  });
});

Deno.test("sign-out clears and revokes the session", async () => {
  await withServer(async (server) => {
    const cookie = await sessionCookie(server);

    const signOut = await withCookie(server, "/admin/logout", cookie, {
      method: "POST",
      headers: { origin: server.url },
    });
    await signOut.body?.cancel();
    assert.equal(signOut.status, 303);
    assert.equal(
      signOut.headers.get("location"),
      "/admin/login?signed_out=1",
    );
    assert.match(
      signOut.headers.getSetCookie()[0],
      /^asknewton_admin=;.*Max-Age=0/,
    );

    const after = await withCookie(server, "/events", cookie);
    await assertJsonError(after, 401);
  });
});

Deno.test("sign-out from another origin is 403", async () => {
  await withServer(async (server) => {
    const cookie = await sessionCookie(server);

    const response = await withCookie(server, "/admin/logout", cookie, {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    await assertJsonError(response, 403);

    const still = await withCookie(server, "/events", cookie);
    await still.body?.cancel();
    assert.equal(still.status, 200);
  });
});

Deno.test("session ends after 12 hours", async () => {
  await withServer(async (server, clock) => {
    const cookie = await sessionCookie(server);

    clock.advance(SESSION_TTL_MS - 1_000);
    const before = await withCookie(server, "/events", cookie);
    await before.body?.cancel();
    assert.equal(before.status, 200);

    clock.advance(1_000);
    const after = await withCookie(server, "/events", cookie);
    await assertJsonError(after, 401);
  });
});

Deno.test("session from a rotated token is rejected", async () => {
  const clock = fakeClock();
  const oldSessions = new AdminSessions("old-admin-token-000000001", clock.now);
  const newSessions = new AdminSessions("new-admin-token-000000001", clock.now);
  const session = await oldSessions.issue();

  assert.notEqual(await oldSessions.verify(session.cookieValue), undefined);
  assert.equal(await newSessions.verify(session.cookieValue), undefined);
});

Deno.test("tampered session cookie is rejected", async () => {
  const clock = fakeClock();
  const sessions = new AdminSessions(ADMIN_TOKEN, clock.now);
  const { cookieValue } = await sessions.issue();
  const [id, expiry, mac] = cookieValue.split(".");
  const later = String(Number(expiry) + 86_400);

  assert.equal(await sessions.verify(`${id}.${later}.${mac}`), undefined);
  assert.equal(await sessions.verify(`${id}.${expiry}`), undefined);
  assert.equal(await sessions.verify(ADMIN_TOKEN), undefined);
});

Deno.test("browser without session goes to sign-in", async () => {
  await withServer(async (server) => {
    const page = await fetch(
      `${server.url}/events/ui?type=call_initiation_failure`,
      {
        redirect: "manual",
        headers: { accept: HTML },
      },
    );
    await page.body?.cancel();
    assert.equal(page.status, 303);
    assert.equal(
      page.headers.get("location"),
      "/admin/login?next=%2Fevents%2Fui%3Ftype%3Dcall_initiation_failure",
    );

    const api = await fetch(`${server.url}/admin/queue`);
    await assertJsonError(api, 401);
    assert.equal(api.headers.get("www-authenticate"), ADMIN_CHALLENGE);
  });
});

Deno.test("admin queue negotiates HTML and JSON", async () => {
  await withServer(async (server) => {
    const json = await server.admin("/admin/queue", {
      headers: { accept: "application/json" },
    });
    assert.match(json.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual((await json.json()).dead, []);

    const page = await server.admin("/admin/queue", {
      headers: { accept: HTML },
    });
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await page.text(), /<h1>Delivery queue<\/h1>/);
  });
});

Deno.test("pages send CSP with a fresh nonce", async () => {
  await withServer(async (server) => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await server.admin("/events/ui", {
        headers: { accept: HTML },
      });
      const page = await response.text();
      const policy = response.headers.get("content-security-policy") ?? "";
      const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1] ?? "";

      assert.match(policy, /default-src 'none'/);
      assert.match(policy, /style-src 'self'/);
      assert.match(policy, /frame-ancestors 'none'/);
      assert.match(policy, /form-action 'self'/);
      assert.match(policy, /base-uri 'none'/);
      assert.notEqual(nonce, "");
      assert.ok(page.includes(`<script nonce="${nonce}"`), "script nonce");
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("referrer-policy"), "same-origin");
      assert.equal(response.headers.get("cache-control"), "no-store");
      nonces.push(nonce);
    }
    assert.notEqual(nonces[0], nonces[1]);
  });
});

Deno.test("bad filter shows a message", async () => {
  await withServer(async (server) => {
    const response = await server.admin("/events/ui?since=2026-13-45", {
      headers: { accept: HTML },
    });
    const page = await response.text();

    assert.equal(response.status, 400);
    assert.match(
      page,
      /role="alert">Received from: invalid value &quot;2026-13-45&quot;/,
    );
    assert.match(page, /aria-invalid="true"/);
  });
});

Deno.test("retry form rejects a malformed id", async () => {
  await withServer(async (server) => {
    const response = await server.admin("/admin/queue/retry", {
      method: "POST",
      body: new URLSearchParams({ retry_one: "'; DROP TABLE deliveries" }),
    });

    const error = await assertJsonError(response, 400);
    assert.match(error, /retry_one: expected a delivery id/);
  });
});

Deno.test("assets are served without a session", async () => {
  await withServer(async (server) => {
    const css = await fetch(`${server.url}/admin/assets/admin.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
    assert.match(await css.text(), /\.panel/);

    const missing = await fetch(`${server.url}/admin/assets/__proto__`);
    await assertJsonError(missing, 404);
  });
});

Deno.test("sign-in outcomes are logged without tokens", async () => {
  const folder = await Deno.makeTempDir({ prefix: "asknewton-signin-log-" });
  const server = await spawnServer({
    ADMIN_TOKEN,
    DB_PATH: `${folder}/asknewton.db`,
  });
  const wrongToken = "wrong-token-for-the-log-0001";
  const post = (token: string) =>
    fetch(`${server.url}/admin/login`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: server.url },
      body: new URLSearchParams({ token }),
    });
  try {
    const wrong = await post(wrongToken);
    await wrong.body?.cancel();
    assert.equal(wrong.status, 401);
    const right = await post(ADMIN_TOKEN);
    await right.body?.cancel();
    assert.equal(right.status, 303);
  } finally {
    server.kill();
    await server.exited;
    await Deno.remove(folder, { recursive: true });
  }

  const records = server.lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((record) => record.logger === "asknewton.admin");
  assert.deepEqual(
    records.map((record) => [record.message, record.properties.outcome]),
    [
      ["admin sign-in failed", "wrong_token"],
      ["admin session changed", "signed_in"],
    ],
  );
  assert.equal(records[0].properties.client_address, "127.0.0.1");
  const output = server.lines.join("\n");
  assert.equal(output.includes(ADMIN_TOKEN), false, "admin token logged");
  assert.equal(output.includes(wrongToken), false, "wrong token logged");
});

/** Reads `asknewton_queue_enqueued_total` from the metrics page. */
async function enqueuedTotal(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((row) =>
    row.startsWith("asknewton_queue_enqueued_total ")
  );
  return Number(line?.split(" ")[1]);
}

Deno.test("retry form counts as enqueued", async () => {
  const crm = startDestination();
  const server = await startTestServer({
    destinations: [{ name: "crm", kind: "http", url: crm.url }],
  });
  try {
    crm.script({ status: 400 });
    await server.postFixture("post_call_transcription.json");
    await server.context.worker.settle();
    const [dead] = server.context.queue.listDead(1);
    const before = await enqueuedTotal(server);

    const response = await server.admin("/admin/queue/retry", {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ retry_one: dead.id }),
    });
    await response.body?.cancel();
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/admin/queue?retried=1");
    assert.equal(await enqueuedTotal(server), before + 1);
  } finally {
    await server.close();
    await crm.close();
  }
});

Deno.test("wrong bearer tokens are rate-limited", () =>
  withServer(async (server, clock) => {
    const wrong = { authorization: "Bearer wrong-token-0000000000" };
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${server.url}/events`, { headers: wrong });
      await response.body?.cancel();
      statuses.push(response.status);
    }
    const limited = await fetch(`${server.url}/events`, { headers: wrong });
    const rightWhileLimited = await server.admin("/events");
    await rightWhileLimited.body?.cancel();
    clock.advance(60_000);
    const rightLater = await server.admin("/events");
    await rightLater.body?.cancel();

    assert.deepEqual(statuses, Array(20).fill(401));
    assert.equal(limited.headers.get("retry-after"), "60");
    await assertJsonError(limited, 429);
    assert.equal(rightWhileLimited.status, 429);
    assert.equal(rightLater.status, 200);
  }));
