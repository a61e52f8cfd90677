// @incusx/ovsdb against a real ovsdb-server holding OVN's NB schema.
import {
  OvsdbClient,
  OvsdbCommitError,
  OvsdbConnectionLostError,
  OvsdbErrorCode,
  OvsdbOperationError,
  OvsdbRpcError,
  RpcConnection,
  namedUuid,
  op,
  ovsMap,
  parseEndpoints,
  uuid,
  uuidOf,
  type MonitorUpdate,
  type SelectResult,
} from "@incusx/ovsdb";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { createServer, type Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const NB = "OVN_Northbound";
let nb: OvnTestNorthbound;
const clients: OvsdbClient[] = [];

async function connect(connection = nb.connection): Promise<OvsdbClient> {
  const client = await OvsdbClient.connect(connection, { database: NB });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  nb = await startOvnNorthbound();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await nb.stop();
});

describe("OvsdbClient against a real ovsdb-server", () => {
  it("lists the databases and reads the NB schema", async () => {
    const client = await connect();
    expect(await client.listDbs()).toEqual(expect.arrayContaining([NB, "_Server"]));
    const schema = await client.getSchema(NB);
    expect(schema.name).toBe(NB);
    expect(Object.keys(schema.tables.NAT!.columns)).toEqual(expect.arrayContaining(["type", "logical_ip", "external_ip", "external_ids"]));
  });

  it("commits a transaction that ovn-nbctl then sees", async () => {
    const client = await connect();
    const results = await client.transact(NB, [
      op.insert("Logical_Router", { name: "lr0" }, "lr"),
      op.insert("NAT", { type: "snat", logical_ip: "10.0.0.5", external_ip: "198.51.100.9", external_ids: ovsMap({ k: "v" }) }, "n"),
      op.mutate("Logical_Router", [["_uuid", "==", namedUuid("lr")]], [["nat", "insert", namedUuid("n")]]),
      op.comment("incusx test"),
    ]);
    expect(results[2]).toEqual({ count: 1 });
    expect(await nb.nbctl("lr-nat-list", "lr0")).toMatch(/snat\s+198\.51\.100\.9\s+10\.0\.0\.5/);
    const [select] = (await client.transact(NB, [op.select("NAT", [["logical_ip", "==", "10.0.0.5"]], ["_uuid", "external_ids"])])) as [SelectResult];
    expect(uuidOf(select.rows[0]!._uuid)).toBe(uuidOf((results[1] as { uuid: unknown }).uuid));
  });

  it("reports a failed wait as an operation error naming its index, and commits nothing", async () => {
    const client = await connect();
    await nb.nbctl("lr-add", "lr0");
    const attempt = client.transact(NB, [
      op.insert("Logical_Router", { name: "lr1" }),
      op.wait("Logical_Router", [["name", "==", "lr0"]], ["name"], "==", []),
    ]);
    await expect(attempt).rejects.toBeInstanceOf(OvsdbOperationError);
    await expect(attempt).rejects.toMatchObject({ index: 1, op: "wait", error: "timed out", code: OvsdbErrorCode.Operation });
    expect((await nb.nbctl("--bare", "--columns=name", "list", "Logical_Router")).trim()).toBe("lr0");
  });

  it("reports a referential integrity violation as a commit error", async () => {
    const client = await connect();
    const attempt = client.transact(NB, [
      op.insert("Logical_Router", { name: "lr0", nat: ["set", [uuid("00000000-0000-0000-0000-000000000001")]] }),
    ]);
    await expect(attempt).rejects.toBeInstanceOf(OvsdbCommitError);
    await expect(attempt).rejects.toMatchObject({ code: OvsdbErrorCode.Commit, error: "referential integrity violation" });
  });

  it("reports a table constraint (NB_Global holds one row) as a commit error, and a bad value as an operation error", async () => {
    const client = await connect();
    const twice = client.transact(NB, [op.insert("NB_Global", {}), op.insert("NB_Global", {})]);
    await expect(twice).rejects.toMatchObject({ code: OvsdbErrorCode.Commit, error: "constraint violation" });
    const bad = client.transact(NB, [op.select("NAT"), op.insert("NAT", { type: "not-a-nat-type", logical_ip: "x", external_ip: "y" })]);
    await expect(bad).rejects.toMatchObject({ code: OvsdbErrorCode.Operation, index: 1, op: "insert", error: "constraint violation" });
  });

  it("reports an unknown database as an RPC error", async () => {
    const client = await connect();
    await expect(client.getSchema("No_Such_Db")).rejects.toBeInstanceOf(OvsdbRpcError);
    await expect(client.transact("No_Such_Db", [op.select("NAT")])).rejects.toMatchObject({ code: OvsdbErrorCode.Rpc });
  });

  it("delivers monitor_cond_since updates for changes made by ovn-nbctl, and only matching rows", async () => {
    const client = await connect();
    const updates: MonitorUpdate[] = [];
    const events: [string, MonitorUpdate][] = [];
    client.on("update", (id: string, u: MonitorUpdate) => events.push([id, u]));
    const monitor = await client.monitor(NB, { Logical_Router: { columns: ["name"], where: [["name", "!=", "ignored"]] } }, (u) => updates.push(u));
    expect(updates).toHaveLength(1);
    expect(updates[0]!.initial).toBe(true);
    await nb.nbctl("lr-add", "ignored");
    await nb.nbctl("lr-add", "lr0");
    await expect.poll(() => updates.length, { timeout: 5000 }).toBe(2);
    const change = Object.values(updates[1]!.updates.Logical_Router!)[0]!;
    expect(change).toEqual({ insert: { name: "lr0" } });
    expect(updates[1]!.lastTxnId).toMatch(/^[0-9a-f-]{36}$/);
    // The same updates also arrive as "update" events on the client.
    expect(events).toEqual(updates.map((u) => [monitor.id, u]));
  });

  it("stops delivering updates after monitor_cancel", async () => {
    const client = await connect();
    const cancelled: MonitorUpdate[] = [];
    const watching: MonitorUpdate[] = [];
    const monitor = await client.monitor(NB, { Logical_Router: { columns: ["name"] } }, (u) => cancelled.push(u), { since: false });
    await client.monitor(NB, { Logical_Switch: { columns: ["name"] } }, (u) => watching.push(u));
    await monitor.cancel();
    await nb.nbctl("lr-add", "lr-after-cancel");
    await nb.nbctl("ls-add", "sentinel");
    await expect.poll(() => watching.length).toBe(2);
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]).toMatchObject({ initial: true, found: false });
  });

  it("answers the server's echo and its own echo gets an answer", async () => {
    const conn = await RpcConnection.open(parseEndpoints(nb.connection)[0]!);
    try {
      expect(await conn.request("echo", ["ping", 1])).toEqual(["ping", 1]);
    } finally {
      conn.close();
    }
  });

  it("honours an AbortSignal and a per-request timeout", async () => {
    const client = await connect();
    const controller = new AbortController();
    // A wait with a long timeout blocks on the server until it holds.
    const blocked = client.transact(NB, [op.wait("Logical_Router", [], ["name"], "!=", [], 60_000)], { signal: controller.signal });
    controller.abort();
    await expect(blocked).rejects.toMatchObject({ code: OvsdbErrorCode.Aborted });
    const slow = client.transact(NB, [op.wait("Logical_Router", [], ["name"], "!=", [], 60_000)], { timeoutMs: 100 });
    await expect(slow).rejects.toMatchObject({ code: OvsdbErrorCode.Timeout });
  });

  it("cancels an aborted transaction on the server, so its blocked wait never applies it", async () => {
    const client = await connect();
    const controller = new AbortController();
    const blocked = client.transact(
      NB,
      [op.wait("Logical_Router", [["name", "==", "trigger"]], ["name"], "==", [{ name: "trigger" }], 60_000), op.insert("Logical_Switch", { name: "too-late" })],
      { signal: controller.signal },
    );
    const aborted = expect(blocked).rejects.toMatchObject({ code: OvsdbErrorCode.Aborted });
    // The server reads a session's requests in order: once the echo is answered, it holds the blocked transaction.
    await client.request("echo", []);
    controller.abort();
    await aborted;
    // Had the server kept the transaction, the router would now let it commit.
    await nb.nbctl("lr-add", "trigger");
    await client.transact(NB, [op.comment("after the trigger")]);
    expect((await nb.nbctl("--bare", "--columns=name", "list", "Logical_Switch")).trim()).toBe("");
  });

  it("fails pending requests with connection lost when the server dies, then reconnects to the next endpoint", async () => {
    const other = await startOvnNorthbound();
    try {
      await other.nbctl("lr-add", "on-other");
      const client = await connect(`${nb.connection},${other.connection}`);
      const pending = client.transact(NB, [op.wait("Logical_Router", [], ["name"], "!=", [], 60_000)]);
      const lost = expect(pending).rejects.toBeInstanceOf(OvsdbConnectionLostError);
      await nb.stop();
      await lost;
      const [select] = (await client.transact(NB, [op.select("Logical_Router", [], ["name"])])) as [SelectResult];
      expect(select.rows).toEqual([{ name: "on-other" }]);
      expect(client.endpoint).toBe(other.connection);
    } finally {
      await other.stop();
    }
  });

  it("re-establishes a monitor on the next endpoint when its server dies", async () => {
    const other = await startOvnNorthbound();
    try {
      await other.nbctl("lr-add", "on-other");
      const client = await OvsdbClient.connect(`${nb.connection},${other.connection}`, { database: NB, initialBackoffMs: 20 });
      clients.push(client);
      const updates: MonitorUpdate[] = [];
      await client.monitor(NB, { Logical_Router: { columns: ["name"] } }, (u) => updates.push(u));
      await nb.stop();
      // The new server's whole contents arrive as a fresh initial update (found: false: drop what you had).
      await expect.poll(() => updates.length, { timeout: 10_000 }).toBe(2);
      expect(updates[1]).toMatchObject({ initial: true, found: false });
      expect(Object.values(updates[1]!.updates.Logical_Router!)).toEqual([{ initial: { name: "on-other" } }]);
      await other.nbctl("lr-add", "later");
      await expect.poll(() => updates.length, { timeout: 5000 }).toBe(3);
      expect(Object.values(updates[2]!.updates.Logical_Router!)).toEqual([{ insert: { name: "later" } }]);
    } finally {
      await other.stop();
    }
  });
});

