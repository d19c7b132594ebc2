/**
 * Escaping and number formatting of the Prometheus text format 0.0.4.
 *
 * @module
 */

/**
 * Formats label pairs as `a="x",b="y"`, without braces, escaping each
 * value; `labelValues[i]` belongs to `labelNames[i]`.
 */
export function formatLabelPairs(
  labelNames: readonly string[],
  labelValues: readonly string[],
): string {
  return labelValues
    .map((value, i) => `${labelNames[i]}="${escapeLabelValue(value)}"`)
    .join(",");
}

/** Wraps label pairs in braces, or returns "" when there are none. */
export function braced(pairs: string): string {
  return pairs === "" ? "" : `{${pairs}}`;
}

/** Escapes `# HELP` text: backslash and newline. */
export function escapeHelp(help: string): string {
  return help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')
    .replaceAll("\n", "\\n");
}

/**
 * Formats a sample value as Prometheus parses it: `+Inf`, `-Inf`, `NaN`,
 * or the shortest decimal that reads back as the same number. Integers of
 * 1e21 or more are written out in full, because JavaScript switches to
 * exponent notation there.
 */
export function formatNumber(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  if (Number.isInteger(value) && Math.abs(value) >= 1e21) {
    return BigInt(value).toString();
  }

  return String(value);
}

/** Orders strings by UTF-16 code units, the same in every locale. */
export function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** Orders label value lists element by element. */
export function compareValues(
  a: readonly string[],
  b: readonly string[],
): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return compareStrings(a[i], b[i]);
  }

  return 0;
}
