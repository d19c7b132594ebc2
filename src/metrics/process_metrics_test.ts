import assert from "node:assert/strict";
import {
  PROCESS_METRIC_NAMES,
  registerProcessMetrics,
} from "./process_metrics.ts";
import { MetricsRegistry } from "./registry.ts";

/** Returns the value of the unlabelled sample `name`, or undefined. */
function sampleValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((line) => line.startsWith(`${name} `));

  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

function renderProcessMetrics(procDirectory?: string): string {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry, {
    now: () => 1_700_000_000_500,
    procDirectory,
  });

  return registry.render();
}

/**
 * Runs `body` in a child Deno with `permissions` after registering the
 * process metrics on `registry`, and returns the JSON the body prints.
 * Reading `/proc/self` needs `--allow-all`, which this test run lacks.
 */
async function runInChild(
  permissions: string[],
  body: string,
): Promise<Record<string, number | null>> {
  const processMetricsUrl = new URL("./process_metrics.ts", import.meta.url);
  const registryUrl = new URL("./registry.ts", import.meta.url);
  const script = `
    import { registerProcessMetrics } from "${processMetricsUrl}";
    import { MetricsRegistry } from "${registryUrl}";
    const registry = new MetricsRegistry();
    registerProcessMetrics(registry);
    const sample = (name) => {
      const line = registry.render().split("\\n")
        .find((line) => line.startsWith(name + " "));
      return line === undefined ? null : Number(line.split(" ")[1]);
    };
    ${body}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", ...permissions, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, `child Deno failed: ${decoder.decode(stderr)}`);

  return JSON.parse(decoder.decode(stdout));
}

Deno.test("process metrics register the documented names", () => {
  const text = renderProcessMetrics();

  for (const name of PROCESS_METRIC_NAMES) {
    const type = name.endsWith("_total") ? "counter" : "gauge";
    assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, "m"));
  }
});

Deno.test("start time comes from the injected clock", () => {
  assert.match(
    renderProcessMetrics(),
    /^process_start_time_seconds 1700000000\.5$/m,
  );
});

Deno.test("memory gauges report positive bytes", () => {
  const text = renderProcessMetrics();
  const rss = sampleValue(text, "process_resident_memory_bytes");
  const heapTotal = sampleValue(text, "nodejs_heap_size_total_bytes");
  const heapUsed = sampleValue(text, "nodejs_heap_size_used_bytes");
  const external = sampleValue(text, "nodejs_external_memory_bytes");

  assert.ok(rss! > 0, `rss ${rss}`);
  assert.ok(heapUsed! > 0, `heap used ${heapUsed}`);
  assert.ok(heapUsed! <= heapTotal!, `heap ${heapUsed} of ${heapTotal}`);
  assert.ok(external! >= 0, `external ${external}`);
});

Deno.test("cpu seconds grow with work", () => {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry);
  const before = sampleValue(registry.render(), "process_cpu_seconds_total")!;
  let sum = 0;
  for (let i = 0; i < 50_000_000; i++) sum += i;
  const after = sampleValue(registry.render(), "process_cpu_seconds_total")!;

  assert.ok(sum > 0);
  assert.ok(before > 0, `before ${before}`);
  assert.ok(after > before, `before ${before}, after ${after}`);
});

Deno.test("missing proc directory renders no fd samples", () => {
  const text = renderProcessMetrics("/nonexistent/proc/self");

  assert.equal(sampleValue(text, "process_open_fds"), undefined);
  assert.equal(sampleValue(text, "process_max_fds"), undefined);
  assert.match(text, /^# TYPE process_open_fds gauge$/m);
});

Deno.test("fd samples are absent without --allow-all", async () => {
  const result = await runInChild(
    ["--allow-read"],
    `console.log(JSON.stringify({
      open: sample("process_open_fds"),
      max: sample("process_max_fds"),
    }));`,
  );

  assert.equal(result.open, null);
  assert.equal(result.max, null);
});

Deno.test("open fds count files opened", async () => {
  const result = await runInChild(
    ["--allow-all"],
    `const before = sample("process_open_fds");
    const files = [1, 2, 3].map(() => Deno.openSync(Deno.execPath()));
    const during = sample("process_open_fds");
    for (const file of files) file.close();
    console.log(JSON.stringify({ before, during, after: sample("process_open_fds") }));`,
  );

  assert.ok(result.before! >= 3, `before ${result.before}`);
  assert.equal(result.during, result.before! + 3);
  assert.equal(result.after, result.before);
});

Deno.test("max fds matches ulimit -n", async () => {
  const result = await runInChild(
    ["--allow-all"],
    `console.log(JSON.stringify({ max: sample("process_max_fds") }));`,
  );
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", "ulimit -n"],
  }).output();

  assert.equal(result.max, Number(new TextDecoder().decode(stdout)));
});
