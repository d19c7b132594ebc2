import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import {
  ADMIN_TOKEN,
  readFixture,
  readFixtureJson,
  transcriptionFor,
} from "./support/fixtures.ts";
import {
  startDestination,
  type TestDestination,
} from "./support/destination.ts";
import { startTestServer, type TestServer } from "./support/test_server.ts";

const SCREENSHOTS = new URL("../docs/screenshots/", import.meta.url);
const LAPTOP = { width: 1280, height: 800 };

const SCRIPT_PAYLOAD = "<script>alert(1)</script>";
const IMG_PAYLOAD = "<img src=x onerror=alert(1)>";

/** Launches Debian's Chromium headless with a fresh profile. */
async function launchChromium(profile: string): Promise<Browser> {
  return await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
}

/** A server, a loopback destination and a browser, for one test run. */
interface Rig {
  server: TestServer;
  crm: TestDestination;
  browser: Browser;
  page: Page;
  /** Messages of every dialog the page tried to open. */
  dialogs: string[];
  clock: { now: () => number; advance: (ms: number) => void };
  close(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  let nowMs = Date.parse("2026-03-02T09:00:00Z");
  const clock = {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
  const crm = startDestination();
  const server = await startTestServer({
    now: clock.now,
    random: () => 0,
    destinations: [{ name: "crm", kind: "http", url: crm.url }],
  });
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const profile = await Deno.makeTempDir({ prefix: "asknewton-chromium-" });
  const browser = await launchChromium(profile);
  const page = await browser.newPage();
  await page.setViewport(LAPTOP);
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });

