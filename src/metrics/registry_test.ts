import assert from "node:assert/strict";
import { registerProcessMetrics } from "./process_metrics.ts";
import { CONTENT_TYPE, MetricsRegistry } from "./registry.ts";

const LABEL_PAIR = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE_LINE = new RegExp(
  String.raw`^[a-zA-Z_:][a-zA-Z0-9_:]*` +
    String.raw`(?:\{${LABEL_PAIR}(?:,${LABEL_PAIR})*\})? ` +
    String.raw`(?:[+-]Inf|NaN|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$`,
);
const COMMENT_LINE =
  /^# (?:HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (?:counter|gauge|histogram))$/;

/** Returns the lines of a rendered text that break the text format. */
function invalidLines(text: string): string[] {
  return text.slice(0, -1).split("\n").filter((line) =>
    !SAMPLE_LINE.test(line) && !COMMENT_LINE.test(line)
  );
}

/** Builds a registry with every metric type, tricky labels and process metrics. */
function fullRegistry(): MetricsRegistry {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry, { now: () => 1_700_000_000_500 });
  const events = registry.counter({
    name: "asknewton_events_total",
    help: "Webhook events received.\nCounted after the signature check.",
    labelNames: ["type", "agent_id"],
  });
  events.inc({ type: "post_call_transcription", agent_id: 'say "hi"' });
  events.inc({ type: "call_initiation_failure", agent_id: "back\\slash" }, 2);
  events.inc({ type: "x", agent_id: "new\nline" });
  registry.gauge({
    name: "asknewton_queue_depth",
    help: "Deliveries by state.",
    labelNames: ["state"],
    collect: () => [
      { labels: { state: "pending" }, value: 3 },
      { labels: { state: "dead" }, value: 0 },
    ],
  });
  registry.gauge({ name: "asknewton_breaker_open", help: "Open breakers." })
    .set(Infinity);
  const latency = registry.histogram({
    name: "asknewton_delivery_duration_seconds",
    help: "Delivery latency, in seconds.",
    labelNames: ["destination"],
    buckets: [0.005, 0.1, 1],
  });
  latency.observe({ destination: "crm" }, 0.05);
  latency.observe({ destination: 'a"b' }, 7.5);

  return registry;
}

