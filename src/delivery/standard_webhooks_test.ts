import assert from "node:assert/strict";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { isSigningSecret, signatureHeaders } from "./standard_webhooks.ts";

// 32 bytes 0x01..0x20, base64-encoded.
const SECRET = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const BODY = '{"type":"post_call_transcription","data":{"note":"Ça va 😊"}}';

/** `Webhook.verify` rejects timestamps more than 5 minutes from its clock. */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Computes the expected signature with WebCrypto, apart from the package. */
async function webCryptoSignature(
  secret: string,
  content: string,
): Promise<string> {
  const keyBytes = Uint8Array.from(
    atob(secret.slice("whsec_".length)),
    (char) => char.charCodeAt(0),
  );
  const key = await crypto.subtle.importKey(
    "raw",
    keyBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(content),
  );

  return "v1," + btoa(String.fromCharCode(...new Uint8Array(mac)));
}

Deno.test("signatureHeaders() without a secret omits the signature", () => {
  const headers = signatureHeaders({
    deliveryId: "dlv_1",
    timestampSeconds: 1764860400,
    body: BODY,
  });

  assert.deepEqual(headers, {
    "webhook-id": "dlv_1",
    "webhook-timestamp": "1764860400",
  });
});

Deno.test("signature verifies with the standardwebhooks package", () => {
  const headers = signatureHeaders({
    deliveryId: "dlv_2",
    timestampSeconds: nowSeconds(),
    body: BODY,
    secret: SECRET,
  });

  const payload = new Webhook(SECRET).verify(BODY, headers);

  assert.deepEqual(payload, JSON.parse(BODY));
});

Deno.test("signature matches an independent WebCrypto HMAC", async () => {
  const timestampSeconds = 1764860400;
  const headers = signatureHeaders({
    deliveryId: "dlv_3",
    timestampSeconds,
    body: BODY,
    secret: SECRET,
  });

  const expected = await webCryptoSignature(
    SECRET,
    `dlv_3.${timestampSeconds}.${BODY}`,
  );

  assert.equal(headers["webhook-signature"], expected);
});

Deno.test("signature matches the Standard Webhooks test vector", () => {
  const headers = signatureHeaders({
    deliveryId: "msg_p5jXN8AQM9LWM0D4loKWxJek",
    timestampSeconds: 1614265330,
    body: '{"test": 2432232314}',
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  });

  assert.equal(
    headers["webhook-signature"],
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  );
});

Deno.test("changed body fails verification", () => {
  const headers = signatureHeaders({
    deliveryId: "dlv_4",
    timestampSeconds: nowSeconds(),
    body: BODY,
    secret: SECRET,
  });
  const changedBody = BODY.replace("Ça va", "Ca va");

  assert.throws(
    () => new Webhook(SECRET).verify(changedBody, headers),
    WebhookVerificationError,
  );
});

Deno.test("changed delivery id fails verification", () => {
  const headers = signatureHeaders({
    deliveryId: "dlv_5",
    timestampSeconds: nowSeconds(),
    body: BODY,
    secret: SECRET,
  });

  assert.throws(
    () =>
      new Webhook(SECRET).verify(BODY, { ...headers, "webhook-id": "dlv_6" }),
    WebhookVerificationError,
  );
});

Deno.test("other secret fails verification", () => {
  const headers = signatureHeaders({
    deliveryId: "dlv_7",
    timestampSeconds: nowSeconds(),
    body: BODY,
    secret: SECRET,
  });
  const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  assert.throws(
    () => new Webhook(otherSecret).verify(BODY, headers),
    WebhookVerificationError,
  );
});

Deno.test("signatureHeaders() rejects invalid secrets", () => {
  const secrets = [
    "",
    "whsec_",
    "whsec_!!!",
    "whsec_abc",
    "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
  ];
  for (const secret of secrets) {
    assert.throws(
      () =>
        signatureHeaders({
          deliveryId: "dlv_8",
          timestampSeconds: 1764860400,
          body: BODY,
          secret,
        }),
      (error: Error) => {
        assert.match(error.message, /secret is invalid/);
        if (secret.length > "whsec_".length) {
          assert.ok(!error.message.includes(secret.slice(6)), "leaks secret");
        }
        return true;
      },
      JSON.stringify(secret),
    );
  }
});

Deno.test("signatureHeaders() rejects invalid timestamps", () => {
  for (const timestampSeconds of [-1, 1.5, Number.NaN]) {
    assert.throws(
      () =>
        signatureHeaders({ deliveryId: "dlv_9", timestampSeconds, body: "" }),
      RangeError,
      String(timestampSeconds),
    );
  }
});

Deno.test("signatureHeaders() rejects an empty delivery id", () => {
  assert.throws(
    () => signatureHeaders({ deliveryId: "", timestampSeconds: 0, body: "" }),
    /deliveryId is empty/,
  );
});

Deno.test("isSigningSecret() accepts only whsec_ base64 keys", () => {
  const cases: [string, boolean][] = [
    [SECRET, true],
    ["whsec_Kv/IJoBWkK+fRZrgoBT3BEobO85VsqXk", true],
    ["whsec_", false],
    ["whsec_abc", false],
    ["whsec_YW-_", false],
    ["Kv/IJoBWkK+fRZrgoBT3BEobO85VsqXk", false],
  ];
  for (const [secret, expected] of cases) {
    assert.equal(isSigningSecret(secret), expected, secret);
  }
});