  return {
    server,
    crm,
    browser,
    page,
    dialogs,
    clock,
    async close() {
      await browser.close();
      await server.close();
      await crm.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}

/** Posts an event body, signed, and returns its id. */
async function store(rig: Rig, body: Uint8Array<ArrayBuffer> | string) {
  rig.clock.advance(60_000);
  const response = await rig.server.postEnd(body);
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer.event_id as string;
}

/** A transcription whose fields carry markup that must render as text. */
async function hostileTranscription(): Promise<string> {
  const event = await readFixtureJson("post_call_transcription.json");
  const data = event.data as {
    conversation_id: string;
    agent_id: string;
    transcript: { message: string }[];
    analysis: { transcript_summary: string; call_summary_title: string };
  };
  data.conversation_id = "conv_hostile";
  data.agent_id = `agent_${IMG_PAYLOAD}`;
  data.transcript[0].message = SCRIPT_PAYLOAD;
  data.transcript[1].message = IMG_PAYLOAD;
  data.analysis.transcript_summary = `${SCRIPT_PAYLOAD} ${IMG_PAYLOAD}`;
  data.analysis.call_summary_title = IMG_PAYLOAD;
  return JSON.stringify(event);
}

/**
 * Stores four events. The first delivery of the transcription fails
 * permanently (400), so it lands among the dead letters. The hostile event's
 * delivery dies with markup in the destination's response.
 */
async function seed(rig: Rig) {
  rig.crm.script(
    { status: 400, body: "unknown field" },
  );
  const transcription = await store(
    rig,
    await readFixture("post_call_transcription.json"),
  );
  await rig.server.context.worker.settle();

  const second = await store(
    rig,
    await transcriptionFor({
      conversationId: "conv_second",
      caller: "+15550100222",
    }),
  );
  const failure = await store(
    rig,
    await readFixture("call_initiation_failure_twilio.json"),
  );
  await rig.server.context.worker.settle();

  rig.crm.script({ status: 422, body: `${SCRIPT_PAYLOAD}${IMG_PAYLOAD}` });
  const hostile = await store(rig, await hostileTranscription());
  await rig.server.context.worker.settle();

  return { transcription, second, failure, hostile };
}

/** Follows a click that navigates. */
async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

function rowCount(page: Page): Promise<number> {
  return page.$$eval("main table tbody tr", (rows) => rows.length);
}

/** Asserts that markup from events stayed text: no element, no dialog. */
async function assertInert(rig: Rig, where: string): Promise<void> {
  // A string, because the test's type library has no DOM.
  const injected = await rig.page.evaluate(`({
    images: document.querySelectorAll("img[onerror], img[src='x']").length,
    scripts: document.querySelectorAll("script:not([nonce])").length,
    allScripts: document.scripts.length,
    text: document.body.innerText,
  })`) as { images: number; scripts: number; allScripts: number; text: string };
  assert.equal(injected.images, 0, `${where}: injected img`);
  assert.equal(injected.scripts, 0, `${where}: script without nonce`);
  assert.equal(injected.allScripts, 1, `${where}: script count`);
  assert.ok(injected.text.includes(IMG_PAYLOAD), `${where}: payload as text`);
  assert.deepEqual(rig.dialogs, [], `${where}: dialogs`);
}

Deno.test("admin pages in Chromium", async (t) => {
  const rig = await startRig();
  const { page, server } = rig;
  try {
    const ids = await seed(rig);

    await t.step("sign-in leads back to the page", async () => {
      await page.goto(`${server.url}/events/ui`);
      assert.equal(pathOf(page), "/admin/login?next=%2Fevents%2Fui");
      const method = await page.$eval("form", (form) => form.method);
      assert.equal(method, "post");

      await page.type("#token", ADMIN_TOKEN);
      await clickAndWait(page, "button[type=submit]");
      assert.equal(pathOf(page), "/events/ui");
      assert.equal(await rowCount(page), 4);
      assert.equal(page.url().includes(ADMIN_TOKEN), false);
      await page.screenshot({
        path: new URL("events.png", SCREENSHOTS).pathname,
      });
    });

    await t.step("filters stay in the query string", async () => {
      await page.select("#filter-type", "call_initiation_failure");
      await clickAndWait(page, "form[role=search] button[type=submit]");
      assert.equal(pathOf(page), "/events/ui?type=call_initiation_failure");
      assert.equal(await rowCount(page), 1);

      await page.goto(`${server.url}/events/ui?q=conv_second`);
      assert.equal(await rowCount(page), 1);
      const value = await page.$eval(
        "#filter-q",
        (input) => (input as unknown as { value: string }).value,
      );
      assert.equal(value, "conv_second");
    });

    await t.step("older link carries the cursor", async () => {
      await page.goto(`${server.url}/events/ui?limit=3`);
      assert.equal(await rowCount(page), 3);
      await clickAndWait(page, "a[rel=next]");
      assert.match(pathOf(page), /^\/events\/ui\?limit=3&cursor=/);
      assert.equal(await rowCount(page), 1);
      const last = await page.$eval("main tbody a", (link) => link.textContent);
      assert.equal(last, "post_call_transcription");
    });

    await t.step("bad filter shows an error state", async () => {
      const response = await page.goto(`${server.url}/events/ui?since=soon`);
      assert.equal(response?.status(), 400);
      const alert = await page.$eval("[role=alert]", (box) => box.textContent);
      assert.match(alert ?? "", /^Received from: invalid value "soon"/);
    });

    await t.step("empty filter result says so", async () => {
      await page.goto(`${server.url}/events/ui?conversation_id=conv_none`);
      const empty = await page.$eval(".empty", (box) => box.textContent);
      assert.match(empty ?? "", /No events match these filters/);
    });

    await t.step("event page shows the call", async () => {
      await page.goto(`${server.url}/events/ui/${ids.transcription}`);
      const turns = await page.$$eval(
        ".transcript li",
        (items) => items.map((item) => item.textContent ?? ""),
      );
      assert.equal(turns.length, 4);
      assert.match(turns[1], /user\s*0:07/);
      const body = await page.evaluate("document.body.innerText") as string;
      assert.match(body, /collected_zip/);
      assert.match(body, /94107/);
      assert.match(body, /\+\*{7}0987/);
      assert.equal(body.includes("+15550100987"), false);
      const raw = await page.$eval("details pre", (pre) => pre.textContent);
      assert.match(raw ?? "", /"external_number": "\+\*{7}0987"/);
      await page.screenshot({
        path: new URL("event.png", SCREENSHOTS).pathname,
        fullPage: true,
      });
    });

    await t.step("dead delivery retry succeeds", async () => {
      const state = () =>
        page.$eval(".delivery .badge", (badge) => badge.textContent);
      assert.equal(await state(), "dead");

      await clickAndWait(page, "button[name=retry_one]");
      assert.equal(pathOf(page), `/events/ui/${ids.transcription}?retried=1`);
      const notice = await page.$eval(
        "[role=status]",
        (box) => box.textContent,
      );
      assert.match(notice ?? "", /^Moved 1 dead delivery back to pending/);

      await server.context.worker.settle();
      await page.reload();
      assert.equal(await state(), "succeeded");
      const first = rig.crm.received[0].headers.get("webhook-id");
      const retried = rig.crm.received.at(-1)?.headers.get("webhook-id");
      assert.equal(retried, first);
    });

    await t.step("replay button adds a delivery", async () => {
      const before = rig.crm.received.length;
      await clickAndWait(page, "form[action$='/replay'] button");
      assert.equal(pathOf(page), `/events/ui/${ids.transcription}?replayed=1`);

      await server.context.worker.settle();
      assert.equal(rig.crm.received.length, before + 1);
    });

    await t.step("queue page lists dead letters", async () => {
      await page.goto(`${server.url}/admin/queue`);
      const dead = await page.$$eval(
        "input[name=ids]",
        (boxes) =>
          boxes.map((box) => (box as unknown as { value: string }).value),
      );
      assert.equal(dead.length, 1);
      const breaker = await page.$eval(
        "[aria-labelledby=breakers-heading] .badge",
        (badge) => badge.textContent,
      );
      assert.equal(breaker, "closed");
      await page.screenshot({
        path: new URL("queue.png", SCREENSHOTS).pathname,
        fullPage: true,
      });
    });

    await t.step("stored markup renders as text", async () => {
      await page.goto(`${server.url}/events/ui`);
      await assertInert(rig, "events page");
      await page.goto(`${server.url}/events/ui/${ids.hostile}`);
      await assertInert(rig, "event page");
      const excerpt = await page.$eval(
        ".delivery .excerpt",
        (cell) => cell.textContent,
      );
      assert.equal(excerpt, `${SCRIPT_PAYLOAD}${IMG_PAYLOAD}`);
      await page.goto(`${server.url}/admin/queue`);
      await assertInert(rig, "queue page");
    });

    await t.step("retry selected moves checked rows", async () => {
      await page.click("input[data-select-all]");
      await clickAndWait(page, "button[data-needs-selection]");
      assert.equal(pathOf(page), "/admin/queue?retried=1");
      await server.context.worker.settle();
      await page.reload();
      const empty = await page.$eval(
        "[aria-labelledby=dead-heading] .empty",
        (box) => box.textContent,
      );
      assert.match(empty ?? "", /^No dead deliveries/);
    });

    await t.step("keyboard starts at the skip link", async () => {
      await page.goto(`${server.url}/events/ui`);
      await page.keyboard.press("Tab");
      const first = await page.evaluate(
        "document.activeElement.textContent",
      ) as string;
      assert.equal(first, "Skip to content");
      await page.keyboard.press("Tab");
      const second = await page.evaluate(
        "document.activeElement.textContent",
      ) as string;
      assert.equal(second, "AskNewton webhooks");
    });

    await t.step("phone width needs no sideways scroll", async () => {
      await page.setViewport({ width: 390, height: 844 });
      const pages = ["/events/ui", `/events/ui/${ids.hostile}`, "/admin/queue"];
      for (const path of pages) {
        await page.goto(`${server.url}${path}`);
        const width = await page.evaluate(
          "document.documentElement.scrollWidth",
        ) as number;
        assert.ok(width <= 390, `${path} is ${width} px wide`);
      }
      await page.setViewport(LAPTOP);
    });

    await t.step("cross-site POST with the cookie is 403", async () => {
      const cookies = await rig.browser.cookies();
      const session = cookies.find((cookie) =>
        cookie.name === "asknewton_admin"
      );
      assert.ok(session, "session cookie");
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, "Strict");

      const response = await fetch(`${server.url}/admin/replay-failed`, {
        method: "POST",
        headers: {
          cookie: `${session.name}=${session.value}`,
          origin: "http://evil.example",
        },
      });
      assert.equal(response.status, 403);
      assert.equal((await response.json()).ok, false);
    });

    await t.step("sign-out returns to the form", async () => {
      await clickAndWait(page, "nav button");
      assert.equal(pathOf(page), "/admin/login?signed_out=1");
      const cookies = await rig.browser.cookies();
      assert.equal(cookies.some((c) => c.name === "asknewton_admin"), false);

      await page.goto(`${server.url}/admin/queue`);
      assert.equal(pathOf(page), "/admin/login?next=%2Fadmin%2Fqueue");
    });
  } finally {
    await rig.close();
  }
});
