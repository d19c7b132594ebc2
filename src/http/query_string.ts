import type { Context } from "hono";
import { z } from "zod";

/** A query string with one value per parameter, or why it has none. */
export type SingleValuedQuery =
  | { ok: true; query: Record<string, string> }
  | { ok: false; error: string };

/**
 * Reads the query string of an admin route, where each parameter may appear
 * once. A repeated parameter is rejected: taking one of its values would
 * hide a mistake in the caller's URL.
 */
export function readSingleValuedQuery(c: Context): SingleValuedQuery {
  const query: Record<string, string> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) {
      return {
        ok: false,
        error:
          `query parameter ${name}: given ${values.length} times, expected once`,
      };
    }
    query[name] = values[0];
  }

  return { ok: true, query };
}

/**
 * Formats the error for the first invalid parameter of a query string:
 * the parameter, its value and the expected form, or for an unknown
 * parameter the names the route takes.
 */
export function describeQueryIssue(
  issue: z.ZodIssue,
  query: Record<string, string>,
  knownNames: string[],
): string {
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((key) => JSON.stringify(key)).join(", ");
    return `unknown query parameter ${names}: expected one of ${
      knownNames.join(", ")
    }`;
  }

  const name = String(issue.path[0]);
  return `query parameter ${name}: invalid value ${
    JSON.stringify(query[name])
  }, ${issue.message}`;
}

/** Digits only, so `1e2`, `0x10`, `2.0` and padded values are rejected. */
const DECIMAL_DIGITS = /^[0-9]{1,9}$/;

/**
 * Schema of a whole-number query parameter from `min` to `max`, written in
 * plain decimal digits. `Number()` alone would also read `1e2`, `0x10` and
 * ` 5`, which a caller rarely means.
 */
export function decimalParameter(min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.string()
    .regex(DECIMAL_DIGITS, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message));
}
