// The strict test-only reader of the text exposition format: it must read
// labelled histograms (which parse-prometheus-text-format folds together)
// and refuse what a Prometheus server would refuse.
import { describe, expect, it } from "vitest";
import { histogramOf, parseScrape, parseScrapeStrict } from "./prometheus-text.test-support.js";

const LABELLED = [
  "# HELP h_seconds A labelled histogram.",
  "# TYPE h_seconds histogram",
  'h_seconds_bucket{le="0.1",t="a"} 1',
  'h_seconds_bucket{le="+Inf",t="a"} 2',
  'h_seconds_sum{t="a"} 0.55',
  'h_seconds_count{t="a"} 2',
  'h_seconds_bucket{le="0.1",t="b \\"q\\"\\\\"} 0',
  'h_seconds_bucket{le="+Inf",t="b \\"q\\"\\\\"} 1',
  'h_seconds_sum{t="b \\"q\\"\\\\"} 3',
  'h_seconds_count{t="b \\"q\\"\\\\"} 1',
  "",
].join("\n");

describe("parseScrapeStrict", () => {
  it("keeps each labelled histogram series apart, where the npm parser folds them into one", () => {
    const families = parseScrapeStrict(LABELLED);
    expect(histogramOf(families, "h_seconds", { t: "a" })).toEqual({ buckets: { "0.1": 1, "+Inf": 2 }, count: 2, sum: 0.55 });
    expect(histogramOf(families, "h_seconds", { t: 'b "q"\\' })).toEqual({ buckets: { "0.1": 0, "+Inf": 1 }, count: 1, sum: 3 });
    // Why this reader exists: the npm parser's histogram entries carry no labels.
    expect(parseScrape(LABELLED).get("h_seconds")?.metrics.every((m) => m.labels === undefined || !("t" in m.labels))).toBe(true);
  });

  it("reads HELP escapes (a backslash before n stays a backslash and an n)", () => {
    const families = parseScrapeStrict("# HELP c Line one\\nline two, a \\\\n here.\n# TYPE c counter\nc 1\n");
    expect(families.get("c")?.help).toBe("Line one\nline two, a \\n here.");
  });

  it.each([
    ["a bucket above +Inf's count", LABELLED.replace('h_seconds_count{t="a"} 2', 'h_seconds_count{t="a"} 3')],
    ["buckets that are not cumulative", LABELLED.replace('h_seconds_bucket{le="0.1",t="a"} 1', 'h_seconds_bucket{le="0.1",t="a"} 5')],
    ["a series without +Inf", LABELLED.replace('h_seconds_bucket{le="+Inf",t="a"} 2\n', "")],
    ["a series twice", LABELLED.replace('h_seconds_sum{t="a"} 0.55', 'h_seconds_sum{t="a"} 0.55\nh_seconds_sum{t="a"} 0.55')],
    ["an unquoted label value", "# TYPE c counter\nc{a=b} 1\n"],
    ["a bad escape", '# TYPE c counter\nc{a="\\x"} 1\n'],
    ["a bad value", "# TYPE c counter\nc 1,5\n"],
    ["interleaved families", "# TYPE a counter\na 1\n# TYPE b counter\nb 1\na{x=\"1\"} 2\n"],
    ["no final newline", "# TYPE c counter\nc 1"],
  ])("refuses %s", (_what, text) => {
    expect(() => parseScrapeStrict(text)).toThrow();
  });
});
