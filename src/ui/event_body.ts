import { maskPhoneNumber } from "../phone.ts";

/**
 * Readers for the parts of a stored event body that the detail page shows.
 * Bodies come from outside and unknown types are stored as they came, so
 * every reader accepts any value and returns what it can find.
 */

/** One turn of a call transcript. */
export interface TranscriptTurn {
  role: string;
  /** Null for a turn that only called tools. */
  message: string | null;
  timeInCallSeconds?: number;
  toolNames: string[];
}

/** One evaluation criterion of `analysis.evaluation_criteria_results`. */
export interface CriterionResult {
  id: string;
  result: string;
  rationale: string;
}

/** One entry of `analysis.data_collection_results`. */
export interface CollectedValue {
  id: string;
  /** The value as text; JSON for anything but a string. */
  value: string;
  rationale: string;
}

/** A labelled fact about the call, such as its duration. */
export interface EventFact {
  label: string;
  value: string;
}

/** Maximum length of a string in the raw JSON view; longer ones are cut. */
const MAX_RAW_STRING = 2000;

/** E.164 numbers such as `+15550100987`, masked wherever they appear whole. */
const E164 = /^\+[1-9]\d{6,14}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  return undefined;
}

/** Reads `data.transcript`. */
export function transcriptOf(body: unknown): TranscriptTurn[] {
  const turns = field(body, "data", "transcript");
  if (!Array.isArray(turns)) return [];

  return turns.filter(isRecord).map((turn) => ({
    role: text(turn.role) ?? "unknown",
    message: typeof turn.message === "string" ? turn.message : null,
    timeInCallSeconds: typeof turn.time_in_call_secs === "number"
      ? turn.time_in_call_secs
      : undefined,
    toolNames: Array.isArray(turn.tool_calls)
      ? turn.tool_calls.map((call) => text(field(call, "tool_name")))
        .filter((name): name is string => name !== undefined)
      : [],
  }));
}

/** Reads `data.analysis.evaluation_criteria_results`. */
export function criteriaOf(body: unknown): CriterionResult[] {
  const results = field(
    body,
    "data",
    "analysis",
    "evaluation_criteria_results",
  );
  if (!isRecord(results)) return [];

  return Object.entries(results).map(([key, entry]) => ({
    id: text(field(entry, "criteria_id")) ?? key,
    result: text(field(entry, "result")) ?? "",
    rationale: text(field(entry, "rationale")) ?? "",
  }));
}

/** Reads `data.analysis.data_collection_results`. */
export function collectedDataOf(body: unknown): CollectedValue[] {
  const results = field(body, "data", "analysis", "data_collection_results");
  if (!isRecord(results)) return [];

  return Object.entries(results).map(([key, entry]) => {
    const value = field(entry, "value");
    return {
      id: text(field(entry, "data_collection_id")) ?? key,
      value: typeof value === "string" ? value : JSON.stringify(value) ?? "",
      rationale: text(field(entry, "rationale")) ?? "",
    };
  });
}

/** Reads the call summary title and summary text of `data.analysis`. */
export function summaryOf(
  body: unknown,
): { title?: string; summary?: string } {
  return {
    title: text(field(body, "data", "analysis", "call_summary_title")),
    summary: text(field(body, "data", "analysis", "transcript_summary")),
  };
}

/** Facts about the call that the event's columns do not hold. */
export function callFactsOf(body: unknown): EventFact[] {
  const seconds = field(body, "data", "metadata", "call_duration_secs");
  const candidates: [string, string | undefined][] = [
    ["Agent name", text(field(body, "data", "agent_name"))],
    ["Status", text(field(body, "data", "status"))],
    [
      "Duration",
      typeof seconds === "number" ? `${Math.round(seconds)} s` : undefined,
    ],
    [
      "Ended because",
      text(field(body, "data", "metadata", "termination_reason")),
    ],
    ["Failure reason", text(field(body, "data", "failure_reason"))],
    ["Language", text(field(body, "data", "metadata", "main_language"))],
  ];
  return candidates
    .filter((entry): entry is [string, string] => Boolean(entry[1]))
    .map(([label, value]) => ({ label, value }));
}

/**
 * Pretty-prints a body for the raw JSON view. Whole E.164 phone numbers are
 * masked like the rest of the page, and strings longer than 2000 characters
 * (base64 audio above all) are cut, saying how much was left out.
 */
export function rawJsonOf(body: unknown): string {
  try {
    return stringifyForDisplay(body);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // The replacer recurses once per level, so a body nested thousands of
    // levels deep (valid JSON, and signed) exhausts the stack.
    return "The body is nested too deeply to show here. GET /events/:id returns it whole.";
  }
}

function stringifyForDisplay(body: unknown): string {
  return JSON.stringify(
    body,
    (_key, value) => {
      if (typeof value !== "string") return value;
      if (E164.test(value)) return maskPhoneNumber(value);
      if (value.length > MAX_RAW_STRING) {
        const omitted = value.length - MAX_RAW_STRING;
        return `${
          value.slice(0, MAX_RAW_STRING)
        }… (${omitted} more characters not shown)`;
      }
      return value;
    },
    2,
  );
}
