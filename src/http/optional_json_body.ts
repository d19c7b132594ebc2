import type { Context } from "hono";
import type { z } from "zod";
import {
  BodyTimeoutError,
  BodyTooLargeError,
  readBodyLimited,
} from "./body.ts";

/**
 * Largest admin request body. Replaying 10 000 delivery ids by name, the
 * most a request may list, takes about 330 KB.
 */
const ADMIN_BODY_LIMIT_BYTES = 1024 * 1024;

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
  let text: string;
  try {
    const bytes = await readBodyLimited(c.req.raw, ADMIN_BODY_LIMIT_BYTES);
    text = new TextDecoder().decode(bytes);
  } catch (error) {
    if (error instanceof BodyTimeoutError) {
      return { ok: false, error: error.message };
    }
    if (!(error instanceof BodyTooLargeError)) throw error;
    return { ok: false, error: `${error.message}: expected ${shape}` };
  }
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
