/**
 * A small Prometheus metrics registry that renders the text exposition
 * format 0.0.4 by hand, so the server needs no client library.
 *
 * @example
 * ```ts
 * import { MetricsRegistry } from "./registry.ts";
 *
 * const registry = new MetricsRegistry();
 * const events = registry.counter({
 *   name: "asknewton_events_total",
 *   help: "Webhook events received.",
 *   labelNames: ["type"],
 * });
 * events.inc({ type: "post_call_transcription" });
 * registry.render();
 * // # HELP asknewton_events_total Webhook events received.
 * // # TYPE asknewton_events_total counter
 * // asknewton_events_total{type="post_call_transcription"} 1
 * ```
 *
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 *
 * @module
 */

import {
  CounterFamily,
  type Family,
  type FamilyHeader,
  GaugeFamily,
  HistogramFamily,
} from "./families.ts";
import { compareStrings, escapeHelp } from "./text_format.ts";

/** Content-Type header value for {@linkcode MetricsRegistry.render} output. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label values of one series, keyed by label name. */
export type Labels<L extends string = string> = Readonly<Record<L, string>>;

/** One sample that a `collect` callback returns at render time. */
export interface CollectedSample<L extends string = string> {
  /** Label values of the sample; every label name of the metric is required. */
  labels: Labels<L>;
  /** Sample value in the unit the metric name states. */
  value: number;
}

/** Options that every metric type accepts. */
export interface MetricOptions<L extends string> {
  /** Metric name matching `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string;
  /** Description rendered as `# HELP`, required because promtool flags a metric without one. */
  help: string;
  /**
   * Label names that every update gives, each matching
   * `[a-zA-Z_][a-zA-Z0-9_]*` and not starting with `__`.
   */
  labelNames?: readonly L[];
}

/** Options for {@linkcode MetricsRegistry.counter}. */
export interface CounterOptions<L extends string> extends MetricOptions<L> {
  /**
   * Callback run on every render whose samples replace the counter's own,
   * for totals that another component already keeps (CPU time, rows).
   */
  collect?: () => readonly CollectedSample<L>[];
}

/** Options for {@linkcode MetricsRegistry.gauge}. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /**
   * Callback run on every render whose samples replace the gauge's own,
   * for values computed at scrape time such as queue depth.
   */
  collect?: () => readonly CollectedSample<L>[];
}

/** Options for {@linkcode MetricsRegistry.histogram}. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /**
   * Finite upper bounds in increasing order. The `+Inf` bucket is always
   * added, so a trailing `Infinity` here is optional.
   */
  buckets: readonly number[];
}

/** A value that only goes up, such as events received. */
export interface Counter<L extends string = string> {
  /** Adds `value` (default 1) to the unlabelled series. */
  inc(value?: number): void;
  /** Adds `value` (default 1) to the series with these labels. */
  inc(labels: Labels<L>, value?: number): void;
}

/** A value that can go up and down, such as open breakers. */
export interface Gauge<L extends string = string> {
  /** Sets the unlabelled series. */
  set(value: number): void;
  /** Sets the series with these labels. */
  set(labels: Labels<L>, value: number): void;
}

/** A distribution of observations, such as delivery latency in seconds. */
export interface Histogram<L extends string = string> {
  /** Records one observation on the unlabelled series. */
  observe(value: number): void;
  /** Records one observation on the series with these labels. */
  observe(labels: Labels<L>, value: number): void;
}

type MetricType = "counter" | "gauge" | "histogram";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Collects counters, gauges and histograms and renders them in the
 * Prometheus text format for a `/metrics` endpoint.
 */
export class MetricsRegistry {
  #families: Family[] = [];
  /** Family name that owns each metric or sample name in use. */
  #owners = new Map<string, string>();

  /**
   * Registers a counter, whose name must end in `_total`. Without labels it
   * renders 0 from the start. With labels, a series appears on its first
   * increment.
   */
  counter<L extends string = never>(options: CounterOptions<L>): Counter<L> {
    const header = this.#header(options, "counter");
    const family = new CounterFamily(header, options.collect);

    return this.#add(family, []);
  }

  /**
   * Registers a gauge. A gauge with `collect` renders only what `collect`
   * returns, and its `set` throws.
   */
  gauge<L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    const header = this.#header(options, "gauge");
    const family = new GaugeFamily(header, options.collect);

