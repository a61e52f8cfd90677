// OvsdbClient against a server whose answers do not match what was asked:
// every one must end as a typed OvsdbError where it is received, never as
// a TypeError in the caller's code or a request that never settles.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OvsdbClient } from "./client.js";
import { OvsdbError, OvsdbProtocolError } from "./errors.js";
import { JsonStreamSplitter } from "./json-stream.js";
import type { MonitorUpdate } from "./monitor.js";
import { op, type OvsdbOperation } from "./operations.js";

interface Request {
  readonly method: string;
  readonly params: unknown[];
  readonly id: unknown;
}

/** What the fake server does with a request: a result to send, or its own writes. */
type Answer = (request: Request, socket: Socket) => unknown;

let dir: string;
const servers: Server[] = [];
const clients: OvsdbClient[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-ovsdb-replies-"));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.close();
  await rm(dir, { recursive: true, force: true });
});

const NO_REPLY = Symbol("no reply");

/** A server answering each request with `answer`'s result (NO_REPLY: the answer wrote what it wanted). */
async function fakeServer(answer: Answer): Promise<string> {
  const server = createServer((socket) => {
    const splitter = new JsonStreamSplitter();
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      for (const raw of splitter.push(chunk)) {
        const request = raw as Request;
        if (request.id === null) continue;
        const result = answer(request, socket);
        if (result !== NO_REPLY && !socket.destroyed) socket.write(JSON.stringify({ id: request.id, result, error: null }));
      }
    });
  });
  servers.push(server);
  const path = join(dir, `s${servers.length}.sock`);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return `unix:${path}`;
}

async function connect(answer: Answer, options: Parameters<typeof OvsdbClient.connect>[1] = {}): Promise<OvsdbClient> {
  const client = await OvsdbClient.connect(await fakeServer(answer), { probeIntervalMs: 0, ...options });
  clients.push(client);
  return client;
}

