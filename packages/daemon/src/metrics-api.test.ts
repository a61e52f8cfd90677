// The daemon's metrics end to end: scraped from GET /1.0/metrics over the
// unix socket and from the optional TCP listener, read back with a
// Prometheus text parser, while a fixture plugin's runners bind, renew and
// lose leases through the real network runtime (recording link, namespaces
// not opened, so no root needed).
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request, type IncomingHttpHeaders, type RequestOptions } from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { Daemon, type DaemonOptions } from "./daemon.js";
import { DaemonClient } from "./daemon-client.js";
import { DaemonServer } from "./daemon-server.js";
import type { DaemonEvent } from "./event-hub.js";
import { METRICS_CONTENT_TYPE } from "./metrics.js";
import { MetricsServer, parseListenAddress } from "./metrics-server.js";
import { parseScrape, valueOf } from "./prometheus-text.test-support.js";
import { serveDaemon } from "./serve.js";

const poll = <T>(check: () => T | Promise<T>) => expect.poll(check, { timeout: 15_000, interval: 20 });

const FIXTURE = fileURLToPath(new URL("../test/fixtures/plugin-static-lease", import.meta.url));

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

function http(options: RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a kept-alive one would outlive a closed listener.
    const req = request({ agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

const tcp = (server: MetricsServer, path: string, method = "GET") => http({ host: server.address.host, port: server.address.port, path, method });

// The inodes of the TCP sockets this process listens on: what a listener
// opened behind the test's back would add.
function listeningTcpInodes(): Set<string> {
  const mine = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined) mine.add(inode);
    } catch {
      // Closed between readdir and readlink.
    }
  }
  const listening = new Set<string>();
  for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // Field 3 is the state (0A: LISTEN), field 9 the inode.
      if (fields[3] === "0A" && mine.has(fields[9]!)) listening.add(fields[9]!);
    }
  }
  return listening;
}

let dir: string;
let socket: string;
let link: RecordingLinkConfigurator;
let daemon: Daemon;
let server: DaemonServer;
let client: DaemonClient;

function daemonOptions(config: object): DaemonOptions {
  const file = join(dir, "host.json");
  writeFileSync(file, JSON.stringify({ stateDir: "state", plugins: [{ module: FIXTURE, config }] }));
  return {
    config: file,
    logSink: () => {},
    perNic: { openNetns: (path) => ({ path, fd: -1, close() {} }), linkFor: () => link },
  };
}

const RENEWING = { ipv4: "192.0.2.10", ipv6: "2001:db8:1::10", renewals: 3, expireAfterRenewals: true };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "incusx-metrics-"));
  socket = join(dir, "daemon.sock");
  link = new RecordingLinkConfigurator();
  daemon = await Daemon.start(daemonOptions(RENEWING));
  server = await DaemonServer.listen(daemon, { socket });
  client = new DaemonClient(socket);
});

