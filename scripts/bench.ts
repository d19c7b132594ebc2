/**
 * Benchmark of ingest, delivery and memory. Everything it talks to runs on
 * 127.0.0.1 in child processes it starts and stops itself, and every load
 * is bounded by a request count and a time limit.
 *
 * Usage: `deno task bench [--json] [--requests N] [--connections N]
 * [--deliveries N] [--audio-mb N] [--seconds N] [--profile DIR]`
 *
 * `--requests` counts per ingest row, after a warm-up of up to 500
 * requests, and `--seconds` limits each load run. `--profile DIR` runs
 * every product process with `--cpu-prof`, which writes one `.cpuprofile`
 * per process into DIR.
 *
 * docs/BENCHMARKS.md explains the rows and records the latest numbers.
 */
import { parseArgs } from "node:util";
import { measureAudio } from "./bench_audio.ts";
import { measureDelivery } from "./bench_delivery.ts";
import {
  buildEvents,
  type IngestSettings,
  measureBaseline,
  type RowResult,
} from "./bench_ingest.ts";
import {
  measureProductDelivering,
  measureProductDestinationDown,
} from "./bench_product.ts";
import type { LatencySummary } from "./load_client.ts";
import { readSystemFile, toMebibytes } from "./product_process.ts";
import { newSecret, transcriptionEvents } from "./signed_events.ts";
import { formatTable } from "./text_table.ts";

const USAGE =
  "Usage: deno task bench [--json] [--requests N] [--connections N] [--deliveries N] [--audio-mb N] [--seconds N] [--profile DIR]";

function readOptions() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      json: { type: "boolean", default: false },
      requests: { type: "string", default: "4000" },
      connections: { type: "string", default: "32" },
      deliveries: { type: "string", default: "3000" },
      "audio-mb": { type: "string", default: "10" },
      seconds: { type: "string", default: "30" },
      profile: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) {
      console.error(
        `--${name}: invalid value ${
          JSON.stringify(values[name])
        }, expected a whole number above 0\n${USAGE}`,
      );
      Deno.exit(2);
    }
    return value;
  };
  return {
    json: values.json,
    requests: positive("requests"),
    connections: positive("connections"),
    deliveries: positive("deliveries"),
    audioMebibytes: positive("audio-mb"),
    seconds: positive("seconds"),
    profileFolder: values.profile,
  };
}

async function machine() {
  const cpuInfo = await readSystemFile("/proc/cpuinfo").catch(() => "");
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel: cpuInfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown",
    memoryBytes: Deno.systemMemoryInfo().total,
    deno: Deno.version.deno,
  };
}

