/**
 * Soak test: a steady, moderate load of signed post-call events with live
 * delivery for a long time, reading the server's resident memory (RSS)
 * every `--sample-seconds`. Everything runs on 127.0.0.1 in child
 * processes that the script starts and stops, and the load is bounded by
 * rate and duration.
 *
 * Usage: `deno task soak [--minutes 10] [--rate 100] [--connections 8]
 * [--sample-seconds 10] [--json]`
 *
 * It fails (exit code 1) when any request fails, when RSS reaches
 * `MAX_RSS_MIB`, when a delivery is missing at the end, or when memory keeps
 * growing. Growth is judged after the first fifth of the samples (warm-up):
 * the median of the last third of the remaining samples may exceed the
 * median of the first third by at most `GROWTH_LIMIT_MIB` or
 * `GROWTH_LIMIT_RATIO`, whichever is larger.
 */
import { parseArgs } from "node:util";
import { type LoadResult, runLoad } from "./load_client.ts";
import { readMemory, spawnProduct, toMebibytes } from "./product_process.ts";
import { spawnRecordingDestination } from "./recording_destination.ts";
import {
  newSecret,
  signedHeaders,
  transcriptionEventMaker,
} from "./signed_events.ts";
import { formatTable } from "./text_table.ts";
import { waitFor } from "./wait_for.ts";

const MAX_RSS_MIB = 150;
const GROWTH_LIMIT_MIB = 8;
const GROWTH_LIMIT_RATIO = 0.05;
const ROUTE = "/webhooks/eleven/conversation-end";

/** One memory reading. */
interface Sample {
  elapsedSeconds: number;
  rssMebibytes: number;
  sent: number;
}

function readOptions() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      minutes: { type: "string", default: "10" },
      rate: { type: "string", default: "100" },
      connections: { type: "string", default: "8" },
      "sample-seconds": { type: "string", default: "10" },
      json: { type: "boolean", default: false },
    },
  });
  const positive = (
    name: "minutes" | "rate" | "connections" | "sample-seconds",
  ) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) {
      console.error(
        `--${name}: invalid value ${
          JSON.stringify(values[name])
        }, expected a number above 0`,
      );
      Deno.exit(2);
    }
    return value;
  };
  return {
    minutes: positive("minutes"),
    ratePerSecond: positive("rate"),
    connections: Math.ceil(positive("connections")),
    sampleSeconds: positive("sample-seconds"),
    json: values.json,
  };
}

/** Judges growth as the file comment describes; returns the growth in MiB. */
export function memoryGrowth(samples: number[]): {
  growthMebibytes: number;
  limitMebibytes: number;
} {
  const settled = samples.slice(Math.ceil(samples.length / 5));
  const third = Math.max(1, Math.floor(settled.length / 3));
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  const first = median(settled.slice(0, third));
  const last = median(settled.slice(-third));
  return {
    growthMebibytes: last - first,
    limitMebibytes: Math.max(GROWTH_LIMIT_MIB, first * GROWTH_LIMIT_RATIO),
  };
}

/** Prints the samples and the verdict; returns the exit code. */
function report(
  options: ReturnType<typeof readOptions>,
  load: LoadResult,
  samples: Sample[],
  delivered: number,
): number {
  const rss = samples.map((sample) => sample.rssMebibytes);
  const maxRss = Math.max(0, ...rss);
  const growth = memoryGrowth(rss);
  const checks = [
    {
      check: "requests that failed",
      value: `${load.errors} of ${load.sent}`,
      passed: load.errors === 0 && load.sent > 0,
    },
    {
      check: "deliveries received",
      value: `${delivered} of ${load.succeeded}`,
      passed: delivered >= load.succeeded,
    },
    {
      check: "max RSS",
      value: `${maxRss} MiB (limit ${MAX_RSS_MIB})`,
      passed: maxRss < MAX_RSS_MIB,
    },
    {
      check: "RSS growth after warm-up",
      value: `${Math.round(growth.growthMebibytes * 10) / 10} MiB (limit ${
        Math.round(growth.limitMebibytes * 10) / 10
      })`,
      passed: samples.length >= 3 &&
        growth.growthMebibytes <= growth.limitMebibytes,
    },
    {
      check: "p99 latency",
      value: `${Math.round(load.latency.p99Ms * 10) / 10} ms`,
      passed: true,
    },
  ];

  if (options.json) {
    console.log(JSON.stringify({ options, samples, checks }, null, 2));
  } else {
    console.log(formatTable(samples.map((sample) => ({
      "elapsed s": sample.elapsedSeconds,
      "requests sent": sample.sent,
      "RSS MiB": sample.rssMebibytes,
    }))));
    console.log();
    console.log(formatTable(checks.map((check) => ({
      check: check.check,
      value: check.value,
      result: check.passed ? "ok" : "FAILED",
    }))));
  }
  return checks.every((check) => check.passed) ? 0 : 1;
}

async function main(): Promise<number> {
  const options = readOptions();
  const folder = await Deno.makeTempDir({ prefix: "asknewton-soak-" });
  const secret = newSecret();
  const destination = await spawnRecordingDestination();
  await Deno.writeTextFile(
    `${folder}/destinations.json`,
    JSON.stringify({
      destinations: [{ name: "soak", kind: "http", url: destination.url }],
    }),
  );
  const product = await spawnProduct({
    environment: {
      DB_PATH: `${folder}/soak.db`,
      ELEVEN_END_SECRET: secret,
      DESTINATIONS_FILE: `${folder}/destinations.json`,
    },
  });

  try {
    const durationMs = options.minutes * 60_000;
    const requests = Math.floor(options.ratePerSecond * durationMs / 1000);
    const samples: Sample[] = [];
    let sent = 0;
    const started = performance.now();
    const sampler = setInterval(async () => {
      const { rssBytes } = await readMemory(product.pid);
      samples.push({
        elapsedSeconds: Math.round((performance.now() - started) / 1000),
        rssMebibytes: toMebibytes(rssBytes),
        sent,
      });
    }, options.sampleSeconds * 1000);

    const makeEvent = await transcriptionEventMaker(
      `soak-${Date.now()}`,
      secret,
    );
    const load = await runLoad({
      url: `${product.url}${ROUTE}`,
      connections: options.connections,
      requests,
      timeLimitMs: durationMs + 60_000,
      ratePerSecond: options.ratePerSecond,
      buildRequest: async (index) => {
        sent = index + 1;
        const event = await makeEvent(index);
        return { headers: signedHeaders(event), body: event.body };
      },
    });
    clearInterval(sampler);

    await waitFor(
      `${load.succeeded} deliveries`,
      async () => await destination.count() >= load.succeeded,
      120_000,
      500,
    ).catch(() => {});
    return report(options, load, samples, await destination.count());
  } finally {
    await product.stop();
    await destination.stop();
    await Deno.remove(folder, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
