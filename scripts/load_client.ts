/**
 * HTTP load client for the benchmark, the soak and the drills. It keeps a
 * fixed number of keep-alive connections, and each sends its next request
 * as soon as the previous response's body is read. A run ends at a request
 * count or a time limit.
 */

/** One request the client sends. */
export interface LoadRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit;
}

/** Settings of a load run. */
export interface LoadOptions {
  url: string;
  /** Concurrent connections, each with one request in flight at a time. */
  connections: number;
  /** Requests to send in all. The run ends when they have responses. */
  requests: number;
  /** The run stops starting requests after this time, in ms. */
  timeLimitMs: number;
  /**
   * Builds request number `index`, counted from 0. Latency is timed after
   * the request is built, so building it costs nothing in the results.
   */
  buildRequest: (index: number) => LoadRequest | Promise<LoadRequest>;
  /**
   * Target rate over all connections, in requests per second. Unset sends
   * each request as soon as the connection is free.
   */
  ratePerSecond?: number;
  /**
   * Called for every response with the time its body was read, in Unix ms
   * with a fraction, so it compares with times taken in other processes.
   */
  onResponse?: (index: number, status: number, receivedAtMs: number) => void;
  /** Stops the run early; requests in flight are aborted. */
  signal?: AbortSignal;
}

/** Latency percentiles in ms. */
export interface LatencySummary {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Measurements of a load run. */
export interface LoadResult {
  sent: number;
  /** Responses with a 2xx status. */
  succeeded: number;
  /** Non-2xx responses plus network errors. */
  errors: number;
  /** Responses counted by status, with network errors under 0. */
  statuses: Record<number, number>;
  durationMs: number;
  requestsPerSecond: number;
  latency: LatencySummary;
}

/**
 * Runs one load and returns its counts and latencies. Latency runs from the
 * start of `fetch` until the response body is read, so it includes the
 * client's own overhead. Row (a) of the benchmark measures that ceiling.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const client = Deno.createHttpClient({
    poolMaxIdlePerHost: options.connections,
  });
  const latencies = new Float64Array(options.requests);
  const statuses: Record<number, number> = {};
  let next = 0;
  let completed = 0;
  const started = performance.now();
  const deadline = started + options.timeLimitMs;
  const intervalMs = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;

  const connection = async () => {
    while (next < options.requests && !options.signal?.aborted) {
      const index = next++;
      if (intervalMs > 0) await waitUntil(started + index * intervalMs);
      if (performance.now() >= deadline || options.signal?.aborted) return;

      const outcome = await sendOne(client, options, index);
      latencies[completed++] = outcome.elapsedMs;
      statuses[outcome.code] = (statuses[outcome.code] ?? 0) + 1;
      options.onResponse?.(index, outcome.code, wallClockMs());
    }
  };

  try {
    await Promise.all(
      Array.from({ length: options.connections }, () => connection()),
    );
  } finally {
    client.close();
  }

  const durationMs = performance.now() - started;
  const succeeded = Object.entries(statuses)
    .filter(([code]) => Number(code) >= 200 && Number(code) < 300)
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    sent: completed,
    succeeded,
    errors: completed - succeeded,
    statuses,
    durationMs,
    requestsPerSecond: completed / (durationMs / 1000),
    latency: summarizeLatency(latencies.subarray(0, completed)),
  };
}

async function sendOne(
  client: Deno.HttpClient,
  options: LoadOptions,
  index: number,
): Promise<{ code: number; elapsedMs: number }> {
  const request = await options.buildRequest(index);
  const started = performance.now();
  try {
    const response = await fetch(options.url, {
      method: request.method ?? "POST",
      headers: request.headers,
      body: request.body,
      client,
      signal: options.signal,
    });
    await response.arrayBuffer();
    return { code: response.status, elapsedMs: performance.now() - started };
  } catch {
    return { code: 0, elapsedMs: performance.now() - started };
  }
}

/** Unix time in ms with the sub-millisecond part of `performance.now()`. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

function waitUntil(timeMs: number): Promise<void> {
  const delayMs = timeMs - performance.now();
  if (delayMs <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

/** Computes latency percentiles by the nearest-rank method. */
export function summarizeLatency(latencies: Float64Array): LatencySummary {
  if (latencies.length === 0) return { p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
  const sorted = Float64Array.from(latencies).sort();
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  return {
    p50Ms: rank(0.5),
    p90Ms: rank(0.9),
    p99Ms: rank(0.99),
    maxMs: sorted[sorted.length - 1],
  };
}
