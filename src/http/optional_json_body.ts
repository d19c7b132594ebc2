import type { Context } from "hono";
import type { z } from "zod";

/** A request body read against a schema, or the 400 message for it. */
export type ParsedBody<T> =
  | { ok: true; data: T }
  | { ok: false; error: string };

/**
 * Reads an optional JSON body against `schema`, where an empty body counts
 * as `{}`. On failure the message names the first invalid field, its value
 * and what fits. `shape` describes the expected body in words for that
 * message, such as `an empty body or {"destination": "<name>"}`.
 */
export async function readOptionalJson<T>(
  c: Context,
  schema: z.ZodType<T>,
  shape: string,
): Promise<ParsedBody<T>> {
  const text = await c.req.text();
  let json: unknown = {};
  try {
    if (text.trim() !== "") json = JSON.parse(text);
  } catch {
    return { ok: false, error: `body is not valid JSON: expected ${shape}` };
  }

  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, data: parsed.data };
  return {
    ok: false,
    error: describeBodyIssue(parsed.error.issues[0], json, shape),
  };
}

/**
 * Formats one schema issue of a JSON body, such as
 * `body field ids[2]: invalid value "x", expected a delivery id …`.
 */
function describeBodyIssue(
  issue: z.ZodIssue,
  json: unknown,
  shape: string,
): string {
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((key) => JSON.stringify(key)).join(", ");
    return `unknown body field ${names}: expected ${shape}`;
  }
  if (issue.path.length === 0) return `invalid body: expected ${shape}`;

  let value: unknown = json;
  for (const key of issue.path) {
    value = (value as Record<string | number, unknown>)?.[key];
  }
  const valueText = JSON.stringify(value)?.slice(0, 100) ?? "undefined";
  return `body field ${
    fieldPath(issue.path)
  }: invalid value ${valueText}, ${issue.message}`;
}

/** Writes a schema path as `ids[2]` or `breaker.cooldownMs`. */
function fieldPath(path: (string | number)[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") {
      text += `[${key}]`;
    } else {
      text += text === "" ? key : `.${key}`;
    }
  }
  return text;
}
