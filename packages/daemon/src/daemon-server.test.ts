// The daemon API end to end over its unix socket, in-process: a fixture
// plugin binds fixed leases, the link is a recording fake and namespaces
// are not opened, so this runs without root (but for the non-root client).
import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { Daemon } from "./daemon.js";
import { DaemonClient, DaemonRequestError } from "./daemon-client.js";
import type { LogRecord } from "@incusx/host";
import { DaemonServer, FORBIDDEN, MAX_REQUEST_BODY_BYTES } from "./daemon-server.js";
import type { DaemonEvent } from "./event-hub.js";

// Conditions, not sleeps; generous for a machine other work loads.
const poll = <T>(check: () => T | Promise<T>) => expect.poll(check, { timeout: 15_000, interval: 20 });

const FIXTURE = fileURLToPath(new URL("../test/fixtures/plugin-static-lease", import.meta.url));

interface Raw {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

function raw(socket: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
    });
    // The server may answer (413) and close before the whole body is sent.
    req.on("error", reject);
    req.end(body);
  });
}

let dir: string;
let socket: string;
let link: RecordingLinkConfigurator;
let daemon: Daemon;
let server: DaemonServer;
let client: DaemonClient;
let serverLogs: LogRecord[];
// Without root the kernel's credentials would refuse this run's own client: a stand-in says root then.
const asRoot = process.getuid?.() === 0 ? {} : { peerCredentials: () => ({ pid: process.pid, uid: 0, gid: 0 }) };

function writeConfig(config: object | string): string {
  const file = join(dir, "host.json");
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config));
  return file;
}

const staticLease = (ipv4: string, extra: object = {}) => ({
  stateDir: "state",
  plugins: [{ module: FIXTURE, config: { ipv4, ipv6: "2001:db8:1::10", ...extra } }],
});

const attachBody = (instance = "c1", device = "eth0") => ({ instance, device, netns: `/run/netns/${instance}`, interface: "eth0" });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "incusx-daemon-"));
  socket = join(dir, "run", "daemon.sock");
  link = new RecordingLinkConfigurator();
  daemon = await Daemon.start({
    config: writeConfig(staticLease("192.0.2.10")),
    logSink: () => {},
    perNic: {
      openNetns: (path) => {
        if (path.includes("missing")) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
        return { path, fd: -1, close() {} };
      },
      linkFor: () => link,
    },
  });
  serverLogs = [];
  server = await DaemonServer.listen(daemon, { socket, logSink: (record) => serverLogs.push(record), ...asRoot });
  client = new DaemonClient(socket);
});

