import assert from "node:assert/strict";
import transcription from "../../tests/fixtures/elevenlabs/post_call_transcription.json" with {
  type: "json",
};
import audio from "../../tests/fixtures/elevenlabs/post_call_audio.json" with {
  type: "json",
};
import sipFailure from "../../tests/fixtures/elevenlabs/call_initiation_failure_sip.json" with {
  type: "json",
};
import twilioFailure from "../../tests/fixtures/elevenlabs/call_initiation_failure_twilio.json" with {
  type: "json",
};
import unknownType from "../../tests/fixtures/elevenlabs/unknown_type.json" with {
  type: "json",
};
import {
  escapeSlackText,
  formatDuration,
  formatSlackMessage,
  type SlackMessage,
} from "./slack_message.ts";

const EVENT_ID = "evt_0001";

function format(body: { type: string }): SlackMessage {
  const message = formatSlackMessage({
    type: body.type,
    body,
    eventId: EVENT_ID,
  });
  assert.ok(message, `expected a message for ${body.type}`);

  return message;
}

// Block Kit is untyped here, so tests reach into it through `any`.
// deno-lint-ignore no-explicit-any
type Block = any;

function blockOfType(message: SlackMessage, type: string): Block {
  const block = (message.blocks as Block[]).find((item) => item.type === type);
  assert.ok(block, `expected a ${type} block`);

  return block;
}

function fieldTexts(message: SlackMessage): string[] {
  const section = blockOfType(message, "section");

  return section.fields.map((item: Block) => item.text);
}

/** Collects every string in the message, wherever it sits. */
function allStrings(value: unknown): string[] {
  if (typeof value === "string") {
    return [value];
  }
  if (typeof value === "object" && value !== null) {
    return Object.values(value).flatMap(allStrings);
  }

  return [];
}

Deno.test("transcription message has header, section and context", () => {
  const message = format(transcription);

  assert.deepEqual(
    (message.blocks as Block[]).map((block) => block.type),
    ["header", "section", "context"],
  );
});

Deno.test("transcription header is the summary title", () => {
  const header = blockOfType(format(transcription), "header");

  assert.deepEqual(header.text, {
    type: "plain_text",
    text: "Coverage for a family of two",
  });
});

Deno.test("transcription section shows the summary", () => {
  const section = blockOfType(format(transcription), "section");

  assert.equal(section.text.type, "mrkdwn");
  assert.equal(
    section.text.text,
    "*Summary*\nA caller who recently moved on a work visa asked for health coverage for two people in ZIP 94107 and asked for plan options by email.",
  );
});

Deno.test("transcription fields show outcome, duration, caller, agent", () => {
  assert.deepEqual(fieldTexts(format(transcription)), [
    "*Outcome*\nsuccess",
    "*Duration*\n1m 22s",
    "*Caller*\n`+*******0987`",
    "*Agent*\nNewton intake line",
  ]);
});

Deno.test("transcription context names conversation and event", () => {
  const context = blockOfType(format(transcription), "context");

  assert.deepEqual(context.elements, [{
    type: "mrkdwn",
    text: "Conversation `conv_2101kbxr3example0000000001` | Event `evt_0001`",
  }]);
});

Deno.test("transcription fallback text sums up the call", () => {
  assert.equal(
    format(transcription).text,
    "Coverage for a family of two | Outcome: success | Duration: 1m 22s | Caller: +*******0987 | Agent: Newton intake line | Conversation: conv_2101kbxr3example0000000001",
  );
});

Deno.test("transcription message leaves out transcript and numbers", () => {
  const strings = allStrings(format(transcription)).join("\n");

  for (const turn of transcription.data.transcript) {
    assert.ok(!strings.includes(turn.message), `transcript: ${turn.message}`);
  }
  assert.ok(!strings.includes("+15550100987"), "caller number");
  assert.ok(!strings.includes("+15550100123"), "agent number");
});

Deno.test("transcription without a title says Call ended", () => {
  const body = structuredClone(transcription) as Block;
  delete body.data.analysis.call_summary_title;

  const header = blockOfType(format(body), "header");

  assert.equal(header.text.text, "Call ended");
});

Deno.test("transcription falls back to agent_id", () => {
  const body = structuredClone(transcription) as Block;
  delete body.data.agent_name;

  assert.ok(
    fieldTexts(format(body)).includes(
      "*Agent*\nagent_5601kbxq7example0000000000",
    ),
  );
});

Deno.test("transcription without phone call omits the caller", () => {
  const body = structuredClone(transcription) as Block;
  delete body.data.metadata.phone_call;

  const labels = fieldTexts(format(body)).map((text) => text.split("\n")[0]);

  assert.deepEqual(labels, ["*Outcome*", "*Duration*", "*Agent*"]);
});

Deno.test("audio event is not sent to Slack", () => {
  const message = formatSlackMessage({
    type: "post_call_audio",
    body: audio,
    eventId: EVENT_ID,
  });

  assert.equal(message, null);
});

Deno.test("SIP initiation failure shows reason and number", () => {
  const message = format(sipFailure);

  assert.equal(
    blockOfType(message, "header").text.text,
    "Call initiation failed",
  );
  assert.deepEqual(fieldTexts(message), [
    "*Reason*\nbusy (SIP 486, Busy Here)",
    "*Number called*\n`+*******0789`",
    "*Agent*\nagent_5601kbxq7example0000000000",
  ]);
});

Deno.test("Twilio initiation failure drops the repeated status", () => {
  const message = format(twilioFailure);

  assert.deepEqual(fieldTexts(message), [
    "*Reason*\nno-answer",
    "*Number called*\n`+*******0456`",
    "*Agent*\nagent_5601kbxq7example0000000000",
  ]);
});

