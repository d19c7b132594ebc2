/** One HTTP request to a destination. */
export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Response to one request, or the reason there was none. */
export interface TransportResult {
  status?: number;
  /** Short description of a network error or timeout. */
  error?: string;
  /** Raw `Retry-After` header, parsed by the caller. */
  retryAfter?: string | null;
  /** The first bytes of the response body, for the audit trail. */
  responseExcerpt?: string;
  /** True when `signal` aborted the request, as shutdown does. */
  aborted?: boolean;
}

/** How much of a response body the audit trail keeps, in bytes. */
export const RESPONSE_EXCERPT_BYTES = 512;

/**
 * Sends one POST and reads at most the first bytes of the response. Redirects
 * are not followed: a destination that moved responds with 3xx, which counts as a
 * permanent error, so a delivery never lands somewhere unexpected.
 */
export async function sendRequest(
  request: OutboundRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<TransportResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.any([timeout, signal]),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      responseExcerpt: await readExcerpt(response),
    };
  } catch (error) {
    if (signal.aborted) return { aborted: true, error: "aborted by shutdown" };
    if (timeout.aborted) return { error: `timed out after ${timeoutMs} ms` };
    return { error: describeNetworkError(error) };
  }
}

async function readExcerpt(response: Response): Promise<string | undefined> {
  if (!response.body) return undefined;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } catch {
    // A body that breaks off midway still leaves the status to record.
  } finally {
    reader.cancel().catch(() => {});
  }

  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  const text = new TextDecoder().decode(
    bytes.subarray(0, RESPONSE_EXCERPT_BYTES),
  );
  return text || undefined;
}

/**
 * Describes a failed request without its error text where that text may
 * quote the URL, because a Slack webhook URL's path is its credential.
 */
function describeNetworkError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/url/i.test(message)) return "network error: invalid destination URL";
  return `network error: ${message}`.slice(0, 300);
}
