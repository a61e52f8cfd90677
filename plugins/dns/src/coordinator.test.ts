import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  definePlugin,
  DnsSinkExtension,
  type DnsSink,
  type IpFamily,
  type LeaseDns,
  type LeaseEvent,
  type LeaseEventKind,
  type ResolverConfig,
} from "@incusx/sdk";
import { FakeClock, MemoryLeaseEventStream, MemoryLogSink, startTestHost, type TestHost } from "@incusx/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DnsCoordinator } from "./coordinator.js";
import { tempDir } from "./fs.test-support.js";
import dnsPlugin from "./index.js";
import { MARKER } from "./resolv-conf.js";

const clock = new FakeClock();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function event(kind: LeaseEventKind, family: IpFamily, dns?: Partial<LeaseDns>, iface = "eth0"): LeaseEvent {
  const lease =
    dns === undefined
      ? undefined
      : {
          family,
          interface: iface,
          server: family === "ipv4" ? "192.0.2.1" : "0001000100000001",
          obtainedAt: clock.now(),
          addresses: [],
          routes: [],
          dns: { servers: [], search: [], ...dns },
        };
  return { kind, family, interface: iface, at: clock.now(), ...(lease === undefined ? {} : { lease }) };
}

const V4 = { servers: ["192.0.2.53"], search: ["four.example"] };
const V6 = { servers: ["2001:db8:1::53"], search: ["six.example"] };

/** A sink recording every config it gets and how many applies ran at once. */
class RecordingSink implements DnsSink {
  readonly name = "recording";
  readonly applied: ResolverConfig[] = [];
  inFlight = 0;
  maxInFlight = 0;
  gate: Promise<void> | undefined;

  async apply(config: ResolverConfig): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate;
      this.applied.push(config);
    } finally {
      this.inFlight--;
    }
  }

  get last(): ResolverConfig | undefined {
    return this.applied.at(-1);
  }
}

/** Starts a test host with the DNS plugin (real manifest) writing `resolv.conf` in a temp dir, plus `sinks` from a second plugin. */
async function hostWithDns(sinks: DnsSink[] = [], config: Record<string, unknown> = {}): Promise<{ t: TestHost; path: string }> {
  const d = await tempDir();
  cleanups.push(d.remove);
  const path = join(d.dir, "resolv.conf");
  const extra = definePlugin({
    id: "test.sinks",
    register(r) {
      for (const sink of sinks) r.contribute(DnsSinkExtension, { useValue: sink });
    },
  });
  const t = await startTestHost({
    plugins: [
      { plugin: dnsPlugin, packageDir: new URL("..", import.meta.url), config: { resolvConf: path, ...config } },
      ...(sinks.length > 0 ? [{ plugin: extra }] : []),
    ],
  });
  cleanups.push(() => t.stop());
  return { t, path };
}

const waitForFile = (path: string, test: (text: string) => boolean) =>
  vi.waitFor(async () => {
    const text = await readFile(path, "utf8");
    if (!test(text)) throw new Error(`resolv.conf is still:\n${text}`);
    return text;
  });