Deno.test("initiation failure leaves out full numbers", () => {
  for (const body of [sipFailure, twilioFailure]) {
    const strings = allStrings(format(body)).join("\n");
    for (const number of ["+15550100123", "+15550100789", "+15550100456"]) {
      assert.ok(!strings.includes(number), `${body.type}: ${number}`);
    }
  }
});

Deno.test("initiation failure shows a differing Twilio status", () => {
  const body = structuredClone(twilioFailure) as Block;
  body.data.failure_reason = "failed";

  assert.equal(fieldTexts(format(body))[0], "*Reason*\nfailed (no-answer)");
});

Deno.test("unknown event names its type and conversation", () => {
  const message = format(unknownType);

  assert.equal(
    blockOfType(message, "header").text.text,
    "ElevenLabs event received",
  );
  assert.deepEqual(fieldTexts(message), [
    "*Type*\n`agent_qa`",
    "*Agent*\nagent_5601kbxq7example0000000000",
  ]);
  assert.equal(
    message.text,
    "ElevenLabs event received | Type: agent_qa | Agent: agent_5601kbxq7example0000000000 | Conversation: conv_2101kbxr3example0000000001",
  );
});

Deno.test("unknown event leaves out its other data", () => {
  const strings = allStrings(format(unknownType)).join("\n");

  assert.ok(!strings.includes(unknownType.data.notes));
});

Deno.test("malformed bodies still produce a message", () => {
  for (const body of [null, "text", 42, [], { data: [] }, { data: null }]) {
    const message = formatSlackMessage({
      type: "post_call_transcription",
      body,
      eventId: EVENT_ID,
    });
    assert.ok(message, JSON.stringify(body));
    assert.equal(message.text, "Call ended", JSON.stringify(body));
    assert.deepEqual(
      (message.blocks as Block[]).map((block) => block.type),
      ["header", "context"],
      JSON.stringify(body),
    );
  }
});

Deno.test("message escapes &, < and > in every value", () => {
  const body = structuredClone(transcription) as Block;
  body.data.analysis.call_summary_title = "Q&A <!channel>";
  body.data.analysis.transcript_summary = "See <https://example.test|this> & >";
  body.data.analysis.call_successful = "<b>";
  body.data.agent_name = "Sales & <@U123>";
  body.data.conversation_id = "conv_<1>&";
  body.data.metadata.phone_call.external_number = "<+15550100987>";
  const message = formatSlackMessage({
    type: body.type,
    body,
    eventId: "evt_<&>",
  });
  assert.ok(message);

  for (const text of allStrings(message)) {
    assert.ok(!/[<>]/.test(text), `raw < or > in ${text}`);
    assert.ok(!/&(?!amp;|lt;|gt;)/.test(text), `raw & in ${text}`);
  }
  assert.equal(
    blockOfType(message, "header").text.text,
    "Q&amp;A &lt;!channel&gt;",
  );
  assert.ok(fieldTexts(message).includes("*Agent*\nSales &amp; &lt;@U123&gt;"));
  assert.ok(fieldTexts(message).includes("*Caller*\n`&lt;+*******0987&gt;`"));
});

Deno.test("initiation failure escapes provider details", () => {
  const body = structuredClone(sipFailure) as Block;
  body.data.metadata.body.error_reason = "<Busy & Here>";

  assert.equal(
    fieldTexts(format(body))[0],
    "*Reason*\nbusy (SIP 486, &lt;Busy &amp; Here&gt;)",
  );
});

Deno.test("unknown type is escaped", () => {
  const message = formatSlackMessage({
    type: "<!here>&",
    body: unknownType,
    eventId: EVENT_ID,
  });
  assert.ok(message);

  assert.ok(fieldTexts(message).includes("*Type*\n`&lt;!here&gt;&amp;`"));
  assert.ok(message.text.includes("Type: &lt;!here&gt;&amp;"));
});

Deno.test("long values fit Block Kit limits", () => {
  const body = structuredClone(transcription) as Block;
  body.data.analysis.call_summary_title = "&".repeat(200);
  body.data.analysis.transcript_summary = "😊".repeat(2000);
  const message = format(body);

  const header = blockOfType(message, "header").text.text;
  assert.ok(header.length <= 150, `header length ${header.length}`);
  assert.match(header, /^(&amp;)+…$/);
  const summary = blockOfType(message, "section").text.text;
  assert.ok(summary.length <= 3000, `summary length ${summary.length}`);
  assert.ok(!/[\uD800-\uDBFF]…$/.test(summary), "cut inside an emoji");
  assert.ok(message.text.length <= 3000, `text length ${message.text.length}`);
});

Deno.test("escapeSlackText() replaces only &, < and >", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["a & b", "a &amp; b"],
    ["<@U123>", "&lt;@U123&gt;"],
    ["&amp;", "&amp;amp;"],
    ["*bold* _it_ \"q\" 'a'", "*bold* _it_ \"q\" 'a'"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(escapeSlackText(input), expected, input);
  }
});

Deno.test("formatDuration() uses h, m and s", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [7, "7s"],
    [59.4, "59s"],
    [59.6, "1m 0s"],
    [60, "1m 0s"],
    [82, "1m 22s"],
    [3599, "59m 59s"],
    [3600, "1h 0m 0s"],
    [3723, "1h 2m 3s"],
  ];
  for (const [seconds, expected] of cases) {
    assert.equal(formatDuration(seconds), expected, `${seconds} seconds`);
  }
});
