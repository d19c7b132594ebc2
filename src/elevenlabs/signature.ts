/**
 * Verification of the `ElevenLabs-Signature` header: `t=<unix seconds>` and
 * one or more `v0=<hex>` entries, where `v0` is HMAC-SHA256 keyed with the
 * secret's UTF-8 bytes over `<t>.` followed by the raw request body.
 */

/** How far ahead of our clock a signature timestamp may be, in seconds. */
export const FUTURE_SKEW_SECONDS = 300;

/** Reason a signature was rejected, as a stable string for logs and tests. */
export type SignatureFailure =
  | "missing_header"
  | "malformed_header"
  | "expired"
  | "from_the_future"
  | "mismatch";

export type SignatureResult =
  | { ok: true; timestampSeconds: number }
  | { ok: false; reason: SignatureFailure };

interface ParsedHeader {
  timestampSeconds: number;
  signatures: Uint8Array<ArrayBuffer>[];
}

const encoder = new TextEncoder();
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Most `v0` entries accepted in one header. ElevenLabs sends one; a few
 * cover a rotation on its side. Without a cap, a sender could make every
 * request cost one HMAC comparison per entry.
 */
export const MAX_SIGNATURES = 8;

/**
 * Parses the header. Spaces after commas are allowed and every `v0` entry is
 * kept; entries with other versions are ignored. Returns undefined when there
 * is no numeric `t`, no well-formed `v0`, or more than
 * {@link MAX_SIGNATURES} of them.
 */
export function parseSignatureHeader(header: string): ParsedHeader | undefined {
  let timestampSeconds: number | undefined;
  const signatures: Uint8Array<ArrayBuffer>[] = [];

  for (const part of header.split(",")) {
    const separator = part.indexOf("=");
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();

    if (key === "t" && /^\d{1,12}$/.test(value)) {
      timestampSeconds = Number(value);
    } else if (key === "v0" && HEX_SHA256.test(value)) {
      signatures.push(hexToBytes(value));
    }
  }

  if (
    timestampSeconds === undefined || signatures.length === 0 ||
    signatures.length > MAX_SIGNATURES
  ) {
    return undefined;
  }
  return { timestampSeconds, signatures };
}

/** Imports secrets once as HMAC-SHA256 keys, so each request only verifies. */
export function importSecrets(secrets: string[]): Promise<CryptoKey[]> {
  return Promise.all(secrets.map((secret) =>
    crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    )
  ));
}

/**
 * Checks a signature header against the raw body. Any `v0` entry may match
 * any key. The body is hashed once per key, whatever the number of entries,
 * and each entry is compared in constant time.
 */
export async function verifySignature(options: {
  header: string | null | undefined;
  body: Uint8Array;
  keys: CryptoKey[];
  nowSeconds: number;
  toleranceSeconds: number;
}): Promise<SignatureResult> {
  if (!options.header) return { ok: false, reason: "missing_header" };
  const parsed = parseSignatureHeader(options.header);
  if (!parsed) return { ok: false, reason: "malformed_header" };

  const age = options.nowSeconds - parsed.timestampSeconds;
  if (age > options.toleranceSeconds) return { ok: false, reason: "expired" };
  if (age < -FUTURE_SKEW_SECONDS) {
    return { ok: false, reason: "from_the_future" };
  }

  const signed = concatBytes(
    encoder.encode(`${parsed.timestampSeconds}.`),
    options.body,
  );
  let matched = false;
  for (const key of options.keys) {
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed));
    for (const signature of parsed.signatures) {
      matched = bytesEqual(mac, signature) || matched;
    }
  }
  return matched
    ? { ok: true, timestampSeconds: parsed.timestampSeconds }
    : { ok: false, reason: "mismatch" };
}

/** Builds a header for a body; used by the sample sender and tests. */
export async function signBody(
  body: Uint8Array,
  secret: string,
  timestampSeconds: number,
): Promise<string> {
  const [key] = await importSecrets([secret]);
  const signed = concatBytes(encoder.encode(`${timestampSeconds}.`), body);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed));
  return `t=${timestampSeconds},v0=${bytesToHex(mac)}`;
}

function concatBytes(
  head: Uint8Array,
  tail: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}

/** Compares two byte arrays of equal length without an early exit. */
function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let i = 0; i < left.length; i++) difference |= left[i] ^ right[i];
  return difference === 0;
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}
