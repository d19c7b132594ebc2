import { z } from "zod";
import { jsonErrorWithoutExcerpt } from "./config_file_issues.ts";
import {
  describeIssues,
  expecting,
  expectingObject,
} from "./config_file_issues.ts";

/** A dynamic variable value; the voice agent rejects null. */
export type DynamicValue = string | number | boolean;

/** Operator-supplied additions to every initiation response. */
export interface InitData {
  dynamic_variables: Record<string, DynamicValue>;
  conversation_config_override?: Record<string, unknown>;
}

const initDataSchema = z.object({
  dynamic_variables: z.record(
    z.union(
      [z.string(), z.number(), z.boolean()],
      expecting(
        "a string, number or boolean, because the voice agent rejects null, lists and objects",
      ),
    ),
    expecting("an object of variable names and values"),
  ).optional(),
  conversation_config_override: z.record(
    z.unknown(),
    expecting("an object of ElevenLabs conversation settings"),
  ).optional(),
}, expectingObject([], ["dynamic_variables", "conversation_config_override"]))
  .strict();

/** Raised for an invalid `INIT_DATA_FILE`; one line per problem. */
export class InitDataError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "InitDataError";
  }
}

/** Validates the JSON text of `INIT_DATA_FILE`. */
export function parseInitData(
  fileText: string | undefined,
  fileName = "INIT_DATA_FILE",
): InitData {
  if (fileText === undefined) return { dynamic_variables: {} };

  let json: unknown;
  try {
    json = JSON.parse(fileText);
  } catch (error) {
    throw new InitDataError([
      `${fileName}: invalid JSON, ${jsonErrorWithoutExcerpt(error)}`,
    ]);
  }

  const parsed = initDataSchema.safeParse(json);
  if (!parsed.success) {
    throw new InitDataError(
      describeIssues(fileName, parsed.error.issues, json, () => false),
    );
  }
  return {
    dynamic_variables: parsed.data.dynamic_variables ?? {},
    conversation_config_override: parsed.data.conversation_config_override,
  };
}
