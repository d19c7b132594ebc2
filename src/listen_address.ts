/** One DNS label; `_` is allowed because container names often have it. */
const HOST_LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

/** The "expected …" clause of every message about `HOST`. */
export const HOST_EXPECTED =
  "expected an IPv4 address such as 127.0.0.1, an IPv6 address such as ::1, or a host name such as localhost";

/**
 * Tells whether `host` is written as an address `Deno.serve` can listen on:
 * a dotted IPv4 address, an IPv6 address (with or without brackets), or a
 * host name. It checks syntax only; whether the name resolves to an address
 * of this machine shows only when the server listens.
 *
 * @example
 * ```ts
 * isListenHost("127.0.0.1"); // true
 * isListenHost("999.1.1.1"); // false
 * isListenHost("not a host"); // false
 * ```
 */
export function isListenHost(host: string): boolean {
  if (host.includes(":")) {
    return isIpv6Address(host.replace(/^\[(.*)\]$/, "$1"));
  }
  // A name whose labels are all digits can only be meant as an IPv4 address.
  if (/^[0-9.]+$/.test(host)) return isIpv4Address(host);

  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  return name.length <= 253 &&
    name.split(".").every((label) => HOST_LABEL.test(label));
}

function isIpv4Address(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 &&
    parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

function isIpv6Address(host: string): boolean {
  // NOTE: URL parsing rejects zone ids such as fe80::1%eth0, so HOST cannot
  // name a link-local address with its interface.
  return URL.canParse(`http://[${host}]/`);
}

/**
 * Explains why the server could not listen on `host`:`port`, naming the
 * variable to change (`PORT` or `HOST`), what failed and what to do. Both
 * values are shown, because neither is a secret.
 */
export function describeListenError(
  host: string,
  port: number,
  error: unknown,
): string {
  const address = `${
    host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
  }:${port}`;
  const failed = `cannot listen on ${address}`;
  const message = (error as Error)?.message ?? String(error);

  if (error instanceof Deno.errors.AddrInUse) {
    return `PORT: ${failed}: address already in use; choose a free port or stop the other process`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `PORT: ${failed}: permission denied; ports below 1024 need root or the CAP_NET_BIND_SERVICE capability, so choose a port from 1024 up`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `HOST: ${failed}: no network interface of this machine has that address; expected one of its addresses, 127.0.0.1 for this machine only, or 0.0.0.0 for all`;
  }
  if (error instanceof URIError || message.includes("lookup address")) {
    return `HOST: ${failed}: the host name does not resolve (${message}); ${HOST_EXPECTED}`;
  }
  return `HOST, PORT: ${failed}: ${message}`;
}