Deno.test("CONTENT_TYPE names text format 0.0.4", () => {
  assert.equal(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("counter renders HELP, TYPE and samples", () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter({
    name: "asknewton_outbound_ok_total",
    help: "Deliveries accepted by a destination.",
    labelNames: ["destination"],
  });
  counter.inc({ destination: "slack" });
  counter.inc({ destination: "crm" }, 2);
  counter.inc({ destination: "slack" }, 0.5);

  assert.equal(
    registry.render(),
    "# HELP asknewton_outbound_ok_total Deliveries accepted by a destination.\n" +
      "# TYPE asknewton_outbound_ok_total counter\n" +
      'asknewton_outbound_ok_total{destination="crm"} 2\n' +
      'asknewton_outbound_ok_total{destination="slack"} 1.5\n',
  );
});

Deno.test("unlabelled counter renders 0 before any increment", () => {
  const registry = new MetricsRegistry();
  registry.counter({ name: "a_total", help: "A." });

  assert.equal(
    registry.render(),
    "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n",
  );
});

Deno.test("unlabelled counter accepts a bare amount", () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter({ name: "a_total", help: "A." });
  counter.inc();
  counter.inc(4);

  assert.match(registry.render(), /^a_total 5$/m);
});

Deno.test("labelled counter renders no sample before increment", () => {
  const registry = new MetricsRegistry();
  registry.counter({ name: "a_total", help: "A.", labelNames: ["kind"] });

  assert.equal(
    registry.render(),
    "# HELP a_total A.\n# TYPE a_total counter\n",
  );
});

Deno.test("counter rejects negative and non-finite amounts", () => {
  const counter = new MetricsRegistry().counter({
    name: "a_total",
    help: "A.",
  });

  for (const amount of [-1, NaN, Infinity]) {
    assert.throws(() => counter.inc(amount), {
      message:
        `Cannot increment a_total by ${amount}: counters only go up, so the amount must be a finite number >= 0`,
    });
  }
});

Deno.test("counter name must end in _total", () => {
  const registry = new MetricsRegistry();

  assert.throws(() => registry.counter({ name: "events", help: "E." }), {
    message:
      'Cannot register counter events: counter names must end in "_total"',
  });
});

Deno.test("gauge and histogram names reject _total", () => {
  const registry = new MetricsRegistry();

  assert.throws(() => registry.gauge({ name: "depth_total", help: "D." }), {
    message:
      'Cannot register gauge depth_total: only counter names end in "_total"',
  });
  assert.throws(
    () => registry.histogram({ name: "x_total", help: "X.", buckets: [1] }),
    /only counter names end in "_total"/,
  );
});

Deno.test("gauge renders the last value set", () => {
  const registry = new MetricsRegistry();
  const gauge = registry.gauge({
    name: "asknewton_breaker_state",
    help: "1 when the breaker is open.",
    labelNames: ["destination"],
  });
  gauge.set({ destination: "crm" }, 1);
  gauge.set({ destination: "crm" }, -2.5);

  assert.equal(
    registry.render(),
    "# HELP asknewton_breaker_state 1 when the breaker is open.\n" +
      "# TYPE asknewton_breaker_state gauge\n" +
      'asknewton_breaker_state{destination="crm"} -2.5\n',
  );
});

Deno.test("unlabelled gauge renders 0 before set", () => {
  const registry = new MetricsRegistry();
  registry.gauge({ name: "g", help: "G." });

  assert.equal(registry.render(), "# HELP g G.\n# TYPE g gauge\ng 0\n");
});

Deno.test("gauge with collect renders only collected samples", () => {
  const registry = new MetricsRegistry();
  let depth = 4;
  registry.gauge({
    name: "asknewton_queue_depth",
    help: "Deliveries waiting.",
    labelNames: ["state"],
    collect: () => [
      { labels: { state: "pending" }, value: depth },
      { labels: { state: "in_flight" }, value: 1 },
    ],
  });
  depth = 9;

  assert.equal(
    registry.render(),
    "# HELP asknewton_queue_depth Deliveries waiting.\n" +
      "# TYPE asknewton_queue_depth gauge\n" +
      'asknewton_queue_depth{state="in_flight"} 1\n' +
      'asknewton_queue_depth{state="pending"} 9\n',
  );
});

Deno.test("gauge with collect rejects set", () => {
  const gauge = new MetricsRegistry().gauge({
    name: "g",
    help: "G.",
    collect: () => [],
  });

  assert.throws(() => gauge.set(1), {
    message: "Cannot set g: its values come from its collect callback",
  });
});

Deno.test("collect failure names the metric", () => {
  const registry = new MetricsRegistry();
  registry.gauge({
    name: "g",
    help: "G.",
    collect: () => {
      throw new Error("database is locked");
    },
  });

  assert.throws(() => registry.render(), {
    message: "Cannot render g: its collect callback failed: database is locked",
  });
});

Deno.test("collect rejects repeated label sets", () => {
  const registry = new MetricsRegistry();
  registry.gauge({
    name: "g",
    help: "G.",
    labelNames: ["state"],
    collect: () => [
      { labels: { state: "dead" }, value: 1 },
      { labels: { state: "dead" }, value: 2 },
    ],
  });

  assert.throws(() => registry.render(), {
    message: 'Cannot render g: collect returned the labels ["dead"] twice',
  });
});

Deno.test("collect rejects unknown labels", () => {
  const registry = new MetricsRegistry();
  registry.gauge({
    name: "g",
    help: "G.",
    labelNames: ["state"],
    collect: () => [
      { labels: { state: "dead", extra: "x" } as { state: string }, value: 1 },
    ],
  });

  assert.throws(() => registry.render(), {
    message: 'Cannot render g: unknown label "extra". Expected labels: state.',
  });
});

Deno.test("counter collect rejects negative values", () => {
  const registry = new MetricsRegistry();
  registry.counter({
    name: "c_total",
    help: "C.",
    collect: () => [{ labels: {}, value: -1 }],
  });

  assert.throws(() => registry.render(), {
    message:
      "Cannot render c_total: collect returned -1, but a counter must be a finite number >= 0",
  });
});

Deno.test("histogram renders cumulative buckets", () => {
  const registry = new MetricsRegistry();
  const histogram = registry.histogram({
    name: "asknewton_delivery_duration_seconds",
    help: "Delivery latency, in seconds.",
    labelNames: ["destination"],
    buckets: [0.005, 0.1, 1],
  });
  for (const seconds of [0.001, 0.005, 0.05, 0.5, 3]) {
    histogram.observe({ destination: "crm" }, seconds);
  }

  assert.equal(
    registry.render(),
    "# HELP asknewton_delivery_duration_seconds Delivery latency, in seconds.\n" +
      "# TYPE asknewton_delivery_duration_seconds histogram\n" +
      'asknewton_delivery_duration_seconds_bucket{destination="crm",le="0.005"} 2\n' +
      'asknewton_delivery_duration_seconds_bucket{destination="crm",le="0.1"} 3\n' +
      'asknewton_delivery_duration_seconds_bucket{destination="crm",le="1"} 4\n' +
      'asknewton_delivery_duration_seconds_bucket{destination="crm",le="+Inf"} 5\n' +
      'asknewton_delivery_duration_seconds_sum{destination="crm"} 3.556\n' +
      'asknewton_delivery_duration_seconds_count{destination="crm"} 5\n',
  );
});

Deno.test("unlabelled histogram renders zeros before observe", () => {
  const registry = new MetricsRegistry();
  registry.histogram({ name: "h_seconds", help: "H.", buckets: [1, Infinity] });

  assert.equal(
    registry.render(),
    "# HELP h_seconds H.\n# TYPE h_seconds histogram\n" +
      'h_seconds_bucket{le="1"} 0\n' +
      'h_seconds_bucket{le="+Inf"} 0\n' +
      "h_seconds_sum 0\nh_seconds_count 0\n",
  );
});

Deno.test("histogram _count equals +Inf bucket", () => {
  const registry = new MetricsRegistry();
  const histogram = registry.histogram({
    name: "h_seconds",
    help: "H.",
    labelNames: ["route"],
    buckets: [0.1, 0.2],
  });
  for (let i = 0; i < 50; i++) {
    histogram.observe({ route: i % 2 === 0 ? "a" : "b" }, i / 100);
  }
  histogram.observe({ route: "a" }, Infinity);
  const lines = registry.render().trimEnd().split("\n");

  for (const route of ["a", "b"]) {
    const buckets = lines.filter((line) =>
      line.startsWith(`h_seconds_bucket{route="${route}"`)
    );
    const counts = buckets.map((line) => Number(line.split(" ")[1]));
    const count = lines.find((line) =>
      line.startsWith(`h_seconds_count{route="${route}"}`)
    );
    assert.match(buckets.at(-1)!, /le="\+Inf"\} \d+$/);
    assert.deepEqual(counts, [...counts].sort((x, y) => x - y));
    assert.equal(Number(count!.split(" ")[1]), counts.at(-1));
  }
});