    return this.#add(family, []);
  }

  /**
   * Registers a histogram, which renders cumulative `_bucket` samples with
   * an `le` label, then `_sum` and `_count`.
   */
  histogram<L extends string = never>(
    options: HistogramOptions<L>,
  ): Histogram<L> {
    const header = this.#header(options, "histogram");
    const family = new HistogramFamily(header, checkBuckets(options));
    const suffixes = ["_bucket", "_sum", "_count"];

    return this.#add(family, suffixes.map((suffix) => options.name + suffix));
  }

  /** Renders every metric, sorted by name, ending with a newline. */
  render(): string {
    const lines: string[] = [];
    for (const family of this.#families) family.render(lines);

    return lines.length === 0 ? "" : lines.join("\n") + "\n";
  }

  /** Validates the options shared by every type and builds the header. */
  #header<L extends string>(
    options: MetricOptions<L>,
    type: MetricType,
  ): FamilyHeader {
    const { name, help } = options;
    const labelNames = options.labelNames ?? [];
    checkNames(name, labelNames, type === "histogram" ? ["le"] : []);
    checkSuffix(name, type);
    if (typeof help !== "string" || help === "") {
      throw new Error(`Cannot register ${name}: help text is empty`);
    }
    const owner = this.#owners.get(name);
    if (owner === name) {
      throw new Error(
        `Cannot register ${name}: a metric with this name is already registered`,
      );
    }
    if (owner !== undefined) {
      throw new Error(
        `Cannot register ${name}: the name is already used by the samples of ${owner}`,
      );
    }
    const text = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;

    return { name, labelNames, text };
  }

  /** Claims the family's sample names and inserts it in name order. */
  #add<M>(family: Family & M, sampleNames: readonly string[]): M {
    for (const sampleName of sampleNames) {
      const owner = this.#owners.get(sampleName);
      if (owner === sampleName) {
        throw new Error(
          `Cannot register ${family.name}: its sample name ${sampleName} is already registered as a metric`,
        );
      }
      if (owner !== undefined) {
        throw new Error(
          `Cannot register ${family.name}: its sample name ${sampleName} is already used by the samples of ${owner}`,
        );
      }
    }
    for (const name of [family.name, ...sampleNames]) {
      this.#owners.set(name, family.name);
    }
    this.#families.push(family);
    this.#families.sort((a, b) => compareStrings(a.name, b.name));

    return family;
  }
}

function checkNames(
  name: string,
  labelNames: readonly string[],
  reservedLabels: readonly string[],
): void {
  if (typeof name !== "string" || !METRIC_NAME.test(name)) {
    throw new Error(
      `Cannot register metric "${name}": the name must match ${METRIC_NAME.source}`,
    );
  }
  labelNames.forEach((label, index) => {
    if (!LABEL_NAME.test(label) || label.startsWith("__")) {
      throw new Error(
        `Cannot register ${name}: label name "${label}" must match ${LABEL_NAME.source} and not start with "__"`,
      );
    }
    if (reservedLabels.includes(label)) {
      throw new Error(
        `Cannot register ${name}: label name "${label}" is reserved for this metric type`,
      );
    }
    if (labelNames.indexOf(label) !== index) {
      throw new Error(`Cannot register ${name}: label "${label}" is repeated`);
    }
  });
}

/** Enforces the `_total` suffix on counters only, as promtool's lint does. */
function checkSuffix(name: string, type: MetricType): void {
  const hasTotal = name.endsWith("_total");
  if (type === "counter" && !hasTotal) {
    throw new Error(
      `Cannot register counter ${name}: counter names must end in "_total"`,
    );
  }
  if (type !== "counter" && hasTotal) {
    throw new Error(
      `Cannot register ${type} ${name}: only counter names end in "_total"`,
    );
  }
}

function checkBuckets(options: HistogramOptions<string>): number[] {
  const bounds = options.buckets.at(-1) === Infinity
    ? options.buckets.slice(0, -1)
    : [...options.buckets];
  bounds.forEach((bound, index) => {
    if (!Number.isFinite(bound) || (index > 0 && bound <= bounds[index - 1])) {
      throw new Error(
        `Cannot register ${options.name}: buckets must be finite and strictly increasing, got [${options.buckets}]`,
      );
    }
  });

  return bounds;
}