describe("the DNS plugin in a host", () => {
  it("writes one consistent file when both families bind at the same instant", async () => {
    const recorder = new RecordingSink();
    const { t, path } = await hostWithDns([recorder]);
    t.leaseEvents.publish(event("bound", "ipv6", V6));
    t.leaseEvents.publish(event("bound", "ipv4", V4));
    const text = await waitForFile(path, (s) => s.includes("six.example"));
    expect(text).toBe(`${MARKER}\nnameserver 192.0.2.53\nnameserver 2001:db8:1::53\nsearch four.example six.example\n`);
    expect(recorder.applied.map((c) => c.nameservers)).toEqual([["192.0.2.53", "2001:db8:1::53"]]);
    expect(recorder.last?.links).toEqual([
      { interface: "eth0", families: ["ipv4", "ipv6"], nameservers: ["192.0.2.53", "2001:db8:1::53"], search: ["four.example", "six.example"] },
    ]);
  });

  it("rewrites on a DHCPv4 renewal that changes DNS, and removes an expired or released lease's servers", async () => {
    const { t, path } = await hostWithDns();
    t.leaseEvents.publish(event("bound", "ipv4", V4));
    t.leaseEvents.publish(event("bound", "ipv6", V6));
    await waitForFile(path, (s) => s.includes("2001:db8:1::53"));
    t.leaseEvents.publish(event("renewed", "ipv4", { servers: ["198.51.100.53"], search: ["renewed.example"] }));
    await waitForFile(path, (s) => s.includes("nameserver 198.51.100.53\nnameserver 2001:db8:1::53\nsearch renewed.example six.example"));
    t.leaseEvents.publish(event("expired", "ipv6", V6));
    await waitForFile(path, (s) => s === `${MARKER}\nnameserver 198.51.100.53\nsearch renewed.example\n`);
    t.leaseEvents.publish(event("released", "ipv4", V4));
    await waitForFile(path, (s) => s === `${MARKER}\n`);
  });

  it("keeps a lease's DNS on a failed event (the runtime keeps its addresses too)", async () => {
    const recorder = new RecordingSink();
    const { t } = await hostWithDns([recorder]);
    t.leaseEvents.publish(event("bound", "ipv4", V4));
    await vi.waitFor(() => expect(recorder.applied).toHaveLength(1));
    t.leaseEvents.publish({ kind: "failed", family: "ipv4", interface: "eth0", at: clock.now(), error: { code: "ENODEV", message: "gone" } });
    await vi.waitFor(() => expect(recorder.applied).toHaveLength(2));
    expect(recorder.last?.nameservers).toEqual(["192.0.2.53"]);
  });

  it("logs a failing sink and still applies to the others", async () => {
    const broken: DnsSink = { name: "broken", apply: () => Promise.reject(new Error("disk on fire")) };
    const recorder = new RecordingSink();
    const { t, path } = await hostWithDns([broken, recorder]);
    t.leaseEvents.publish(event("bound", "ipv4", V4));
    await waitForFile(path, (s) => s.includes("192.0.2.53"));
    await vi.waitFor(() => expect(recorder.applied).toHaveLength(1));
    expect(t.logs.messages({ pluginId: "incusx.dns", level: "error" })).toEqual(['DNS sink "broken" failed: disk on fire']);
  });

  it("logs a refused target with its code and keeps running", async () => {
    const { t, path } = await hostWithDns([], { writeMode: "rename" });
    const { symlink } = await import("node:fs/promises");
    await symlink("/etc/passwd", path);
    t.leaseEvents.publish(event("bound", "ipv4", V4));
    await vi.waitFor(() => expect(t.logs.find({ pluginId: "incusx.dns", level: "error" })).toHaveLength(1));
    expect(t.logs.find({ pluginId: "incusx.dns", level: "error" })[0]).toMatchObject({
      message: expect.stringMatching(/Refusing to write .* symbolic link/),
      fields: { code: "UNSAFE_TARGET" },
    });
  });

  it("warns once, naming the dropped values, while a hostile lease lasts", async () => {
    const recorder = new RecordingSink();
    const { t, path } = await hostWithDns([recorder]);
    const hostile = { servers: ["192.0.2.53"], search: ["ok.example", "evil.example\nnameserver 203.0.113.66"] };
    t.leaseEvents.publish(event("bound", "ipv4", hostile));
    await waitForFile(path, (s) => s.includes("ok.example"));
    t.leaseEvents.publish(event("renewed", "ipv4", hostile));
    await vi.waitFor(() => expect(recorder.applied).toHaveLength(2));
    expect(await readFile(path, "utf8")).not.toContain("203.0.113.66");
    expect(t.logs.messages({ pluginId: "incusx.dns", level: "warn" })).toEqual([
      'Dropped the search domain "evil.example\\nnameserver 203.0.113.66" from the ipv4 lease on eth0: contains a control character',
    ]);
  });

  it("uses static settings from its config", async () => {
    const { t, path } = await hostWithDns([], { nameservers: ["203.0.113.1"], options: ["ndots:2"] });
    t.leaseEvents.publish(event("bound", "ipv4", V4));
    expect(await waitForFile(path, (s) => s.includes("options"))).toBe(
      `${MARKER}\nnameserver 203.0.113.1\nsearch four.example\noptions ndots:2\n`,
    );
  });

  it("fails to start with INVALID_CONFIG for a bad static server, naming it", async () => {
    const t = await startTestHost({
      plugins: [{ plugin: dnsPlugin, packageDir: new URL("..", import.meta.url), config: { nameservers: ["192.0.2.300"] } }],
      allowFailures: true,
    });
    cleanups.push(() => t.stop());
    expect(t.report.plugins[0]?.error).toMatchObject({ code: "INVALID_CONFIG", message: expect.stringContaining('"192.0.2.300"') });
  });

  it("rejects an unknown write mode through its manifest schema", async () => {
    const t = await startTestHost({
      plugins: [{ plugin: dnsPlugin, packageDir: new URL("..", import.meta.url), config: { resolvConf: "/x", writeMode: "fast" } }],
      allowFailures: true,
    });
    cleanups.push(() => t.stop());
    expect(t.report.plugins[0]?.error?.code).toBe("INVALID_CONFIG");
  });

  it("stops listening when stopped", async () => {
    const recorder = new RecordingSink();
    const { t } = await hostWithDns([recorder]);
    await t.stop();
    t.leaseEvents.publish(event("bound", "ipv4", V4));
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorder.applied).toEqual([]);
  });
});