afterEach(async () => {
  await server.close();
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

const scrapeSocket = () => http({ socketPath: socket, path: "/1.0/metrics" });

describe("GET /1.0/metrics on the daemon's socket", () => {
  it("serves Prometheus text exposition whose NIC and lease figures move with the NIC's real lease events", async () => {
    const before = await scrapeSocket();
    expect(before.status).toBe(200);
    expect(before.headers["content-type"]).toBe(METRICS_CONTENT_TYPE);
    let scrape = parseScrape(before.text);
    expect(valueOf(scrape, "incusx_nics", { family: "ipv4", state: "bound" })).toBe(0);
    expect(valueOf(scrape, "incusx_dhcp_leases_bound_total", { family: "ipv6" })).toBe(0);
    expect(valueOf(scrape, "incusx_plugin_start_duration_seconds", { plugin: "fixture.static-lease" })).toBeGreaterThan(0);
    expect(valueOf(scrape, "incusx_host_start_duration_seconds")).toBeGreaterThan(0);

    const events: DaemonEvent[] = [];
    const stream = await client.events((e) => events.push(e), ["lease"]);
    await client.attach({ instance: "c1", device: "eth0", netns: "/run/netns/c1", interface: "eth0" });
    const seen = (kind: string, family: string) => events.filter((e) => e.metadata.kind === kind && e.metadata.family === family).length;
    await poll(() => seen("expired", "ipv4") + seen("expired", "ipv6")).toBe(2);

    const after = await scrapeSocket();
    scrape = parseScrape(after.text);
    for (const family of ["ipv4", "ipv6"]) {
      expect(valueOf(scrape, "incusx_dhcp_leases_bound_total", { family })).toBe(seen("bound", family));
      expect(seen("bound", family)).toBe(1);
      // The runtime may coalesce renewals waiting behind one being applied: the counter is what was published.
      expect(valueOf(scrape, "incusx_dhcp_leases_renewed_total", { family })).toBe(seen("renewed", family));
      expect(seen("renewed", family)).toBeGreaterThanOrEqual(1);
      expect(valueOf(scrape, "incusx_dhcp_leases_expired_total", { family })).toBe(1);
      expect(valueOf(scrape, "incusx_dhcp_lease_renew_failures_total", { family })).toBe(1);
      // The lease is gone: the family is looking for a new one.
      expect(valueOf(scrape, "incusx_nics", { family, state: "starting" })).toBe(1);
      expect(valueOf(scrape, "incusx_nics", { family, state: "bound" })).toBe(0);
    }
    // No series names the instance, device or interface.
    expect(after.text).not.toMatch(/c1|eth0|instance=|device=|interface=/);

    await client.detach("c1", "eth0");
    scrape = parseScrape((await scrapeSocket()).text);
    expect(valueOf(scrape, "incusx_nics", { family: "ipv4", state: "starting" })).toBe(0);
    expect(valueOf(scrape, "incusx_dhcp_leases_bound_total", { family: "ipv4" })).toBe(1);
    stream.close();
  });

  it("counts a bound NIC as bound, per family", async () => {
    await server.close();
    await daemon.stop();
    daemon = await Daemon.start(daemonOptions({ ipv4: "192.0.2.10", ipv6: "2001:db8:1::10" }));
    server = await DaemonServer.listen(daemon, { socket });
    await client.attach({ instance: "c1", device: "eth0", netns: "/run/netns/c1", interface: "eth0" });
    await client.attach({ instance: "c2", device: "eth0", netns: "/run/netns/c2", interface: "eth1", families: ["ipv4"] });
    await poll(async () => valueOf(parseScrape((await scrapeSocket()).text), "incusx_nics", { family: "ipv4", state: "bound" })).toBe(2);
    const scrape = parseScrape((await scrapeSocket()).text);
    expect(valueOf(scrape, "incusx_nics", { family: "ipv6", state: "bound" })).toBe(1);
    expect(valueOf(scrape, "incusx_dhcp_leases_bound_total", { family: "ipv4" })).toBe(2);
  });

  it("refuses another method (405) and serves nothing below it (404)", async () => {
    expect((await http({ socketPath: socket, path: "/1.0/metrics", method: "POST" })).status).toBe(405);
    expect((await http({ socketPath: socket, path: "/1.0/metrics/nics" })).status).toBe(404);
  });
});

describe("the TCP metrics listener", () => {
  it("serves GET /metrics (the socket's figures) and nothing of the API", async () => {
    const metrics = await MetricsServer.listen(daemon.metrics, "127.0.0.1:0");
    try {
      expect(metrics.url).toBe(`http://127.0.0.1:${metrics.address.port}/metrics`);
      await client.attach({ instance: "c1", device: "eth0", netns: "/run/netns/c1", interface: "eth0" });
      await poll(async () => valueOf(parseScrape((await tcp(metrics, "/metrics")).text), "incusx_dhcp_leases_expired_total", { family: "ipv6" })).toBe(1);
      const answer = await tcp(metrics, "/metrics?x=1");
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toBe(METRICS_CONTENT_TYPE);
      expect(valueOf(parseScrape(answer.text), "incusx_dhcp_leases_bound_total", { family: "ipv4" })).toBe(1);
      expect((await tcp(metrics, "/metrics", "HEAD")).status).toBe(200);

      for (const path of ["/", "/1.0", "/1.0/nics", "/1.0/metrics", "/1.0/events", "/metrics/x"]) {
        const refused = await tcp(metrics, path);
        expect(refused.status, path).toBe(404);
        expect(refused.text).not.toMatch(/c1|"type"/);
      }
      expect((await tcp(metrics, "/metrics", "POST")).status).toBe(405);
      expect((await tcp(metrics, "/1.0/nics", "POST")).status).toBe(404);
      expect((await client.list()).map((n) => n.instance)).toEqual(["c1"]);
    } finally {
      await metrics.close();
    }
    await expect(tcp(metrics, "/metrics")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("drops a client that does not finish its request in time, and keeps serving scrapes", async () => {
    const metrics = await MetricsServer.listen(daemon.metrics, "127.0.0.1:0", { requestTimeoutMs: 300 });
    try {
      const slow = connect(metrics.address.port, "127.0.0.1");
      const started = performance.now();
      let answer = "";
      slow.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
      const closed = new Promise<void>((resolve) => slow.once("close", () => resolve()));
      slow.write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
      expect((await tcp(metrics, "/metrics")).status).toBe(200);
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      // Generous: Node checks for timed-out requests every 75 ms here.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await metrics.close();
    }
  });

  it("refuses a port in use (IN_USE) and a malformed address (INVALID_CONFIG)", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(MetricsServer.listen(daemon.metrics, `127.0.0.1:${port}`)).rejects.toMatchObject({ code: "IN_USE" });
    } finally {
      holder.close();
    }
    await expect(MetricsServer.listen(daemon.metrics, "9464")).rejects.toMatchObject({ code: "INVALID_CONFIG" });
  });

  it("reads HOST:PORT addresses, and names the value it refuses", () => {
    expect(parseListenAddress("127.0.0.1:9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListenAddress("[::1]:9464")).toEqual({ host: "::1", port: 9464 });
    expect(parseListenAddress("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListenAddress("0.0.0.0:9464")).toEqual({ host: "0.0.0.0", port: 9464 });
    for (const bad of ["", "9464", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:9464", "[127.0.0.1]:9464", "example.com:9464", "127.0.0.1:94a", "[::1]:9464x"]) {
      expect(() => parseListenAddress(bad), bad).toThrow(expect.objectContaining({ code: "INVALID_CONFIG", message: expect.stringContaining(`"${bad}"`) }));
    }
  });
});

describe("serveDaemon and the metrics listener", () => {
  async function serve(extra: { metricsListen?: string }) {
    const signals = new EventEmitter();
    const own = join(dir, "serve.sock");
    let ready!: (metrics: MetricsServer | undefined) => void;
    const started = new Promise<MetricsServer | undefined>((resolve) => (ready = resolve));
    const done = serveDaemon({ ...daemonOptions({ ipv4: "192.0.2.10" }), stateDir: join(dir, "s2"), socket: own, signals, ...extra, onReady: (_server, metrics) => ready(metrics) });
    done.catch(() => ready(undefined));
    return { signals, own, metrics: await started, done };
  }

  it("opens no TCP port unless asked to", async () => {
    const listening = listeningTcpInodes();
    const { signals, own, metrics, done } = await serve({});
    expect(metrics).toBeUndefined();
    expect(listeningTcpInodes()).toEqual(listening);
    // The socket serves the metrics all the same.
    expect((await http({ socketPath: own, path: "/1.0/metrics" })).status).toBe(200);
    signals.emit("SIGTERM");
    await done;
  });

  it("with metricsListen, serves /metrics on TCP until SIGTERM, then closes it", async () => {
    const listening = listeningTcpInodes();
    const { signals, metrics, done } = await serve({ metricsListen: "127.0.0.1:0" });
    expect(metrics).toBeInstanceOf(MetricsServer);
    expect(listeningTcpInodes().size).toBe(listening.size + 1);
    expect(valueOf(parseScrape((await tcp(metrics!, "/metrics")).text), "incusx_plugin_start_duration_seconds", { plugin: "fixture.static-lease" })).toBeGreaterThan(0);
    signals.emit("SIGTERM");
    await done;
    await expect(tcp(metrics!, "/metrics")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(listeningTcpInodes()).toEqual(listening);
  });

  it("refuses to start when the metrics address is unusable, leaving no socket behind", async () => {
    const { metrics, done } = await serve({ metricsListen: "not-an-address" });
    expect(metrics).toBeUndefined();
    await expect(done).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    expect(() => statSync(join(dir, "serve.sock"))).toThrow(/ENOENT/);
  });
});