/** The error `promise` rejects with, or a marker when it resolves. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
}

const UUID = "550e8400-e29b-41d4-a716-446655440000";

describe("OvsdbClient.transact with a reply that does not match the operations", () => {
  const cases: { name: string; ops: OvsdbOperation[]; result: unknown }[] = [
    { name: "a select whose rows is a number", ops: [op.select("NAT")], result: [{ rows: 5 }] },
    { name: "a select whose row is not an object", ops: [op.select("NAT")], result: [{ rows: [5] }] },
    { name: "a select row with a set that is not an array", ops: [op.select("NAT")], result: [{ rows: [{ nat: ["set", 5] }] }] },
    { name: "a select row with a map of non-pairs", ops: [op.select("NAT")], result: [{ rows: [{ external_ids: ["map", [1, 2]] }] }] },
    { name: "a select row with a uuid that is not a string", ops: [op.select("NAT")], result: [{ rows: [{ _uuid: ["uuid", 7] }] }] },
    { name: "a mutate whose count is a string", ops: [op.mutate("NAT", [], [])], result: [{ count: "1" }] },
    { name: "a delete without count", ops: [op.delete("NAT", [])], result: [{}] },
    { name: "an insert without uuid", ops: [op.insert("NAT", {})], result: [{ count: 1 }] },
    { name: "an insert whose uuid is a bare string", ops: [op.insert("NAT", {})], result: [{ uuid: UUID }] },
    { name: "a result that is not an object", ops: [op.comment("x")], result: [5] },
    { name: "a reply that is not an array", ops: [op.select("NAT")], result: { rows: [] } },
    { name: "fewer results than operations", ops: [op.comment("a"), op.comment("b")], result: [{}] },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with a protocol error`, async () => {
      const client = await connect(() => c.result);
      const error = await failure(client.transact("OVN_Northbound", c.ops));
      expect(error).toBeInstanceOf(OvsdbProtocolError);
      expect((error as Error).message).toMatch(/^OVSDB transact reply/);
    });
  }

  it("still returns well-formed results, with every legal value spelling", async () => {
    const row = { _uuid: ["uuid", UUID], name: "lr0", nat: ["set", [["uuid", UUID]]], options: ["map", [["a", 1]]], up: true, n: 1.5 };
    const client = await connect(() => [{ uuid: ["uuid", UUID] }, { rows: [row] }, { count: 0 }, {}]);
    const ops = [op.insert("NAT", {}), op.select("Logical_Router"), op.update("NAT", [], {}), op.wait("NAT", [], [], "==", [])];
    expect(await client.transact("OVN_Northbound", ops)).toEqual([{ uuid: ["uuid", UUID] }, { rows: [row] }, { count: 0 }, {}]);
  });
});

describe("OvsdbClient requests with a reply of the wrong shape", () => {
  it("refuses a list_dbs reply that is not a list of names", async () => {
    const client = await connect(() => 5);
    expect(await failure(client.listDbs())).toBeInstanceOf(OvsdbProtocolError);
  });

  it("refuses a schema whose tables are not tables, before anything prunes with it", async () => {
    const client = await connect((r) => (r.method === "get_schema" ? { name: "OVN_Northbound", version: "7.0.0", tables: { NAT: 5 } } : []));
    expect(await failure(client.getSchema("OVN_Northbound"))).toBeInstanceOf(OvsdbProtocolError);
    expect(await failure(client.transactPruned("OVN_Northbound", [op.insert("NAT", { type: "snat" })]))).toBeInstanceOf(OvsdbProtocolError);
  });

  it("fails the pending request with a protocol error when the server sends a message that is not an object", async () => {
    const client = await connect((_request, socket) => {
      socket.write("[1, 2, 3]");
      return NO_REPLY;
    });
    const error = await failure(client.listDbs({ timeoutMs: 0 }));
    expect(error).toBeInstanceOf(OvsdbProtocolError);
  });
});

describe("OvsdbClient monitors with updates of the wrong shape", () => {
  it("refuses a monitor_cond_since reply whose updates are not an object", async () => {
    const seen: MonitorUpdate[] = [];
    const client = await connect((r) => (r.method === "monitor_cond_since" ? [false, UUID, 5] : {}));
    const error = await failure(client.monitor("OVN_Northbound", { NAT: {} }, (u) => seen.push(u)));
    expect(error).toBeInstanceOf(OvsdbProtocolError);
    expect(seen).toEqual([]);
  });

  it("refuses a monitor_cond reply with a row update that names no change", async () => {
    const client = await connect((r) => (r.method === "monitor_cond" ? { NAT: { [UUID]: { upsert: {} } } } : {}));
    expect(await failure(client.monitor("OVN_Northbound", { NAT: {} }, () => {}, { since: false }))).toBeInstanceOf(OvsdbProtocolError);
  });

  const notifications: { name: string; params: (monitorId: string) => unknown[] }[] = [
    { name: "an update3 whose updates are a number", params: (id) => [id, UUID, 5] },
    { name: "an update3 whose table updates are a string", params: (id) => [id, UUID, { NAT: "gone" }] },
    { name: "an update3 whose row is not an object", params: (id) => [id, UUID, { NAT: { [UUID]: { modify: 5 } } }] },
    { name: "an update3 whose transaction id is not a string", params: (id) => [id, 9, { NAT: {} }] },
    { name: "an update2 without updates", params: (id) => [id] },
  ];
  for (const n of notifications) {
    it(`ends the session with a protocol error on ${n.name}, and never hands it to the listener`, async () => {
      let monitorId = "";
      const client = await connect((r, socket) => {
        if (r.method !== "monitor_cond_since") return {};
        monitorId = r.params[1] as string;
        socket.write(JSON.stringify({ id: r.id, result: [false, UUID, {}], error: null }));
        const method = n.params(monitorId).length === 3 ? "update3" : "update2";
        setImmediate(() => socket.write(JSON.stringify({ id: null, method, params: n.params(monitorId) })));
        return NO_REPLY;
      });
      const seen: MonitorUpdate[] = [];
      const lost = new Promise<OvsdbError>((resolve) => client.once("disconnect", resolve));
      await client.monitor("OVN_Northbound", { NAT: {} }, (u) => seen.push(u));
      expect(await lost).toBeInstanceOf(OvsdbProtocolError);
      expect(seen.filter((u) => !u.initial)).toEqual([]);
    });
  }
});

describe("OvsdbClient facing a notification whose params are not an array", () => {
  it("ends the session with a protocol error instead of dropping the update", async () => {
    const client = await connect((r, socket) => {
      if (r.method !== "monitor_cond_since") return {};
      socket.write(JSON.stringify({ id: r.id, result: [false, UUID, {}], error: null }));
      setImmediate(() => socket.write(JSON.stringify({ id: null, method: "update3", params: { monitor: r.params[1] } })));
      return NO_REPLY;
    });
    const lost = new Promise<OvsdbError>((resolve) => client.once("disconnect", resolve));
    await client.monitor("OVN_Northbound", { NAT: {} }, () => {});
    expect(await lost).toBeInstanceOf(OvsdbProtocolError);
  });
});

describe("OvsdbClient maxMessageBytes", () => {
  it("ends the session with a protocol error on a reply larger than the limit", async () => {
    const client = await connect((r) => (r.method === "list_dbs" ? ["x".repeat(200_000)] : {}), { maxMessageBytes: 100_000 });
    const lost = new Promise<OvsdbError>((resolve) => client.once("disconnect", resolve));
    const error = await failure(client.listDbs());
    expect(error).toBeInstanceOf(OvsdbProtocolError);
    expect((error as Error).message).toMatch(/larger than 100000 bytes/);
    expect(await lost).toBe(error);
  });

  it("accepts a reply within the limit", async () => {
    const client = await connect((r) => (r.method === "list_dbs" ? ["x".repeat(50_000)] : {}), { maxMessageBytes: 100_000 });
    expect(await client.listDbs()).toEqual(["x".repeat(50_000)]);
  });

  it("refuses a reply nested deeper than 1000 levels", async () => {
    const deep = "[".repeat(1001) + "]".repeat(1001);
    const client = await connect((r, socket) => {
      socket.write(`{"id":${JSON.stringify(r.id)},"error":null,"result":${deep}}`);
      return NO_REPLY;
    });
    const error = await failure(client.listDbs());
    expect(error).toBeInstanceOf(OvsdbProtocolError);
    expect((error as Error).message).toMatch(/nested deeper than 1000/);
  });
});

describe("OvsdbClient monitor start", () => {
  it("delivers an update that arrives in the same chunk as the monitor's reply, after the initial contents", async () => {
    const row = { logical_ip: "10.0.0.5" };
    const client = await connect((r, socket) => {
      if (r.method !== "monitor_cond_since") return {};
      const reply = JSON.stringify({ id: r.id, result: [false, UUID, { NAT: { [UUID]: { initial: row } } }], error: null });
      const update = JSON.stringify({ id: null, method: "update3", params: [r.params[1], "00000000-0000-0000-0000-000000000002", { NAT: { [UUID]: { delete: null } } }] });
      socket.write(reply + update);
      return NO_REPLY;
    });
    const seen: MonitorUpdate[] = [];
    await client.monitor("OVN_Northbound", { NAT: {} }, (u) => seen.push(u));
    await expect.poll(() => seen.length).toBe(2);
    expect(seen.map((u) => [u.initial, u.updates])).toEqual([
      [true, { NAT: { [UUID]: { initial: row } } }],
      [false, { NAT: { [UUID]: { delete: null } } }],
    ]);
    expect(seen[1]!.lastTxnId).toBe("00000000-0000-0000-0000-000000000002");
  });
});
