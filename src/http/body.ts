/** The request body is larger than the configured limit. */
export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`request body is larger than ${limitBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** The request body did not arrive in time. */
export class BodyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`request body was not received within ${timeoutMs / 1000} s`);
    this.name = "BodyTimeoutError";
  }
}

/**
 * Maximum time a webhook body may take to arrive. 60 s carries the largest
 * allowed body (32 MiB) at about 0.5 MiB/s. A slower client keeps a
 * connection open without sending, and also delays a graceful shutdown.
 */
export const BODY_TIMEOUT_MS = 60_000;

/**
 * Reads a request body, stopping as soon as it passes `limitBytes`. A
 * `Content-Length` over the limit is rejected before any byte is read, and a
 * chunked body is counted as it streams, so neither can fill memory. A body
 * still arriving after `timeoutMs` raises {@link BodyTimeoutError}.
 */
export async function readBodyLimited(
  request: Request,
  limitBytes: number,
  timeoutMs = BODY_TIMEOUT_MS,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limitBytes) {
    await request.body?.cancel();
    throw new BodyTooLargeError(limitBytes);
  }
  if (!request.body) return new Uint8Array();

  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BodyTimeoutError(timeoutMs)),
      timeoutMs,
    );
  });
  try {
    return concatenate(await readChunks(reader, limitBytes, timeout));
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function readChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limitBytes: number,
  timeout: Promise<never>,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await Promise.race([reader.read(), timeout]);
    if (done) return chunks;
    total += value.length;
    if (total > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(value);
  }
}

function concatenate(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