describe("RpcConnection probes", () => {
  let dir: string;
  let sockets: Socket[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "incusx-probe-"));
    sockets = [];
  });
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends an echo when the line is quiet and declares the connection lost when nothing answers", async () => {
    const received: string[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.on("data", (d) => received.push(d.toString()));
    });
    const path = join(dir, "silent.sock");
    await new Promise<void>((r) => server.listen(path, r));
    try {
      let lost: unknown;
      const conn = await RpcConnection.open(parseEndpoints(`unix:${path}`)[0]!, { probeIntervalMs: 50, onClose: (e) => (lost = e) });
      await expect.poll(() => lost, { timeout: 2000 }).toBeInstanceOf(OvsdbConnectionLostError);
      expect(received.join("")).toContain('"method":"echo"');
      expect(conn.closed).toBe(true);
    } finally {
      server.close();
    }
  });

  it("answers the server's echo request with its params", async () => {
    let reply = "";
    const server = createServer((s) => {
      sockets.push(s);
      s.on("data", (d) => (reply += d.toString()));
      s.write('{"method":"echo","params":["x",{"a":"}"}],"id":"echo"}');
    });
    const path = join(dir, "echo.sock");
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const conn = await RpcConnection.open(parseEndpoints(`unix:${path}`)[0]!, { probeIntervalMs: 0 });
      await expect.poll(() => reply, { timeout: 2000 }).not.toBe("");
      expect(JSON.parse(reply)).toEqual({ id: "echo", result: ["x", { a: "}" }], error: null });
      conn.close();
    } finally {
      server.close();
    }
  });
});
