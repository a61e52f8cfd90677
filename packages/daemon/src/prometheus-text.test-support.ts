// Reads a scrape back with a Prometheus text-format parser from npm
// (parse-prometheus-text-format), so tests check what a Prometheus server
// would read, not what we meant to write.
import { createRequire } from "node:module";

/** One sample of a parsed family; a histogram's are `buckets`, `count` and `sum`. */
export interface ParsedSample {
  readonly value?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly buckets?: Readonly<Record<string, string>>;
  readonly count?: string;
  readonly sum?: string;
}

/** One metric family as the parser returns it. */
export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  readonly metrics: readonly ParsedSample[];
}

const parse = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => ParsedFamily[];

/** The families of a scrape, by name; throws when the text does not parse. */
export function parseScrape(text: string): Map<string, ParsedFamily> {
  return new Map(parse(text).map((family) => [family.name, family]));
}

/** The value of the sample of `name` whose labels are exactly `labels`, or `undefined`. */
export function valueOf(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = families.get(name)?.metrics.find((m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === wanted);
  return found?.value === undefined ? undefined : Number(found.value);
}

// parse-prometheus-text-format folds a histogram's samples by name and
// drops their labels (every labelled series lands in one entry), so a
// labelled histogram cannot be checked with it. This reader is strict
// instead: it follows the text exposition format 0.0.4 line by line and
// throws on anything a Prometheus server would reject or misread.

/** One sample line: metric name, labels, value. */
export interface StrictSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One family of a strict parse: its `# HELP`, `# TYPE` and samples, in order. */
export interface StrictFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  readonly samples: readonly StrictSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, line: number): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    const name = text.slice(i, eq);
    if (eq < 0 || !LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: label "${name}" twice`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label "${name}" value not quoted`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] !== "\\") {
        value += text[j];
        continue;
      }
      const next = text[++j];
      if (next === "\\" || next === '"') value += next;
      else if (next === "n") value += "\n";
      else throw new Error(`line ${line}: bad escape "\\${next ?? ""}" in label "${name}"`);
    }
    if (j >= text.length) throw new Error(`line ${line}: label "${name}" value not closed`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (i < text.length) throw new Error(`line ${line}: expected "," after label "${name}"`);
  }
  return labels;
}

// The family a sample name belongs to: itself, or a histogram's/summary's base name.
function familyOf(name: string, families: ReadonlyMap<string, { type: string }>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && families.get(base)?.type === "histogram") return base;
  }
  for (const suffix of ["_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && families.get(base)?.type === "summary") return base;
  }
  return name;
}

/**
 * Parses a scrape strictly (text format 0.0.4): every sample's family has
 * its `# TYPE` first, families are not interleaved, no series appears
 * twice, and every histogram series (one per label set besides `le`) has
 * cumulative buckets ending in `+Inf` equal to its `_count`, and a `_sum`.
 * Throws naming the line of the first fault.
 */
export function parseScrapeStrict(text: string): Map<string, StrictFamily> {
  const families = new Map<string, { name: string; help: string; type: string; samples: StrictSample[] }>();
  const seen = new Set<string>();
  let current: string | undefined;
  const family = (name: string, line: number) => {
    if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, help: "", type: "untyped", samples: [] }));
    else if (current !== name) throw new Error(`line ${line}: family "${name}" interleaved with another`);
    current = name;
    return f;
  };
  if (text !== "" && !text.endsWith("\n")) throw new Error("the scrape does not end with a newline");
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
    if (meta !== null) {
      const f = family(meta[2]!, line);
      if (meta[1] === "HELP") f.help = (meta[3] ?? "").replace(/\\([\\n])/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
      else {
        if (!TYPES.has(meta[3] ?? "")) throw new Error(`line ${line}: bad type "${meta[3]}"`);
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE of "${f.name}" after its samples`);
        f.type = meta[3]!;
      }
      return;
    }
    if (raw.startsWith("#")) return;
    const sample = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(raw);
    if (sample === null) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = sample[1]!;
    const labels = parseLabels(sample[2] ?? "", line);
    const f = family(familyOf(name, families), line);
    const series = JSON.stringify([name, Object.entries(labels).sort()]);
    if (seen.has(series)) throw new Error(`line ${line}: series ${name}${JSON.stringify(labels)} twice`);
    seen.add(series);
    f.samples.push({ name, labels, value: parseValue(sample[3]!, line) });
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families as Map<string, StrictFamily>;
}

function checkHistogram(f: { name: string; samples: StrictSample[] }): void {
  const keyOf = (labels: Readonly<Record<string, string>>): string =>
    JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le").sort());
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const entry = series.get(keyOf(s.labels)) ?? { buckets: [] };
    series.set(keyOf(s.labels), entry);
    if (s.name === `${f.name}_bucket`) {
      const le = s.labels.le;
      if (le === undefined) throw new Error(`histogram "${f.name}": a bucket without "le"`);
      entry.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${f.name}_count`) entry.count = s.value;
    else if (s.name === `${f.name}_sum`) entry.sum = s.value;
    else throw new Error(`histogram "${f.name}": unexpected sample "${s.name}"`);
  }
  for (const [key, { buckets, count, sum }] of series) {
    const at = `histogram "${f.name}" series ${key}`;
    if (buckets.length === 0 || count === undefined || sum === undefined) throw new Error(`${at}: buckets, _count and _sum are not all there`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]![0] > buckets[i - 1]![0])) throw new Error(`${at}: bucket bounds not increasing`);
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${at}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1]!;
    if (last[0] !== Infinity || last[1] !== count) throw new Error(`${at}: the +Inf bucket is missing or differs from _count`);
  }
}

/** The buckets (by `le` text), count and sum of the histogram series of `name` whose labels besides `le` are `labels`. */
export function histogramOf(
  families: ReadonlyMap<string, StrictFamily>,
  name: string,
  labels: Record<string, string> = {},
): { readonly buckets: Record<string, number>; readonly count: number; readonly sum: number } | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const samples = (families.get(name)?.samples ?? []).filter((s) => JSON.stringify(Object.entries(s.labels).filter(([k]) => k !== "le").sort()) === wanted);
  if (samples.length === 0) return undefined;
  const buckets: Record<string, number> = {};
  for (const s of samples) if (s.name === `${name}_bucket`) buckets[s.labels.le!] = s.value;
  return { buckets, count: samples.find((s) => s.name === `${name}_count`)!.value, sum: samples.find((s) => s.name === `${name}_sum`)!.value };
}