afterEach(async () => {
  await server.close();
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function addressesOf(): Promise<string[]> {
  return (await link.snapshot("eth0")).addresses.map((a) => a.address).sort();
}

describe("incusx daemon API", () => {
  it("answers GET /1.0 in Incus's sync shape", async () => {
    const { status, body } = await raw(socket, "GET", "/1.0");
    expect(status).toBe(200);
    expect(body).toMatchObject({ type: "sync", status: "Success", status_code: 200 });
    expect(body.metadata).toMatchObject({
      api_version: "1.0",
      environment: { server: "incusx", families: ["ipv4", "ipv6"], generation: 0, max_request_body: MAX_REQUEST_BODY_BYTES },
    });
  });

  it("GET /1.0/state: the host's state in the state-file format, re-read as it changes; a broken source is its typed error", async () => {
    expect(await raw(socket, "GET", "/1.0/state")).toEqual({ status: 200, body: { type: "sync", status: "Success", status_code: 200, metadata: {} } });
    const state = { networks: [{ name: "br0", type: "bridge", forwards: [{ listen_address: "198.51.100.5" }] }] };
    mkdirSync(join(dir, "state"), { recursive: true });
    writeFileSync(join(dir, "state", "network-state.json"), JSON.stringify(state));
    expect(await client.state()).toEqual(state);
    writeFileSync(join(dir, "state", "network-state.json"), "{");
    const broken = await raw(socket, "GET", "/1.0/state");
    expect(broken).toMatchObject({ status: 400, body: { type: "error", error_code: 400, code: "INVALID_CONFIG" } });
    expect(await raw(socket, "POST", "/1.0/state", "{}")).toMatchObject({ status: 405 });
  });

  it("GET /1.0/state of an unreachable Incus server is STATE_UNAVAILABLE, and the daemon keeps serving", async () => {
    writeConfig({ ...staticLease("192.0.2.10"), state: { type: "incus", socket: join(dir, "no-incus.sock") } });
    expect(await daemon.reload()).toEqual({ ok: true });
    const { status, body } = await raw(socket, "GET", "/1.0/state");
    expect(body).toMatchObject({ type: "error", code: "STATE_UNAVAILABLE" });
    expect(status).toBe(body.error_code);
    await expect(client.state()).rejects.toMatchObject({ code: "STATE_UNAVAILABLE" });
    expect((await raw(socket, "GET", "/1.0")).status).toBe(200);
  });

  it("creates the socket root-only (mode 0600)", () => {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
  });

  it("attaches a NIC: runners started, leases applied, listed, and lease and lifecycle events streamed", async () => {
    const events: DaemonEvent[] = [];
    const stream = await client.events((e) => events.push(e));
    const nic = await client.attach(attachBody());
    expect(nic).toMatchObject({ instance: "c1", device: "eth0", interface: "eth0", netns: "/run/netns/c1" });
    await poll(addressesOf).toEqual(["192.0.2.10", "2001:db8:1::10"]);
    await poll(async () => (await client.list())[0]?.families.map((f) => f.state)).toEqual(["bound", "bound"]);
    await poll(() => events.filter((e) => e.type === "lease").length).toBe(2);
    expect(events[0]).toMatchObject({ type: "lifecycle", metadata: { action: "nic-attached", source: "/1.0/nics/c1/eth0" } });
    expect(events.find((e) => e.type === "lease")?.metadata).toMatchObject({ instance: "c1", device: "eth0", kind: "bound" });
    expect(typeof events[0]!.timestamp).toBe("string");

    await client.detach("c1", "eth0", { release: true });
    expect(await client.list()).toEqual([]);
    expect(await addressesOf()).toEqual([]);
    await poll(() => events.some((e) => e.metadata.action === "nic-detached")).toBe(true);
    stream.close();
  });

  it("turns the runtime's NIC_GONE failures of a NIC into one nic-gone lifecycle event", async () => {
    writeConfig(staticLease("192.0.2.10", { goneAfterBind: true }));
    expect(await daemon.reload()).toEqual({ ok: true });
    const events: DaemonEvent[] = [];
    const stream = await client.events((e) => events.push(e), ["lifecycle"]);
    await client.attach(attachBody("c9"));
    await poll(() => events.map((e) => e.metadata.action)).toEqual(["nic-attached", "nic-gone"]);
    expect(events[1]!.metadata).toMatchObject({ source: "/1.0/nics/c9/eth0", context: { instance: "c9", device: "eth0", reason: "namespace-gone" } });
    stream.close();
  });

  it("refuses malformed JSON, an oversized body and a schema violation with a clear error, changing nothing", async () => {
    await client.attach(attachBody("keep"));
    await poll(addressesOf).toHaveLength(2);
    const before = await client.list();
    const linkCalls = link.calls.length;

    const malformed = await raw(socket, "POST", "/1.0/nics", '{"instance": "c2",', { "Content-Type": "application/json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ type: "error", error_code: 400, code: "INVALID_CONFIG" });
    expect(malformed.body.error).toMatch(/not valid JSON/);

    const huge = JSON.stringify({ ...attachBody("c3"), hostname: "x".repeat(MAX_REQUEST_BODY_BYTES) });
    const oversized = await raw(socket, "POST", "/1.0/nics", huge);
    expect(oversized.status).toBe(413);
    expect(oversized.body.error).toMatch(/larger than 16384 bytes/);
    // Also without a Content-Length (chunked), the limit holds.
    const chunked = await raw(socket, "POST", "/1.0/nics", Buffer.from(huge), { "Transfer-Encoding": "chunked" });
    expect(chunked.status).toBe(413);

    const invalid = await raw(socket, "POST", "/1.0/nics", JSON.stringify({ ...attachBody("c4"), interface: "a/b", colour: "red" }));
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/\/interface: must match pattern/);
    expect(invalid.body.error).toMatch(/unknown property "colour"/);

    const missing = await raw(socket, "POST", "/1.0/nics", JSON.stringify({ instance: "c5" }));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/missing required property "device"/);

    const relative = await raw(socket, "POST", "/1.0/nics", JSON.stringify({ ...attachBody("c6"), resolv_conf: { root: "proc/1/root" } }));
    expect(relative.body.error).toMatch(/\/resolv_conf\/root: must match pattern/);
    const dotted = await raw(socket, "POST", "/1.0/nics", JSON.stringify({ ...attachBody("c7"), resolv_conf: { root: "/proc/1/root", path: "/etc/../resolv.conf" } }));
    expect(dotted.body).toMatchObject({ error_code: 400 });

    expect(await client.list()).toEqual(before);
    expect(link.calls.length).toBe(linkCalls);
  });

  it("answers 404 for an unknown NIC or path and 405 for a wrong method, changing nothing", async () => {
    await client.attach(attachBody());
    const before = await client.list();
    expect((await raw(socket, "DELETE", "/1.0/nics/nobody/eth0")).body).toMatchObject({ type: "error", error_code: 404, code: "NOT_FOUND" });
    expect((await raw(socket, "GET", "/1.0/nics/nobody/eth0")).status).toBe(404);
    expect((await raw(socket, "GET", "/1.0/containers")).status).toBe(404);
    expect((await raw(socket, "PUT", "/1.0/nics", "{}")).status).toBe(405);
    expect((await raw(socket, "DELETE", "/1.0/nics/c1/eth0?release=maybe")).status).toBe(400);
    expect(await client.list()).toEqual(before);
  });

  it("refuses a second attach of the same NIC (409) and a missing namespace (404), attaching nothing", async () => {
    await client.attach(attachBody());
    await expect(client.attach(attachBody())).rejects.toMatchObject({ code: "IN_USE", status: 409 });
    await expect(client.attach({ ...attachBody("missing") })).rejects.toMatchObject({ code: "NOT_FOUND", status: 404 });
    expect((await client.list()).map((n) => n.instance)).toEqual(["c1"]);
  });

  it("reload: an invalid config is refused and the running one stays; a valid one serves NICs attached afterwards", async () => {
    await client.attach(attachBody("old"));
    writeConfig("{ not json");
    expect(await daemon.reload()).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) });
    writeConfig(staticLease("192.0.2.20", { failStart: true }));
    expect(await daemon.reload()).toMatchObject({ ok: false, error: expect.stringMatching(/fixture told to fail/) });
    expect(daemon.info().generation).toBe(0);

    writeConfig(staticLease("192.0.2.20"));
    expect(await daemon.reload()).toEqual({ ok: true });
    expect(daemon.info().generation).toBe(1);
    const other = new RecordingLinkConfigurator();
    link = other;
    await client.attach(attachBody("new"));
    await poll(async () => (await other.snapshot("eth0")).addresses.map((a) => a.address)).toContain("192.0.2.20");
    expect((await client.list()).map((n) => n.instance)).toEqual(["old", "new"]);
    // The NIC of the old config still runs, and stops with it.
    await client.detach("old", "eth0");
    expect((await client.list()).map((n) => n.instance)).toEqual(["new"]);
  });

  it("stops gracefully: runners stopped without releasing (unless the NIC asked), socket removed", async () => {
    await client.attach(attachBody("kept"));
    await client.attach({ ...attachBody("released"), interface: "eth1", release_on_stop: true });
    await poll(async () => (await link.snapshot("eth1")).addresses.length).toBe(2);
    await server.close();
    await daemon.stop();
    expect(await addressesOf()).toEqual(["192.0.2.10", "2001:db8:1::10"]);
    expect((await link.snapshot("eth1")).addresses).toEqual([]);
    expect(() => statSync(socket)).toThrow(/ENOENT/);
    await expect(client.list()).rejects.toBeInstanceOf(DaemonRequestError);
  });

  it("drops an event stream whose client stopped reading once 1 MiB waits, and keeps serving", async () => {
    const closed = new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: socket, path: "/1.0/events" }, (res) => {
        res.pause();
        res.once("close", resolve);
      });
      req.once("error", reject);
      req.end();
    });
    await poll(() => daemon.events.size).toBe(1);
    const padding = "x".repeat(1024);
    for (let i = 0; i < 4096 && daemon.events.size > 0; i++) daemon.events.publish("lease", { padding });
    await closed;
    await poll(() => daemon.events.size).toBe(0);
    expect((await client.server()).api_version).toBe("1.0");
  });

  it("refuses to take over a socket another process listens on, and replaces a stale one", async () => {
    await expect(DaemonServer.listen(daemon, { socket })).rejects.toMatchObject({ code: "IN_USE" });
    const stale = join(dir, "stale.sock");
    // A process killed while listening leaves its socket file behind, as a killed daemon does.
    const holder = spawn(process.execPath, ["-e", `require("node:net").createServer().listen(${JSON.stringify(stale)}, () => console.log("up"))`]);
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.once("exit", resolve));
    expect(statSync(stale).isSocket()).toBe(true);
    const second = await DaemonServer.listen(daemon, { socket: stale });
    expect((await new DaemonClient(stale).server()).api_version).toBe("1.0");
    await second.close();
  });

  it.skipIf(process.getuid?.() !== 0)("refuses a client that is not root (uid 65534) by the socket's mode", async () => {
    const script = `require("node:http").request({ socketPath: ${JSON.stringify(socket)}, path: "/1.0/nics", method: "POST" }, () => console.log("ANSWERED")).on("error", (e) => console.log(e.code)).end("{}")`;
    // The socket's directories must be reachable for the refusal to be the socket's own.
    chmodSync(dir, 0o755);
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], (error, stdout) =>
        error ? reject(error) : resolve({ stdout }),
      ),
    );
    expect(stdout.trim()).toBe("EACCES");
    expect(await client.list()).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)("refuses a non-root client (uid 65534) with 403 by its peer credentials even when the socket's mode lets it connect", async () => {
    // The mistake the check is there for: a socket chmodded wide open.
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "run"), 0o755);
    chmodSync(socket, 0o666);
    const script = `require("node:http").request({ socketPath: ${JSON.stringify(socket)}, path: "/1.0/nics", method: "POST", headers: { "Content-Type": "application/json" } }, (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => console.log(res.statusCode + " " + b)); }).on("error", (e) => console.log(e.code)).end(${JSON.stringify(JSON.stringify(attachBody("intruder")))})`;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], (error, stdout) =>
        error ? reject(error) : resolve({ stdout }),
      ),
    );
    const [status, ...rest] = stdout.trim().split(" ");
    expect(status).toBe("403");
    const body = JSON.parse(rest.join(" ")) as Record<string, unknown>;
    expect(body).toMatchObject({ type: "error", error_code: 403, code: FORBIDDEN });
    expect(body.error).toMatch(/^Only root may use the incusx daemon API; this client is refused: uid 65534 \(pid \d+\) is not root$/);
    // Nothing was attached, and the refusal is in the log with who it was.
    expect(await client.list()).toEqual([]);
    expect(serverLogs.filter((r) => r.level === "warn").map((r) => [r.message.replace(/pid \d+/, "pid N"), r.fields?.uid])).toEqual([
      ["Refused a connection: its peer is not root (uid 65534, gid 65534, pid N)", 65534],
    ]);
  });

  it("refuses every request of a connection whose peer credentials are not root's, or cannot be read, and logs it once per connection", async () => {
    await server.close();
    let peer: () => { pid: number; uid: number; gid: number } = () => ({ pid: 4242, uid: 1000, gid: 1000 });
    server = await DaemonServer.listen(daemon, { socket, logSink: (record) => serverLogs.push(record), peerCredentials: () => peer() });
    // A connection each (no keep-alive), so each is checked afresh.
    const close = { Connection: "close" };
    const refused = await raw(socket, "POST", "/1.0/nics", JSON.stringify(attachBody()), { "Content-Type": "application/json", ...close });
    expect(refused).toEqual({
      status: 403,
      body: { type: "error", error: "Only root may use the incusx daemon API; this client is refused: uid 1000 (pid 4242) is not root", error_code: 403, code: FORBIDDEN },
    });
    expect((await raw(socket, "GET", "/1.0", undefined, close)).status).toBe(403);
    peer = () => {
      throw Object.assign(new Error("getsockopt: Bad file descriptor"), { code: "EBADF" });
    };
    expect((await raw(socket, "GET", "/1.0/nics", undefined, close)).body).toMatchObject({ error_code: 403, code: FORBIDDEN, error: expect.stringContaining("its credentials cannot be read (getsockopt: Bad file descriptor)") });
    expect(serverLogs.map((r) => r.level)).toEqual(["warn", "warn", "error"]);
    expect(daemon.list()).toEqual([]);
    peer = () => ({ pid: 1, uid: 0, gid: 0 });
    expect((await client.server()).api_version).toBe("1.0");
  });
});