Deno.test("histogram rejects NaN observations", () => {
  const histogram = new MetricsRegistry().histogram({
    name: "h_seconds",
    help: "H.",
    buckets: [1],
  });

  assert.throws(() => histogram.observe(NaN), {
    message:
      "Cannot observe NaN on h_seconds: the value must be a number other than NaN",
  });
});

Deno.test("histogram rejects unsorted or non-finite buckets", () => {
  const registry = new MetricsRegistry();

  for (const buckets of [[1, 0.5], [1, 1], [NaN], [-Infinity, 1]]) {
    assert.throws(
      () => registry.histogram({ name: "h_seconds", help: "H.", buckets }),
      /buckets must be finite and strictly increasing/,
    );
  }
});

Deno.test("histogram rejects an le label", () => {
  const registry = new MetricsRegistry();

  assert.throws(
    () =>
      registry.histogram({
        name: "h_seconds",
        help: "H.",
        labelNames: ["le"],
        buckets: [1],
      }),
    {
      message:
        'Cannot register h_seconds: label name "le" is reserved for this metric type',
    },
  );
});

Deno.test("label values escape quote, backslash and newline", () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter({
    name: "a_total",
    help: "A.",
    labelNames: ["value"],
  });
  counter.inc({ value: 'say "hi"\\now\nthen' });

  assert.equal(
    registry.render().split("\n")[2],
    String.raw`a_total{value="say \"hi\"\\now\nthen"} 1`,
  );
});

