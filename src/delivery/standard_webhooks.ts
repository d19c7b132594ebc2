/**
 * Standard Webhooks headers for `http` destinations, signed with the
 * `standardwebhooks` package, which implements the Standard Webhooks spec.
 *
 * @module
 */
import { Webhook } from "standardwebhooks";

const SECRET_PREFIX = "whsec_";

/** Input of `signatureHeaders`. */
export interface SignatureInput {
  /** Delivery id, sent as `webhook-id`. Retries and replays keep it. */
  deliveryId: string;
  /** Time of this attempt in Unix seconds, sent as `webhook-timestamp`. */
  timestampSeconds: number;
  /** Exact request body. The signature covers its UTF-8 bytes. */
  body: string;
  /** Destination secret, `whsec_` followed by the base64 key. */
  secret?: string;
}

/**
 * Builds the `webhook-id`, `webhook-timestamp` and, when the destination has
 * a secret, `webhook-signature` headers of one delivery attempt.
 *
 * The signature is `v1,` followed by the base64 HMAC-SHA256 of
 * `<id>.<timestamp>.<body>`, keyed with the base64-decoded part of the secret
 * after `whsec_`, so any Standard Webhooks library can verify it.
 *
 * @throws {RangeError} When `timestampSeconds` is not a non-negative integer.
 * @throws {Error} When `deliveryId` is empty or the secret is invalid. The
 * message never contains the secret.
 *
 * @example
 * ```ts
 * signatureHeaders({
 *   deliveryId: "dlv_1",
 *   timestampSeconds: 1764860400,
 *   body: "{}",
 * }); // { "webhook-id": "dlv_1", "webhook-timestamp": "1764860400" }
 * ```
 */
export function signatureHeaders(
  input: SignatureInput,
): Record<string, string> {
  const { deliveryId, timestampSeconds, body, secret } = input;
  assertSignatureInput(deliveryId, timestampSeconds);

  const headers: Record<string, string> = {
    "webhook-id": deliveryId,
    "webhook-timestamp": String(timestampSeconds),
  };
  if (secret !== undefined) {
    const timestamp = new Date(timestampSeconds * 1000);
    headers["webhook-signature"] = createWebhook(secret)
      .sign(deliveryId, timestamp, body);
  }

  return headers;
}

/**
 * Checks that a destination secret is `whsec_` followed by a non-empty
 * base64 key, so configuration can reject a bad secret at start rather than
 * at the first delivery.
 */
export function isSigningSecret(secret: string): boolean {
  try {
    createWebhook(secret);
    return true;
  } catch {
    return false;
  }
}

function createWebhook(secret: string): Webhook {
  const invalid = "Cannot sign the delivery as the secret is invalid";
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new Error(`${invalid}: expected "whsec_" followed by a base64 key`);
  }

  try {
    return new Webhook(secret);
  } catch (cause) {
    // The errors for bad base64 and an empty key (standardwebhooks 1.3.0,
    // @stablelib/base64 1.0.1) do not contain the secret.
    const reason = 'the part after "whsec_" must be non-empty base64';
    throw new Error(`${invalid}: ${reason}`, { cause });
  }
}

function assertSignatureInput(
  deliveryId: string,
  timestampSeconds: number,
): void {
  if (deliveryId === "") {
    throw new Error(
      "Cannot sign the delivery as deliveryId is empty: expected the delivery's id",
    );
  }
  // The package signs whole seconds, so a fraction would make the signed
  // timestamp differ from the header.
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(
      `Cannot sign the delivery as timestampSeconds is invalid: current value is ${timestampSeconds}, expected a non-negative integer of Unix seconds`,
    );
  }
}
