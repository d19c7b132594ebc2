import assert from "node:assert/strict";
import { InitDataError, parseInitData } from "./init_data.ts";

/** Runs `parseInitData` on `json` and returns the problems it raises. */
function problemsFor(json: unknown): string[] {
  try {
    parseInitData(JSON.stringify(json));
  } catch (error) {
    if (error instanceof InitDataError) return error.problems;
    throw error;
  }
  assert.fail(`parseInitData accepted ${JSON.stringify(json)}`);
}

Deno.test("init data keeps fixed variables", () => {
  const data = parseInitData(JSON.stringify({
    dynamic_variables: { office: "Oakland", floor: 3, open: true },
    conversation_config_override: { agent: { language: "en" } },
  }));

  assert.deepEqual(data.dynamic_variables, {
    office: "Oakland",
    floor: 3,
    open: true,
  });
  assert.deepEqual(data.conversation_config_override, {
    agent: { language: "en" },
  });
});

Deno.test("init data null variable names the type", () => {
  const problems = problemsFor({ dynamic_variables: { plan: null } });

  assert.deepEqual(problems, [
    "INIT_DATA_FILE: dynamic_variables.plan: invalid value null, expected a string, number or boolean, because the voice agent rejects null, lists and objects",
  ]);
});

Deno.test("init data nested variable is rejected", () => {
  const problems = problemsFor({ dynamic_variables: { plan: { tier: 1 } } });

  assert.deepEqual(problems, [
    "INIT_DATA_FILE: dynamic_variables.plan: invalid value (an object), expected a string, number or boolean, because the voice agent rejects null, lists and objects",
  ]);
});

Deno.test("init data override must be an object", () => {
  const problems = problemsFor({ conversation_config_override: "en" });

  assert.deepEqual(problems, [
    'INIT_DATA_FILE: conversation_config_override: invalid value "en", expected an object of ElevenLabs conversation settings',
  ]);
});

Deno.test("init data unknown field is named", () => {
  const problems = problemsFor({ dynamic_variable: { plan: "gold" } });

  assert.deepEqual(problems, [
    "INIT_DATA_FILE: dynamic_variable: unknown field, expected one of dynamic_variables, conversation_config_override",
  ]);
});

Deno.test("init data invalid JSON is named", () => {
  let problems: string[] = [];
  try {
    parseInitData("{ not json");
  } catch (error) {
    if (!(error instanceof InitDataError)) throw error;
    problems = error.problems;
  }

  assert.equal(problems.length, 1);
  assert.match(problems[0], /^INIT_DATA_FILE: invalid JSON, /);
});
