const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Creates a unique, roughly time-ordered id such as `evt_01JB…`: 10
 * characters of millisecond time and 16 of randomness (80 bits), in
 * Crockford base32 like a ULID. Delivery ids double as `webhook-id`, so they
 * must never repeat, even after the database is replaced.
 */
export function newId(prefix: string, nowMs: number): string {
  let time = "";
  let remaining = Math.max(0, Math.floor(nowMs));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[remaining % 32] + time;
    remaining = Math.floor(remaining / 32);
  }

  const randomBytes = crypto.getRandomValues(new Uint8Array(16));
  let random = "";
  for (const byte of randomBytes) random += CROCKFORD[byte % 32];
  return `${prefix}_${time}${random}`;
}
