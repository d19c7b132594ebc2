/**
 * Storage and rendering of each metric type behind the public interfaces
 * of `registry.ts`.
 *
 * @module
 */

import type {
  CollectedSample,
  Counter,
  Gauge,
  Histogram,
  Labels,
} from "./registry.ts";
import {
  braced,
  compareValues,
  formatLabelPairs,
  formatNumber,
} from "./text_format.ts";

/** One metric in the registry: its name and its render method. */
export interface Family {
  readonly name: string;
  render(lines: string[]): void;
}

interface Series {
  readonly labelValues: readonly string[];
  labelPairs?: string;
}

interface ValueSeries extends Series {
  value: number;
}

interface HistogramSeries extends Series {
  /** Observations per bucket, not cumulative. The last slot is `+Inf`. */
  readonly counts: Float64Array;
  sum: number;
}

/** Name, label names and `# HELP`/`# TYPE` text of one metric. */
export interface FamilyHeader {
  readonly name: string;
  readonly labelNames: readonly string[];
  /** `# HELP` and `# TYPE` lines without the final newline. */
  readonly text: string;
}

/**
 * Series of one metric, found by walking one nested `Map` level per label
 * value, so an update allocates no key string.
 */
class SeriesIndex<S extends Series> {
  readonly #header: FamilyHeader;
  readonly #create: (labelValues: string[]) => S;
  #root = new Map<string, unknown>();
  #all: S[] = [];
  #sorted = true;

  constructor(header: FamilyHeader, create: (labelValues: string[]) => S) {
    this.#header = header;
    this.#create = create;
    if (header.labelNames.length === 0) this.#all.push(create([]));
  }

  get(labels: Labels | undefined): S {
    const { name, labelNames } = this.#header;
    checkLabels(name, labelNames, labels);
    if (labelNames.length === 0) return this.#all[0];

    let node = this.#root;
    const last = labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels![labelNames[i]];
      let next = node.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const series = node.get(labels![labelNames[last]]) as S | undefined;

    return series ?? this.#insert(node, labels!);
  }

  /** Returns every series sorted by label values, sorting only after an insert. */
  sorted(): readonly S[] {
    if (!this.#sorted) {
      this.#all.sort((a, b) => compareValues(a.labelValues, b.labelValues));
      this.#sorted = true;
    }

    return this.#all;
  }

  #insert(leaf: Map<string, unknown>, labels: Labels): S {
    const labelNames = this.#header.labelNames;
    const series = this.#create(labelNames.map((name) => labels[name]));
    leaf.set(labels[labelNames[labelNames.length - 1]], series);
    this.#all.push(series);
    this.#sorted = false;

    return series;
  }
}

/** Counter or gauge: one number per series, or what `collect` returns. */
class ValueFamily implements Family {
  readonly name: string;
  protected readonly header: FamilyHeader;
  protected readonly collect?: () => readonly CollectedSample[];
  protected readonly series: SeriesIndex<ValueSeries>;

  constructor(
    header: FamilyHeader,
    collect?: () => readonly CollectedSample[],
  ) {
    this.name = header.name;
    this.header = header;
    this.collect = collect;
    this.series = new SeriesIndex(header, (labelValues) => ({
      labelValues,
      value: 0,
    }));
  }

  render(lines: string[]): void {
    lines.push(this.header.text);
    const series = this.collect === undefined
      ? this.series.sorted()
      : this.#collected();
    for (const one of series) {
      const labels = braced(labelPairs(this.header, one));
      lines.push(`${this.name}${labels} ${formatNumber(one.value)}`);
    }
  }

  /** Rejects updates to a metric whose samples come from `collect`. */
  protected checkOwnValues(action: string): void {
    if (this.collect !== undefined) {
      throw new Error(
        `Cannot ${action} ${this.name}: its values come from its collect callback`,
      );
    }
  }

  /** Checks a collected value. `CounterFamily` also rejects negatives. */
  protected checkCollectedValue(value: number): void {
    if (typeof value !== "number") {
      throw new Error(
        `Cannot render ${this.name}: collect returned ${value}, but the value must be a number`,
      );
    }
  }

  #collected(): ValueSeries[] {
    const samples = runCollect(this.name, this.collect!);
    const { name, labelNames } = this.header;
    const seen = new Set<string>();
    const series = samples.map(({ labels, value }) => {
      checkLabels(name, labelNames, labels, "render");
      this.checkCollectedValue(value);
      const labelValues = labelNames.map((labelName) => labels[labelName]);
      const key = JSON.stringify(labelValues);
      if (seen.has(key)) {
        throw new Error(
          `Cannot render ${name}: collect returned the labels ${key} twice`,
        );
      }
      seen.add(key);

      return { labelValues, value };
    });

    return series.sort((a, b) => compareValues(a.labelValues, b.labelValues));
  }
}

