import assert from "node:assert/strict";
import {
  importSecrets,
  parseSignatureHeader,
  signBody,
  verifySignature,
} from "./signature.ts";

const fixtures = new URL("../../tests/fixtures/elevenlabs/", import.meta.url);

interface SignatureCase {
  name: string;
  fixture: string;
  secrets: string[];
  header: string;
  now: number;
  expect: "accept" | "reject";
  append_to_body?: string;
}

const vectors = JSON.parse(
  await Deno.readTextFile(new URL("signature_vectors.json", fixtures)),
) as { tolerance_seconds: number; cases: SignatureCase[] };

for (const vector of vectors.cases) {
  Deno.test(`signature vector ${vector.name}`, async () => {
    const fileBytes = await Deno.readFile(new URL(vector.fixture, fixtures));
    const suffix = new TextEncoder().encode(vector.append_to_body ?? "");
    const body = new Uint8Array([...fileBytes, ...suffix]);

    const result = await verifySignature({
      header: vector.header,
      body,
      keys: await importSecrets(vector.secrets),
      nowSeconds: vector.now,
      toleranceSeconds: vectors.tolerance_seconds,
    });

    assert.equal(result.ok, vector.expect === "accept");
  });
}

Deno.test("signature rejects a missing header", async () => {
  const result = await verifySignature({
    header: null,
    body: new Uint8Array(),
    keys: await importSecrets(["secret"]),
    nowSeconds: 0,
    toleranceSeconds: 1800,
  });

  assert.deepEqual(result, { ok: false, reason: "missing_header" });
});

Deno.test("signBody output verifies", async () => {
  const body = new TextEncoder().encode('{"type":"x"}');
  const header = await signBody(body, "s3cret", 1_700_000_000);

  const result = await verifySignature({
    header,
    body,
    keys: await importSecrets(["other", "s3cret"]),
    nowSeconds: 1_700_000_010,
    toleranceSeconds: 1800,
  });

  assert.deepEqual(result, { ok: true, timestampSeconds: 1_700_000_000 });
});

Deno.test("parseSignatureHeader ignores v1 entries", () => {
  const parsed = parseSignatureHeader(`t=5,v1=${"a".repeat(64)}`);

  assert.equal(parsed, undefined);
});

Deno.test("signature rejects too many v0 entries", async () => {
  const body = new TextEncoder().encode('{"type":"x"}');
  const valid = await signBody(body, "s3cret", 1_700_000_000);
  const padding = Array(8).fill(`v0=${"0".repeat(64)}`).join(",");

  const result = await verifySignature({
    header: `${valid},${padding}`,
    body,
    keys: await importSecrets(["s3cret"]),
    nowSeconds: 1_700_000_010,
    toleranceSeconds: 1800,
  });

  assert.deepEqual(result, { ok: false, reason: "malformed_header" });
});
