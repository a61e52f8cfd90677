// OvsdbClient's choice of cluster member, against small fake servers that
// answer the `_Server.Database` select the way a raft member does.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OvsdbClient } from "./client.js";
import { OvsdbUnavailableError } from "./errors.js";
import { JsonStreamSplitter } from "./json-stream.js";

interface MemberState {
  connected: boolean;
  leader: boolean;
  index: number;
}

interface FakeMember {
  readonly connection: string;
  readonly state: MemberState;
  readonly sockets: Set<Socket>;
  /** Drops every client connection. */
  drop(): void;
}

let dir: string;
const servers: Server[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-fake-ovsdb-"));
});
afterEach(async () => {
  for (const s of servers.splice(0)) s.close();
  await rm(dir, { recursive: true, force: true });
});

async function member(name: string, state: MemberState): Promise<FakeMember> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const splitter = new JsonStreamSplitter();
    socket.on("data", (chunk) => {
      for (const raw of splitter.push(chunk)) {
        const msg = raw as { method: string; params: unknown[]; id: unknown };
        let result: unknown = {};
        if (msg.method === "transact" && msg.params[0] === "_Server") {
          result = [{ rows: [{ name: "OVN_Northbound", model: "clustered", ...state, index: state.index }] }];
        } else if (msg.method === "list_dbs") result = [name];
        socket.write(JSON.stringify({ id: msg.id, result, error: null }));
      }
    });
  });
  servers.push(server);
  const path = join(dir, `${name}.sock`);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { connection: `unix:${path}`, state, sockets, drop: () => sockets.forEach((s) => s.destroy()) };
}

describe("OvsdbClient on a clustered database", () => {
  it("skips a member that is not connected to its cluster", async () => {
    const a = await member("a", { connected: false, leader: false, index: 10 });
    const b = await member("b", { connected: true, leader: true, index: 10 });
    const client = await OvsdbClient.connect(`${a.connection},${b.connection}`, { database: "OVN_Northbound" });
    expect(client.endpoint).toBe(b.connection);
    client.close();
  });

  it("after losing a member, skips one that is behind the highest raft index seen", async () => {
    const a = await member("a", { connected: true, leader: true, index: 40 });
    const b = await member("b", { connected: true, leader: false, index: 12 });
    const c = await member("c", { connected: true, leader: false, index: 41 });
    const client = await OvsdbClient.connect(`${a.connection},${b.connection},${c.connection}`, { database: "OVN_Northbound", initialBackoffMs: 5 });
    expect(client.endpoint).toBe(a.connection);
    const endpoints: string[] = [];
    client.on("connect", (e: string) => endpoints.push(e));
    const lost = new Promise((resolve) => client.once("disconnect", resolve));
    a.drop();
    await lost;
    expect(await client.listDbs()).toEqual(["c"]);
    expect(endpoints).toEqual([c.connection]);
    client.close();
  });

  it("with leaderOnly, uses only the leader", async () => {
    const a = await member("a", { connected: true, leader: false, index: 5 });
    const b = await member("b", { connected: true, leader: true, index: 5 });
    const client = await OvsdbClient.connect(`${a.connection},${b.connection}`, { database: "OVN_Northbound", leaderOnly: true });
    expect(client.endpoint).toBe(b.connection);
    client.close();
  });

  it("says why each endpoint was refused when none is usable", async () => {
    const a = await member("a", { connected: false, leader: false, index: 5 });
    const attempt = OvsdbClient.connect(`${a.connection},unix:${join(dir, "missing.sock")}`, { database: "OVN_Northbound" });
    await expect(attempt).rejects.toBeInstanceOf(OvsdbUnavailableError);
    await expect(attempt).rejects.toMatchObject({
      attempts: [expect.stringMatching(/a\.sock: member is not connected to its cluster/), expect.stringMatching(/missing\.sock: .*ENOENT/)],
    });
  });
});

describe("OvsdbClient reconnection", () => {
  it("closes a new connection whose monitors could not be re-established before trying the next one", async () => {
    let refuseMonitors = false;
    let opened = 0;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      opened++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      const splitter = new JsonStreamSplitter();
      socket.on("data", (chunk) => {
        for (const raw of splitter.push(chunk)) {
          const msg = raw as { method: string; params: unknown[]; id: unknown };
          if (msg.method !== "monitor_cond_since") socket.write(JSON.stringify({ id: msg.id, result: {}, error: null }));
          else if (refuseMonitors) socket.write(JSON.stringify({ id: msg.id, result: null, error: "unknown database" }));
          else socket.write(JSON.stringify({ id: msg.id, result: [false, "00000000-0000-0000-0000-000000000001", {}], error: null }));
        }
      });
    });
    servers.push(server);
    const path = join(dir, "m.sock");
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = await OvsdbClient.connect(`unix:${path}`, { initialBackoffMs: 1, maxBackoffMs: 5 });
    try {
      await client.monitor("OVN_Northbound", { NAT: {} }, () => {});
      refuseMonitors = true;
      sockets.forEach((s) => s.destroy());
      await expect.poll(() => opened, { timeout: 5000 }).toBeGreaterThanOrEqual(6);
      // Each refused attempt's socket is closed: at most the attempt in flight stays open.
      await expect.poll(() => sockets.size).toBeLessThanOrEqual(1);
    } finally {
      client.close();
    }
  });
});

