import assert from "node:assert/strict";
import { describeListenError, isListenHost } from "./listen_address.ts";

const validHosts = [
  "0.0.0.0",
  "127.0.0.1",
  "255.255.255.255",
  "::",
  "::1",
  "[::1]",
  "2001:db8::8a2e:370:7334",
  "::ffff:127.0.0.1",
  "localhost",
  "localhost.",
  "webhooks.internal.example",
  "api_server",
];

for (const host of validHosts) {
  Deno.test(`isListenHost accepts ${host}`, () => {
    assert.equal(isListenHost(host), true);
  });
}

const invalidHosts = [
  "999.1.1.1",
  "1.2.3",
  "1.2.3.4.5",
  "0",
  "not a host",
  "-leading.example",
  "trailing-.example",
  "two..dots",
  "http://127.0.0.1",
  "127.0.0.1:3000",
  ":::1",
  "[::1",
  `${"a".repeat(64)}.example`,
];

for (const host of invalidHosts) {
  Deno.test(`isListenHost rejects ${host}`, () => {
    assert.equal(isListenHost(host), false);
  });
}

Deno.test("address in use names PORT", () => {
  const error = new Deno.errors.AddrInUse(
    "Address already in use (os error 98)",
  );

  assert.equal(
    describeListenError("127.0.0.1", 3004, error),
    "PORT: cannot listen on 127.0.0.1:3004: address already in use; choose a free port or stop the other process",
  );
});

Deno.test("permission denied names PORT", () => {
  const error = new Deno.errors.PermissionDenied(
    "Permission denied (os error 13)",
  );

  assert.match(
    describeListenError("0.0.0.0", 80, error),
    /^PORT: cannot listen on 0\.0\.0\.0:80: permission denied; ports below 1024 need root/,
  );
});

Deno.test("foreign address names HOST", () => {
  const error = new Deno.errors.AddrNotAvailable(
    "Cannot assign requested address (os error 99)",
  );

  assert.match(
    describeListenError("192.0.2.1", 3000, error),
    /^HOST: cannot listen on 192\.0\.2\.1:3000: no network interface of this machine has that address; /,
  );
});

Deno.test("unresolved name names HOST", () => {
  const error = new Error(
    "failed to lookup address information: Name or service not known",
  );

  assert.equal(
    describeListenError("webhooks.invalid", 3000, error),
    "HOST: cannot listen on webhooks.invalid:3000: the host name does not resolve (failed to lookup address information: Name or service not known); expected an IPv4 address such as 127.0.0.1, an IPv6 address such as ::1, or a host name such as localhost",
  );
});

Deno.test("IPv6 listen error brackets the address", () => {
  const error = new Deno.errors.AddrInUse(
    "Address already in use (os error 98)",
  );

  assert.match(describeListenError("::1", 3000, error), /on \[::1\]:3000:/);
});

Deno.test("port in use is reported for a real listener", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let caught: unknown;
  try {
    Deno.listen({ hostname: "127.0.0.1", port: listener.addr.port }).close();
  } catch (error) {
    caught = error;
  } finally {
    listener.close();
  }

  assert.match(
    describeListenError("127.0.0.1", listener.addr.port, caught),
    /^PORT: cannot listen on 127\.0\.0\.1:\d+: address already in use;/,
  );
});
