/**
 * The bounded sets of label values the server metrics use. Anything
 * outside a set maps to `"other"`, so a hostile sender cannot create
 * unbounded series by inventing event types.
 *
 * @module
 */

import { INITIATION_TYPE, POST_CALL_TYPES } from "../elevenlabs/events.ts";
import type { SignatureFailure } from "../elevenlabs/signature.ts";
import type { WebhookOutcome, WebhookRecord } from "../http/app_context.ts";

/** Route label value of a webhook. */
export type WebhookRoute = WebhookRecord["route"];

/** Label value that stands for every value outside a bounded set. */
export const OTHER_VALUE = "other";

/** Event types that get their own `type` label value. */
export const KNOWN_EVENT_TYPES: readonly string[] = [
  ...POST_CALL_TYPES,
  INITIATION_TYPE,
];

// Records keyed by a union fail the type check when the union gains a
// member, so these label lists cannot fall behind the code they describe.
const ROUTE_SET: Record<WebhookRoute, true> = {
  conversation_end: true,
  conversation_init: true,
};
const OUTCOME_SET: Record<WebhookOutcome, true> = {
  stored: true,
  duplicate: true,
  invalid_signature: true,
  invalid_body: true,
  too_large: true,
  disabled: true,
  unavailable: true,
  error: true,
};
const SIGNATURE_FAILURES: Record<SignatureFailure, true> = {
  missing_header: true,
  malformed_header: true,
  expired: true,
  from_the_future: true,
  mismatch: true,
};

/** Every webhook route. */
export const WEBHOOK_ROUTES = Object.keys(ROUTE_SET) as WebhookRoute[];

/** Every webhook outcome. */
export const WEBHOOK_OUTCOMES = Object.keys(OUTCOME_SET) as WebhookOutcome[];

/**
 * Reasons each route reports for a rejected signature. The initiation
 * route reports one reason, because it accepts three kinds of credential
 * and cannot tell which one the sender meant.
 */
export const SIGNATURE_REASONS: Record<WebhookRoute, readonly string[]> = {
  conversation_end: Object.keys(SIGNATURE_FAILURES),
  conversation_init: ["no_matching_secret"],
};

/** Maps an event type to its label value: the type itself or `"other"`. */
export function eventTypeLabel(type: string | undefined): string {
  return type !== undefined && KNOWN_EVENT_TYPES.includes(type)
    ? type
    : OTHER_VALUE;
}

/** Maps a rejection reason to its label value, `"other"` when unknown. */
export function signatureReasonLabel(
  route: WebhookRoute,
  reason: string | undefined,
): string {
  return reason !== undefined && SIGNATURE_REASONS[route].includes(reason)
    ? reason
    : OTHER_VALUE;
}