function loadRow(name: string, result: RowResult) {
  return {
    row: name,
    "requests/s": Math.round(result.requestsPerSecond),
    "p50 ms": round(result.latency.p50Ms),
    "p99 ms": round(result.latency.p99Ms),
    "max ms": round(result.latency.maxMs),
    "server CPU ms/request": Math.round(result.serverCpuMsPerRequest * 100) /
      100,
    sent: result.sent,
    errors: result.errors,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Runs every measurement in turn, each against fresh processes. */
async function measureAll(
  settings: IngestSettings,
  deliveries: number,
): Promise<Report> {
  const events = await buildEvents(settings);
  const bare = await measureBaseline("bare", events, settings);
  const minimal = await measureBaseline("ingest", events, settings);
  const down = await measureProductDestinationDown(events, settings);
  const delivering = await measureProductDelivering(events, settings);
  const backlog = await transcriptionEvents(
    deliveries,
    `backlog-${Date.now()}`,
    settings.secret,
  );
  const delivery = await measureDelivery(backlog, settings);
  const audio = await measureAudio(settings);

  return {
    machine: await machine(),
    settings: {
      connections: settings.connections,
      requests: settings.requests,
      warmupRequests: settings.warmupRequests,
      timeLimitMs: settings.timeLimitMs,
    },
    ingest: [
      loadRow("(a) bare Deno.serve", bare),
      loadRow("(b) minimal durable ingest", minimal),
      loadRow("(c) product, destination down", down),
      loadRow("(d) product, delivering", delivering.load),
    ],
    productToMinimalRatio: round(
      down.requestsPerSecond / minimal.requestsPerSecond * 100,
    ) / 100,
    delivery,
    enqueueToDelivery: {
      atFullLoad: roundLatency(delivering.enqueueToDeliveryAtFullLoad),
      paced: roundLatency(delivering.enqueueToDeliveryPaced),
      pacedRatePerSecond: delivering.enqueueToDeliveryPaced.ratePerSecond,
    },
    audio: {
      bytes: audio.bytes,
      status: audio.status,
      timeTo200Ms: round(audio.timeTo200Ms),
      idleRssMebibytes: toMebibytes(audio.idleRssBytes),
      peakRssMebibytes: toMebibytes(audio.peakRssBytes),
    },
    memoryMebibytes: {
      idle: toMebibytes(delivering.memory.idleRssBytes),
      maxUnderLoad: toMebibytes(delivering.memory.maxRssUnderLoadBytes),
      afterLoad: toMebibytes(delivering.memory.rssAfterLoadBytes),
    },
  };
}

async function main() {
  const options = readOptions();
  const folder = await Deno.makeTempDir({ prefix: "asknewton-bench-" });
  const settings: IngestSettings = {
    folder,
    secret: newSecret(),
    connections: options.connections,
    requests: options.requests,
    warmupRequests: Math.min(500, options.requests),
    timeLimitMs: options.seconds * 1000,
    audioBytes: options.audioMebibytes * 1024 * 1024,
    productDenoFlags: options.profileFolder
      ? ["--cpu-prof", `--cpu-prof-dir=${options.profileFolder}`]
      : [],
  };

  try {
    const report = await measureAll(settings, options.deliveries);
    if (options.json) console.log(JSON.stringify(report, null, 2));
    else printTables(report);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

/** Measurements of one run, which `--json` prints as they are. */
interface Report {
  machine: Awaited<ReturnType<typeof machine>>;
  settings: {
    connections: number;
    requests: number;
    warmupRequests: number;
    timeLimitMs: number;
  };
  ingest: ReturnType<typeof loadRow>[];
  /** Row (c) over row (b), in requests per second. */
  productToMinimalRatio: number;
  delivery: Awaited<ReturnType<typeof measureDelivery>>;
  enqueueToDelivery: {
    atFullLoad: LatencySummary;
    paced: LatencySummary;
    pacedRatePerSecond: number;
  };
  audio: {
    bytes: number;
    status: number;
    timeTo200Ms: number;
    idleRssMebibytes: number;
    peakRssMebibytes: number;
  };
  memoryMebibytes: {
    idle: number;
    maxUnderLoad: number;
    afterLoad: number;
  };
}

function roundLatency(latency: LatencySummary): LatencySummary {
  return {
    p50Ms: round(latency.p50Ms),
    p90Ms: round(latency.p90Ms),
    p99Ms: round(latency.p99Ms),
    maxMs: round(latency.maxMs),
  };
}

function printTables(report: Report) {
  const { machine: host } = report;
  console.log(
    `${host.cpus} CPUs (${host.cpuModel}), ${
      toMebibytes(host.memoryBytes)
    } MiB, Deno ${host.deno}, ${report.settings.connections} connections\n`,
  );
  console.log(formatTable(report.ingest) + "\n");

  const met = (pass: boolean) => (pass ? "met" : "missed");
  const { delivery, enqueueToDelivery, audio, memoryMebibytes } = report;
  const p99 = report.ingest[2]["p99 ms"];
  const fullLoad = enqueueToDelivery.atFullLoad;
  const paced = enqueueToDelivery.paced;
  console.log(formatTable([
    {
      measure: "(c) / (b) requests per second",
      value: `${Math.round(report.productToMinimalRatio * 100)} %`,
      target: ">= 70 %",
      result: met(report.productToMinimalRatio >= 0.7),
    },
    {
      measure: "(c) p99 latency",
      value: `${p99} ms`,
      target: "< 50 ms",
      result: met(p99 < 50),
    },
    {
      measure: "delivery throughput",
      value: `${
        Math.round(delivery.deliveriesPerSecond)
      }/s, ${delivery.succeeded} of ${delivery.deliveries} succeeded`,
      target: ">= 1000/s",
      result: met(delivery.deliveriesPerSecond >= 1000),
    },
    {
      measure:
        `enqueue to delivery at ${enqueueToDelivery.pacedRatePerSecond}/s`,
      value: `median ${paced.p50Ms} ms, p99 ${paced.p99Ms} ms`,
      target: "median < 50 ms",
      result: met(paced.p50Ms < 50),
    },
    {
      measure: "enqueue to delivery during (d)",
      value: `median ${fullLoad.p50Ms} ms, p99 ${fullLoad.p99Ms} ms`,
      target: "none",
      result: "",
    },
    {
      measure: `${toMebibytes(audio.bytes)} MiB audio event`,
      value:
        `${audio.status} in ${audio.timeTo200Ms} ms, RSS ${audio.idleRssMebibytes} MiB idle, ${audio.peakRssMebibytes} MiB peak`,
      target: "200",
      result: met(audio.status === 200),
    },
    {
      measure: "RSS idle, max during (d), after (d)",
      value:
        `${memoryMebibytes.idle}, ${memoryMebibytes.maxUnderLoad}, ${memoryMebibytes.afterLoad} MiB`,
      target: "< 150 MiB",
      result: met(memoryMebibytes.maxUnderLoad < 150),
    },
  ]));
}

if (import.meta.main) await main();