Deno.test("help text escapes backslash and newline", () => {
  const registry = new MetricsRegistry();
  registry.gauge({ name: "g", help: 'C:\\path\nsecond "line"' });

  assert.equal(
    registry.render().split("\n")[0],
    String.raw`# HELP g C:\\path\nsecond "line"`,
  );
});

Deno.test("values render as Prometheus parses them", () => {
  const registry = new MetricsRegistry();
  const gauge = registry.gauge({ name: "g", help: "G.", labelNames: ["case"] });
  const cases: [string, number, string][] = [
    ["a", Infinity, "+Inf"],
    ["b", -Infinity, "-Inf"],
    ["c", NaN, "NaN"],
    ["d", 1e21, "1000000000000000000000"],
    ["e", 2 ** 53, "9007199254740992"],
    ["f", 0.1, "0.1"],
    ["g", -0, "0"],
    ["h", 1e-7, "1e-7"],
  ];
  for (const [label, value] of cases) gauge.set({ case: label }, value);
  const lines = registry.render().trimEnd().split("\n").slice(2);

  for (const [index, [label, , expected]] of cases.entries()) {
    assert.equal(lines[index], `g{case="${label}"} ${expected}`);
  }
});

Deno.test("samples sort by label values", () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter({
    name: "a_total",
    help: "A.",
    labelNames: ["x", "y"],
  });
  for (const [x, y] of [["b", "1"], ["a", "2"], ["b", "0"], ["a", "1"]]) {
    counter.inc({ x, y });
  }
  const samples = registry.render().trimEnd().split("\n").slice(2);

  assert.deepEqual(samples, [
    'a_total{x="a",y="1"} 1',
    'a_total{x="a",y="2"} 1',
    'a_total{x="b",y="0"} 1',
    'a_total{x="b",y="1"} 1',
  ]);
});

Deno.test("metrics render sorted by name", () => {
  const registry = new MetricsRegistry();
  registry.gauge({ name: "zeta", help: "Z." });
  registry.counter({ name: "alpha_total", help: "A." });
  const types = registry.render().split("\n").filter((line) =>
    line.startsWith("# TYPE")
  );

  assert.deepEqual(types, [
    "# TYPE alpha_total counter",
    "# TYPE zeta gauge",
  ]);
});

Deno.test("empty registry renders nothing", () => {
  assert.equal(new MetricsRegistry().render(), "");
});

Deno.test("unknown label names the metric and label", () => {
  const counter = new MetricsRegistry().counter({
    name: "a_total",
    help: "A.",
    labelNames: ["type"],
  });

  assert.throws(
    () => counter.inc({ type: "x", typo: "y" } as { type: string }),
    {
      message:
        'Cannot update a_total: unknown label "typo". Expected labels: type.',
    },
  );
});

Deno.test("missing label names the metric and label", () => {
  const counter = new MetricsRegistry().counter({
    name: "a_total",
    help: "A.",
    labelNames: ["type", "agent_id"],
  });

  assert.throws(() => counter.inc({ type: "x" } as never), {
    message:
      'Cannot update a_total: label "agent_id" is missing. Expected labels: type, agent_id.',
  });
  assert.throws(() => counter.inc(), {
    message:
      'Cannot update a_total: label "type" is missing. Expected labels: type, agent_id.',
  });
});

