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
