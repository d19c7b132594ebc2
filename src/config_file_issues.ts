import type { z } from "zod";

/** Location of a value inside a parsed JSON file, as zod reports it. */
export type JsonPath = readonly (string | number)[];

/**
 * Builds zod schema parameters that make every issue of that schema carry
 * `expected` as its message. {@link describeIssues} then writes the line in
 * this project's words rather than zod's defaults, such as "Invalid input".
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * const attempts = z.number(expecting("a whole number from 1 to 100"))
 *   .int().min(1).max(100);
 * ```
 */
export function expecting(expected: string): { errorMap: z.ZodErrorMap } {
  return { errorMap: () => ({ message: expected }) };
}

/**
 * Builds zod parameters for an object schema, so a wrong value reads
 * "expected an object with the fields …" and an unknown field reads
 * "expected one of …".
 */
export function expectingObject(
  required: readonly string[],
  optional: readonly string[] = [],
): { errorMap: z.ZodErrorMap } {
  let fields = `the fields ${required.join(", ")}`;
  if (required.length === 0) {
    fields = `the optional fields ${optional.join(", ")}`;
  } else if (optional.length) {
    fields += ` and optionally ${optional.join(", ")}`;
  }
  return {
    errorMap: (issue) => ({
      message: issue.code === "unrecognized_keys"
        ? `one of ${[...required, ...optional].join(", ")}`
        : `an object with ${fields}`,
    }),
  };
}

/**
 * Adds an issue whose message is a whole statement, written after the path
 * as it is, instead of "invalid value …, expected <message>".
 */
export function addStatement(
  context: z.RefinementCtx,
  path: JsonPath,
  statement: string,
): void {
  context.addIssue({
    code: "custom",
    path: [...path],
    message: statement,
    params: { statement: true },
  });
}

/**
 * Writes zod issues about a JSON configuration file as one line each, such as
 * `DESTINATIONS_FILE: destinations[0].kind: invalid value "slak", expected "slack" or "http"`.
 * Values at paths where `isHidden` returns true are never shown, because they
 * can hold credentials.
 */
export function describeIssues(
  fileName: string,
  issues: readonly z.ZodIssue[],
  input: unknown,
  isHidden: (path: JsonPath) => boolean,
): string[] {
  return issues.flatMap((issue) =>
    describeIssue(issue, input, isHidden).map((line) => `${fileName}: ${line}`)
  );
}

function describeIssue(
  issue: z.ZodIssue,
  input: unknown,
  isHidden: (path: JsonPath) => boolean,
): string[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) =>
      `${
        formatPath([...issue.path, key])
      }: unknown field, expected ${issue.message}`
    );
  }

  const where = formatPath(issue.path);
  if (issue.code === "custom" && issue.params?.statement) {
    return [`${where}: ${issue.message}`];
  }

  const value = valueAt(input, issue.path);
  if (value === undefined) {
    return [`${where}: missing, expected ${issue.message}`];
  }
  const valueText = isHidden(issue.path)
    ? "(value hidden)"
    : describeValue(value);
  return [`${where}: invalid value ${valueText}, expected ${issue.message}`];
}

/**
 * Writes a path the way JavaScript would reach the value:
 * `destinations[0].headers["bad header"]`, or `(top level)` for the root.
 */
export function formatPath(path: JsonPath): string {
  if (path.length === 0) return "(top level)";

  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(key)}]`;
  }
  return text;
}

/** Maximum length of a string value shown in a message, in characters. */
const SHOWN_STRING_LENGTH = 60;

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "(an array)";
  if (value !== null && typeof value === "object") return "(an object)";
  if (typeof value !== "string") return String(value);
  if (value.length <= SHOWN_STRING_LENGTH) return JSON.stringify(value);

  return `${JSON.stringify(value.slice(0, SHOWN_STRING_LENGTH))}…`;
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/**
 * Returns a `JSON.parse` error message without the excerpt of the input
 * that V8 quotes, such as `..."ization": Bearer CRM"...`, because the
 * excerpt can hold part of a secret or header value.
 */
export function jsonErrorWithoutExcerpt(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/,?\s*\.\.\."[\s\S]*"\.\.\./, "")
    .replace(/^(Unexpected token) '[\s\S]*?'/, "$1")
    .replace(/,?\s*"[\s\S]*" is not valid JSON$/, "")
    .replace(/\s+is not valid JSON$/, "")
    .trim();
}
