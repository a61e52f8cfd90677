// The TCP metrics address from the host config (`daemon.metricsListen`):
// taken at start, the command line's address wins over it, and a reload
// (SIGHUP) adds, moves or removes the listener; a reload that cannot be
// applied leaves the listener as it was.
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LogRecord } from "@incusx/sdk/host";
import { RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ReloadResult } from "./daemon.js";
import { DaemonClient } from "./daemon-client.js";
import type { MetricsServer } from "./metrics-server.js";
import { parseScrape, valueOf } from "./prometheus-text.test-support.js";
import { serveDaemon, type ServeDaemonOptions } from "./serve.js";

const FIXTURE = fileURLToPath(new URL("../test/fixtures/plugin-static-lease", import.meta.url));
const poll = <T>(check: () => T | Promise<T>) => expect.poll(check, { timeout: 15_000, interval: 20 });

let dir: string;
let blocker: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "incusx-metrics-config-"));
});
afterEach(async () => {
  await new Promise<void>((resolve) => (blocker === undefined ? resolve() : blocker.close(() => resolve())));
  blocker = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(daemon?: object): string {
  const file = join(dir, "host.json");
  writeFileSync(file, JSON.stringify({ stateDir: "state", plugins: [{ module: FIXTURE, config: { ipv4: "192.0.2.10" } }], ...(daemon === undefined ? {} : { daemon }) }));
  return file;
}

function scrape(server: MetricsServer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ agent: false, host: server.address.host, port: server.address.port, path: "/metrics" }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function serves(server: MetricsServer): Promise<boolean> {
  const answer = await scrape(server);
  return answer.status === 200 && valueOf(parseScrape(answer.text), "incusx_plugin_start_duration_seconds", { plugin: "fixture.static-lease" })! > 0;
}

async function serve(options: Partial<ServeDaemonOptions> = {}) {
  const signals = new EventEmitter();
  const logs: LogRecord[] = [];
  const changes: (MetricsServer | undefined)[] = [];
  const reloads: ReloadResult[] = [];
  const socket = join(dir, "daemon.sock");
  let ready!: (value: { metrics: MetricsServer | undefined } | undefined) => void;
  const started = new Promise<{ metrics: MetricsServer | undefined } | undefined>((resolve) => (ready = resolve));
  const done = serveDaemon({
    config: join(dir, "host.json"),
    socket,
    logSink: (record) => void logs.push(record),
    perNic: { openNetns: (path) => ({ path, fd: -1, close() {} }), linkFor: () => new RecordingLinkConfigurator() },
    signals,
    ...options,
    onReady: (_server, metrics) => ready({ metrics }),
    onMetricsChange: (metrics) => void changes.push(metrics),
    onReload: (result) => void reloads.push(result),
  });
  done.catch(() => ready(undefined));
  const first = await started;
  const client = new DaemonClient(socket);
  const generation = async () => ((await client.server()).environment as { generation: number }).generation;
  const stop = async () => {
    signals.emit("SIGTERM");
    await done;
  };
  // Writes the config, sends SIGHUP and waits until the daemon and the listener are done with it.
  const reload = async (config?: object): Promise<ReloadResult> => {
    writeConfig(config);
    const before = reloads.length;
    signals.emit("SIGHUP");
    await poll(() => reloads.length).toBe(before + 1);
    return reloads[before]!;
  };
  return { done, first, logs, changes, stop, reload, generation };
}

describe("daemon.metricsListen in the host config", () => {
  it("is served at start without --metrics-listen", async () => {
    writeConfig({ metricsListen: "127.0.0.1:0" });
    const { first, stop } = await serve();
    expect(first?.metrics?.address.host).toBe("127.0.0.1");
    expect(await serves(first!.metrics!)).toBe(true);
    await stop();
    await expect(scrape(first!.metrics!)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("gives way to the command line's address, also across a reload", async () => {
    writeConfig({ metricsListen: "[::1]:0" });
    const { first, changes, stop, reload } = await serve({ metricsListen: "127.0.0.1:0" });
    expect(first?.metrics?.address.host).toBe("127.0.0.1");
    expect(await reload({ metricsListen: "localhost:0" })).toEqual({ ok: true });
    expect(changes).toEqual([]);
    expect(await serves(first!.metrics!)).toBe(true);
    await stop();
  });

  it("a malformed one fails the start with INVALID_CONFIG", async () => {
    writeConfig({ metricsListen: "9464" });
    const { done } = await serve();
    await expect(done).rejects.toMatchObject({ code: "INVALID_CONFIG", message: expect.stringContaining('"9464"') });
  });

  it("on SIGHUP: added, moved to a new address (the old one closed), then removed", async () => {
    writeConfig();
    const { first, changes, stop, reload, generation } = await serve();
    expect(first?.metrics).toBeUndefined();

    await reload({ metricsListen: "127.0.0.1:0" });
    expect(changes).toHaveLength(1);
    const added = changes[0]!;
    expect(await serves(added)).toBe(true);

    await reload({ metricsListen: "[::1]:0" });
    expect(changes).toHaveLength(2);
    const moved = changes[1]!;
    expect(moved.address.host).toBe("::1");
    expect(await serves(moved)).toBe(true);
    await expect(scrape(added)).rejects.toMatchObject({ code: "ECONNREFUSED" });

    await reload({});
    expect(changes).toEqual([added, moved, undefined]);
    expect(await generation()).toBe(3);
    await expect(scrape(moved)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await stop();
  });

  it("on SIGHUP: moves to another host on the same port, which the old listener holds", async () => {
    writeConfig({ metricsListen: "127.0.0.1:0" });
    const { first, changes, stop, reload } = await serve();
    const port = first!.metrics!.address.port;
    expect(await reload({ metricsListen: `localhost:${port}` })).toEqual({ ok: true });
    expect(changes).toHaveLength(1);
    expect(changes[0]!.address).toEqual({ host: "localhost", port });
    expect(await serves(changes[0]!)).toBe(true);
    await stop();
  });

  it("on SIGHUP: a malformed address refuses the whole config; an address in use keeps the listener where it was", async () => {
    writeConfig({ metricsListen: "127.0.0.1:0" });
    const { first, changes, logs, stop, reload, generation } = await serve();
    const served = first!.metrics!;

    expect(await reload({ metricsListen: "127.0.0.1" })).toMatchObject({ ok: false, error: expect.stringContaining('Invalid metrics address "127.0.0.1"') });
    expect(await generation()).toBe(0);
    expect(logs.some((r) => /Refused the new config.*Invalid metrics address "127\.0\.0\.1"/.test(r.message))).toBe(true);

    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, "127.0.0.1", () => resolve()));
    const taken = (blocker.address() as AddressInfo).port;
    // The plugins' config is taken; only the listener stays where it was.
    expect(await reload({ metricsListen: `127.0.0.1:${taken}` })).toEqual({ ok: true });
    expect(await generation()).toBe(1);
    expect(logs.some((r) => r.level === "error" && r.message.includes(`127.0.0.1:${taken}`) && r.fields?.code === "IN_USE")).toBe(true);
    expect(changes).toEqual([]);
    expect(await serves(served)).toBe(true);
    await stop();
  });
});
