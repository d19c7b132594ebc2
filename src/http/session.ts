/** Name of the cookie that carries an admin browser session. */
export const SESSION_COOKIE = "asknewton_admin";

/** How long a browser session lasts after sign-in: 12 hours. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Maximum number of revoked sessions kept; the oldest go first. */
const MAX_REVOKED = 10_000;

// Prefixed to every signed value, so a MAC made for a session can never be
// mistaken for one the admin token signs for another purpose.
const MAC_CONTEXT = "asknewton-admin-session-v1";

const encoder = new TextEncoder();

/** A session that `AdminSessions.issue` created or `verify` accepted. */
export interface AdminSession {
  id: string;
  expiresAtMs: number;
  /** The cookie value: `<id>.<expiry in Unix seconds>.<MAC>`. */
  cookieValue: string;
}

/**
 * Issues and checks admin browser sessions without a session table. The
 * cookie value is a random id and an expiry, signed with HMAC-SHA256 keyed
 * with `ADMIN_TOKEN`, so the token itself never leaves the server and
 * rotating it invalidates every session at once. Signing out adds the id to
 * a revocation list in memory until the session would have expired.
 *
 * NOTE: the revocation list lives in memory only, so after a restart a
 * cookie that was signed out works again until its expiry, unless the token
 * was rotated in between.
 */
export class AdminSessions {
  readonly #key: Promise<CryptoKey> | undefined;
  readonly #now: () => number;
  readonly #revoked = new Map<string, number>();

  /** `now` returns Unix milliseconds; tests pass a fake clock. */
  constructor(adminToken: string | undefined, now: () => number) {
    this.#now = now;
    this.#key = adminToken === undefined ? undefined : crypto.subtle.importKey(
      "raw",
      encoder.encode(adminToken),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  /** Creates a session that expires `SESSION_TTL_MS` from now. */
  async issue(): Promise<AdminSession> {
    const key = await this.#requireKey();
    const id = base64Url(crypto.getRandomValues(new Uint8Array(18)));
    const expiresAtSeconds = Math.floor(
      (this.#now() + SESSION_TTL_MS) / 1000,
    );
    const payload = `${id}.${expiresAtSeconds}`;
    const mac = await crypto.subtle.sign("HMAC", key, signedBytes(payload));

    return {
      id,
      expiresAtMs: expiresAtSeconds * 1000,
      cookieValue: `${payload}.${base64Url(new Uint8Array(mac))}`,
    };
  }

  /**
   * Returns the session when the cookie value carries a valid MAC, has not
   * expired and was not revoked; otherwise undefined. The MAC is checked
   * with `crypto.subtle.verify`, which compares in constant time.
   */
  async verify(
    cookieValue: string | undefined,
  ): Promise<AdminSession | undefined> {
    if (!this.#key || !cookieValue) return undefined;
    const match = /^([A-Za-z0-9_-]{24})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/
      .exec(cookieValue);
    if (!match) return undefined;

    const [, id, expiresAtText, macText] = match;
    const expiresAtMs = Number(expiresAtText) * 1000;
    if (expiresAtMs <= this.#now() || this.#revoked.has(id)) return undefined;
    const valid = await crypto.subtle.verify(
      "HMAC",
      await this.#key,
      fromBase64Url(macText),
      signedBytes(`${id}.${expiresAtText}`),
    );
    return valid ? { id, expiresAtMs, cookieValue } : undefined;
  }

  /** Ends a session before its expiry, as signing out does. */
  revoke(session: AdminSession): void {
    const now = this.#now();
    for (const [id, expiresAtMs] of this.#revoked) {
      if (expiresAtMs <= now) this.#revoked.delete(id);
    }
    if (this.#revoked.size >= MAX_REVOKED) {
      const oldest = this.#revoked.keys().next().value;
      if (oldest !== undefined) this.#revoked.delete(oldest);
    }
    this.#revoked.set(session.id, session.expiresAtMs);
  }

  #requireKey(): Promise<CryptoKey> {
    if (!this.#key) {
      throw new Error("Cannot issue an admin session: ADMIN_TOKEN is not set");
    }
    return this.#key;
  }
}

function signedBytes(payload: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${MAC_CONTEXT}.${payload}`);
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}