describe("OvsdbClient reconnect event", () => {
  it("emits \"reconnect\" once per connection regained after a loss (monitors restored), never for the first one", async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // A client gone mid-write is expected here.
      socket.on("error", () => {});
      const splitter = new JsonStreamSplitter();
      socket.on("data", (chunk) => {
        for (const raw of splitter.push(chunk)) {
          const msg = raw as { method: string; id: unknown };
          const result = msg.method === "monitor_cond_since" ? [false, "00000000-0000-0000-0000-000000000001", {}] : msg.method === "list_dbs" ? ["OVN_Northbound"] : {};
          socket.write(JSON.stringify({ id: msg.id, result, error: null }));
        }
      });
    });
    servers.push(server);
    const path = join(dir, "r.sock");
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const connection = `unix:${path}`;
    const reconnects: string[] = [];
    const client = await OvsdbClient.connect(connection, { initialBackoffMs: 1, maxBackoffMs: 5 });
    client.on("reconnect", (endpoint: string) => reconnects.push(endpoint));
    try {
      await client.monitor("OVN_Northbound", { NAT: {} }, () => {});
      expect(reconnects).toEqual([]);
      // A running monitor reconnects by itself.
      sockets.forEach((s) => s.destroy());
      await expect.poll(() => reconnects, { timeout: 5000 }).toEqual([connection]);
    } finally {
      client.close();
    }

    // Without a monitor, the next request reconnects.
    const idle = await OvsdbClient.connect(connection, { initialBackoffMs: 1, maxBackoffMs: 5 });
    let idleReconnects = 0;
    idle.on("reconnect", () => idleReconnects++);
    try {
      const lost = new Promise((resolve) => idle.once("disconnect", resolve));
      sockets.forEach((s) => s.destroy());
      await lost;
      expect(idleReconnects).toBe(0);
      expect(await idle.listDbs()).toEqual(["OVN_Northbound"]);
      expect(idleReconnects).toBe(1);
    } finally {
      idle.close();
    }
  });
});

describe("OvsdbClient facing a malformed notification", () => {
  it("drops the connection with a protocol error instead of throwing out of the socket handler", async () => {
    const server = createServer((socket) => {
      const splitter = new JsonStreamSplitter();
      socket.on("data", (chunk) => {
        for (const raw of splitter.push(chunk)) {
          const msg = raw as { method: string; params: unknown[]; id: unknown };
          let result: unknown = {};
          if (msg.method === "transact") result = [{ rows: [{ name: "OVN_Northbound", model: "clustered", connected: true, leader: true, index: 1 }] }];
          else if (msg.method === "list_dbs") result = ["OVN_Northbound"];
          socket.write(JSON.stringify({ id: msg.id, result, error: null }));
          // A member update with no table updates at all.
          if (msg.method === "list_dbs") socket.write(JSON.stringify({ id: null, method: "update2", params: ["incusx-server-db"] }));
        }
      });
    });
    servers.push(server);
    const path = join(dir, "bad.sock");
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = await OvsdbClient.connect(`unix:${path}`, { database: "OVN_Northbound" });
    try {
      const lost = new Promise<unknown>((resolve) => client.once("disconnect", resolve));
      await client.listDbs();
      expect(await lost).toMatchObject({ code: "OVSDB_PROTOCOL_ERROR" });
    } finally {
      client.close();
    }
  });
});

describe("OvsdbClient against a server that drops every connection once set up", () => {
  it("backs off between reconnections instead of reconnecting in a tight loop", async () => {
    const opened: number[] = [];
    const server = createServer((socket) => {
      opened.push(performance.now());
      const splitter = new JsonStreamSplitter();
      socket.on("data", (chunk) => {
        for (const raw of splitter.push(chunk)) {
          const msg = raw as { method: string; id: unknown };
          const result = msg.method === "monitor_cond_since" ? [false, "00000000-0000-0000-0000-000000000001", {}] : {};
          socket.write(JSON.stringify({ id: msg.id, result, error: null }));
          // Set up, then gone: the next reconnection succeeds just as quickly.
          if (msg.method === "monitor_cond_since") setImmediate(() => socket.destroy());
        }
      });
    });
    servers.push(server);
    const path = join(dir, "flap.sock");
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = await OvsdbClient.connect(`unix:${path}`, { initialBackoffMs: 20, maxBackoffMs: 200 });
    try {
      await client.monitor("OVN_Northbound", { NAT: {} }, () => {});
      const start = opened.length;
      await expect.poll(() => opened.length, { timeout: 5000 }).toBeGreaterThanOrEqual(start + 4);
      // Each reconnection waits longer than the one before (20, 40, 80 ms), however fast the last one was set up.
      const gaps = opened.slice(start - 1, start + 4).map((t, i, all) => (i === 0 ? 0 : t - all[i - 1]!)).slice(1);
      expect(gaps[0]).toBeGreaterThanOrEqual(18);
      expect(gaps[1]).toBeGreaterThanOrEqual(38);
      expect(gaps[2]).toBeGreaterThanOrEqual(78);
    } finally {
      client.close();
    }
  });
});
