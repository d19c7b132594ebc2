const encoder = new TextEncoder();

/**
 * Compares two secrets in time that does not depend on where they differ.
 * Both sides are hashed first, so the comparison also hides their lengths.
 */
export async function secretsEqual(
  candidate: string,
  expected: string,
): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(candidate)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const leftBytes = new Uint8Array(left);
  const rightBytes = new Uint8Array(right);

  let difference = 0;
  for (let i = 0; i < leftBytes.length; i++) {
    difference |= leftBytes[i] ^ rightBytes[i];
  }
  return difference === 0;
}

/** Returns true when `candidate` equals any of `secrets`, checking them all. */
export async function matchesAnySecret(
  candidate: string,
  secrets: readonly string[],
): Promise<boolean> {
  const results = await Promise.all(
    secrets.map((secret) => secretsEqual(candidate, secret)),
  );
  return results.includes(true);
}