/** Counter that rejects decreases. */
export class CounterFamily extends ValueFamily implements Counter {
  inc(labelsOrValue?: Labels | number, value = 1): void {
    const [labels, amount] = splitArguments(labelsOrValue, value);
    checkCounterValue(this.name, amount);
    this.checkOwnValues("increment");
    this.series.get(labels).value += amount;
  }

  protected override checkCollectedValue(value: number): void {
    if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
      throw new Error(
        `Cannot render ${this.name}: collect returned ${value}, but a counter must be a finite number >= 0`,
      );
    }
  }
}

/** Gauge whose series are set directly. */
export class GaugeFamily extends ValueFamily implements Gauge {
  set(labelsOrValue: Labels | number, value?: number): void {
    const [labels, amount] = splitArguments(labelsOrValue, value);
    if (typeof amount !== "number") {
      throw new Error(
        `Cannot set ${this.name} to ${amount}: the value must be a number`,
      );
    }
    this.checkOwnValues("set");
    this.series.get(labels).value = amount;
  }
}

/** Histogram with fixed buckets, counted per bucket and summed at render. */
export class HistogramFamily implements Family, Histogram {
  readonly name: string;
  readonly #header: FamilyHeader;
  readonly #bounds: readonly number[];
  /** `le` label values, one per bound and then `+Inf`. */
  readonly #le: readonly string[];
  readonly #series: SeriesIndex<HistogramSeries>;

  constructor(header: FamilyHeader, bounds: readonly number[]) {
    this.name = header.name;
    this.#header = header;
    this.#bounds = bounds;
    this.#le = [...bounds, Infinity].map(formatNumber);
    this.#series = new SeriesIndex(header, (labelValues) => ({
      labelValues,
      counts: new Float64Array(bounds.length + 1),
      sum: 0,
    }));
  }

  observe(labelsOrValue: Labels | number, value?: number): void {
    const [labels, observed] = splitArguments(labelsOrValue, value);
    if (typeof observed !== "number" || Number.isNaN(observed)) {
      throw new Error(
        `Cannot observe ${observed} on ${this.name}: the value must be a number other than NaN`,
      );
    }
    const series = this.#series.get(labels);
    let bucket = 0;
    while (bucket < this.#bounds.length && observed > this.#bounds[bucket]) {
      bucket++;
    }
    series.counts[bucket]++;
    series.sum += observed;
  }

  render(lines: string[]): void {
    lines.push(this.#header.text);
    for (const series of this.#series.sorted()) {
      const pairs = labelPairs(this.#header, series);
      const prefix = pairs === "" ? "" : pairs + ",";
      let cumulative = 0;
      for (let i = 0; i < this.#le.length; i++) {
        cumulative += series.counts[i];
        lines.push(
          `${this.name}_bucket{${prefix}le="${this.#le[i]}"} ${cumulative}`,
        );
      }
      const labels = braced(pairs);
      lines.push(`${this.name}_sum${labels} ${formatNumber(series.sum)}`);
      lines.push(`${this.name}_count${labels} ${cumulative}`);
    }
  }
}

function splitArguments(
  labelsOrValue: Labels | number | undefined,
  value: number | undefined,
): [Labels | undefined, number | undefined] {
  return typeof labelsOrValue === "number"
    ? [undefined, labelsOrValue]
    : [labelsOrValue, value];
}

function runCollect(
  name: string,
  collect: () => readonly CollectedSample[],
): readonly CollectedSample[] {
  try {
    return collect();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot render ${name}: its collect callback failed: ${message}`,
      { cause: error },
    );
  }
}

function checkCounterValue(
  name: string,
  value: unknown,
): asserts value is number {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw new Error(
      `Cannot increment ${name} by ${value}: counters only go up, so the amount must be a finite number >= 0`,
    );
  }
}

/**
 * Checks that `labels` has every label name and no other, all strings.
 * `action` names the failed step in the error message.
 */
function checkLabels(
  metricName: string,
  labelNames: readonly string[],
  labels: Labels | undefined,
  action = "update",
): void {
  for (const label of labelNames) {
    const value = labels?.[label];
    if (typeof value !== "string") {
      const problem = value === undefined
        ? "is missing"
        : `must be a string, got ${typeof value}`;
      throw new Error(
        `Cannot ${action} ${metricName}: label "${label}" ${problem}. Expected labels: ${
          labelNames.join(", ")
        }.`,
      );
    }
  }

  let given = 0;
  for (const _ in labels) given++;
  if (given !== labelNames.length) {
    const unknown = Object.keys(labels ?? {}).find((key) =>
      !labelNames.includes(key)
    );
    throw new Error(
      `Cannot ${action} ${metricName}: unknown label "${unknown}". Expected labels: ${
        labelNames.join(", ") || "none"
      }.`,
    );
  }
}

/** Returns `a="x",b="y"` for a series, formatted on first use and cached. */
function labelPairs(header: FamilyHeader, series: Series): string {
  series.labelPairs ??= formatLabelPairs(header.labelNames, series.labelValues);

  return series.labelPairs;
}