Deno.test("non-string label value is rejected", () => {
  const gauge = new MetricsRegistry().gauge({
    name: "g",
    help: "G.",
    labelNames: ["code"],
  });

  assert.throws(() => gauge.set({ code: 500 } as never, 1), {
    message:
      'Cannot update g: label "code" must be a string, got number. Expected labels: code.',
  });
});

Deno.test("unlabelled metric rejects labels", () => {
  const counter = new MetricsRegistry().counter({
    name: "a_total",
    help: "A.",
  });

  assert.throws(() => counter.inc({ kind: "x" } as never), {
    message:
      'Cannot update a_total: unknown label "kind". Expected labels: none.',
  });
});

Deno.test("invalid metric names are rejected", () => {
  const registry = new MetricsRegistry();

  for (const name of ["", "9lives", "has-dash", "spa ce", "ünï"]) {
    assert.throws(
      () => registry.gauge({ name, help: "X." }),
      {
        message:
          `Cannot register metric "${name}": the name must match ^[a-zA-Z_:][a-zA-Z0-9_:]*$`,
      },
    );
  }
});

Deno.test("invalid label names are rejected", () => {
  const registry = new MetricsRegistry();

  for (const label of ["", "1st", "with-dash", "__reserved"]) {
    assert.throws(
      () => registry.gauge({ name: "g", help: "G.", labelNames: [label] }),
      {
        message:
          `Cannot register g: label name "${label}" must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and not start with "__"`,
      },
    );
  }
});

Deno.test("repeated label name is rejected", () => {
  const registry = new MetricsRegistry();

  assert.throws(
    () => registry.gauge({ name: "g", help: "G.", labelNames: ["a", "a"] }),
    { message: 'Cannot register g: label "a" is repeated' },
  );
});

Deno.test("empty help is rejected", () => {
  assert.throws(() => new MetricsRegistry().gauge({ name: "g", help: "" }), {
    message: "Cannot register g: help text is empty",
  });
});

Deno.test("registering a name twice throws", () => {
  const registry = new MetricsRegistry();
  registry.counter({ name: "a_total", help: "A." });

  assert.throws(() => registry.counter({ name: "a_total", help: "A." }), {
    message:
      "Cannot register a_total: a metric with this name is already registered",
  });
});

Deno.test("histogram sample names must be free", () => {
  const registry = new MetricsRegistry();
  registry.gauge({ name: "h_seconds_count", help: "C." });
  registry.histogram({ name: "x_seconds", help: "X.", buckets: [1] });

  assert.throws(
    () => registry.histogram({ name: "h_seconds", help: "H.", buckets: [1] }),
    {
      message:
        "Cannot register h_seconds: its sample name h_seconds_count is already registered as a metric",
    },
  );
  assert.throws(() => registry.gauge({ name: "x_seconds_sum", help: "S." }), {
    message:
      "Cannot register x_seconds_sum: the name is already used by the samples of x_seconds",
  });
});

Deno.test("failed registration leaves the registry unchanged", () => {
  const registry = new MetricsRegistry();
  registry.gauge({ name: "h_seconds_sum", help: "S." });
  assert.throws(() =>
    registry.histogram({ name: "h_seconds", help: "H.", buckets: [1] })
  );

  assert.doesNotThrow(() => registry.gauge({ name: "h_seconds", help: "H." }));
});

Deno.test("rendered lines all match the text format", () => {
  const text = fullRegistry().render();

  assert.ok(text.endsWith("\n"));
  assert.deepEqual(invalidLines(text), []);
});

Deno.test("promtool check metrics finds nothing", async () => {
  const text = fullRegistry().render();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    assert.fail(
      "promtool not found: install Debian's prometheus package (apt-get install prometheus)",
    );
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();

  assert.equal(decoder.decode(stdout), "");
  assert.equal(decoder.decode(stderr), "");
  assert.equal(code, 0);
});