describe("DnsCoordinator", () => {
  function coordinator(sinks: DnsSink[]) {
    const logs = new MemoryLogSink();
    const c = new DnsCoordinator({ statics: { nameservers: [], search: [], options: [] }, sinks: () => sinks, logger: logs.logger("incusx.dns") });
    return { c, logs };
  }

  it("never applies concurrently and coalesces events that arrive during a write into one more write", async () => {
    const sink = new RecordingSink();
    let open!: () => void;
    sink.gate = new Promise((resolve) => (open = resolve));
    const { c } = coordinator([sink]);
    const stream = new MemoryLeaseEventStream();
    c.subscribe(stream);
    stream.publish(event("bound", "ipv4", V4));
    await vi.waitFor(() => expect(sink.inFlight).toBe(1));
    stream.publish(event("bound", "ipv6", V6));
    stream.publish(event("renewed", "ipv4", { servers: ["198.51.100.1"] }));
    stream.publish(event("bound", "ipv4", { servers: ["198.51.100.2"] }, "eth1"));
    stream.publish(event("expired", "ipv6", V6));
    open();
    await c.idle();
    expect(sink.maxInFlight).toBe(1);
    expect(sink.applied.map((a) => a.nameservers)).toEqual([["192.0.2.53"], ["198.51.100.1", "198.51.100.2"]]);
  });

  it("drops malformed lease DNS from a runner with a warning and keeps writing", async () => {
    const sink = new RecordingSink();
    const { c, logs } = coordinator([sink]);
    c.handle(event("bound", "ipv4", { servers: 53 as unknown as string[], search: null as unknown as string[] }, "eth1"));
    c.handle(event("bound", "ipv6", V6));
    await c.idle();
    expect(sink.last?.nameservers).toEqual(["2001:db8:1::53"]);
    expect(logs.find({ level: "warn" }).map((r) => r.message)).toEqual([
      'Dropped the name servers 53 from the ipv4 lease on eth1: is not a list',
    ]);
  });

  it("keeps leases per interface and family", async () => {
    const sink = new RecordingSink();
    const { c } = coordinator([sink]);
    c.handle(event("bound", "ipv4", V4, "eth1"));
    c.handle(event("bound", "ipv6", V6, "eth0"));
    c.handle(event("released", "ipv4", V4, "eth0"));
    await c.idle();
    expect(c.families("eth1")).toEqual(["ipv4"]);
    expect(c.families("eth0")).toEqual(["ipv6"]);
    expect(sink.last?.nameservers).toEqual(["192.0.2.53", "2001:db8:1::53"]);
  });
});
