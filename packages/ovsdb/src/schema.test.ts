import { describe, expect, it } from "vitest";
import { checkTransactResult } from "./replies.js";
import { OvsdbCommitError, OvsdbOperationError, OvsdbProtocolError } from "./errors.js";
import { op } from "./operations.js";
import { pruneOperations, pruneRow, type DatabaseSchema } from "./schema.js";
import { mapRecord, namedUuid, ovsMap, ovsSet, setAtoms, uuid, uuidsOf } from "./values.js";

// NAT as an OVN 22.03 server has it: no gateway_port, match or priority yet.
const OLD_SCHEMA: DatabaseSchema = {
  name: "OVN_Northbound",
  version: "6.1.0",
  tables: {
    NAT: {
      columns: {
        type: { type: "string" },
        logical_ip: { type: "string" },
        external_ip: { type: "string" },
        external_ids: { type: { key: "string", value: "string", min: 0, max: "unlimited" } },
      },
    },
  },
};

describe("schema-aware writes", () => {
  it("drops the columns an older server's NAT table does not have", () => {
    const row = { type: "snat", logical_ip: "10.0.0.5", external_ip: "198.51.100.9", priority: 10, match: "", gateway_port: ovsSet([]) };
    expect(pruneRow(OLD_SCHEMA, "NAT", row)).toEqual({
      row: { type: "snat", logical_ip: "10.0.0.5", external_ip: "198.51.100.9" },
      dropped: ["priority", "match", "gateway_port"],
    });
  });

  it("prunes insert and update rows and wait/select columns, keeping _uuid", () => {
    const ops = pruneOperations(OLD_SCHEMA, [
      op.insert("NAT", { type: "snat", priority: 1 }, "n"),
      op.update("NAT", [], { match: "x", logical_ip: "10.0.0.6" }),
      op.select("NAT", [], ["_uuid", "priority", "logical_ip"]),
      op.wait("NAT", [], ["_uuid", "match"], "==", [{ _uuid: uuid("u"), match: "" }]),
      op.comment("hi"),
    ]);
    expect(ops).toEqual([
      { op: "insert", table: "NAT", row: { type: "snat" }, "uuid-name": "n" },
      { op: "update", table: "NAT", where: [], row: { logical_ip: "10.0.0.6" } },
      { op: "select", table: "NAT", where: [], columns: ["_uuid", "logical_ip"] },
      { op: "wait", table: "NAT", where: [], columns: ["_uuid"], until: "==", rows: [{ _uuid: ["uuid", "u"] }], timeout: 0 },
      { op: "comment", comment: "hi" },
    ]);
  });
});

describe("transact results", () => {
  const ops = [op.select("NAT"), op.insert("NAT", { type: "snat" })];

  it("returns one result per operation", () => {
    expect(checkTransactResult(ops, [{ rows: [] }, { uuid: ["uuid", "x"] }])).toEqual([{ rows: [] }, { uuid: ["uuid", "x"] }]);
  });

  it("names the failed operation by index", () => {
    const error = (() => {
      try {
        checkTransactResult(ops, [{ rows: [] }, { error: "constraint violation", details: "bad" }]);
      } catch (e) {
        return e as OvsdbOperationError;
      }
    })();
    expect(error).toBeInstanceOf(OvsdbOperationError);
    expect([error?.index, error?.op, error?.error, error?.code]).toEqual([1, "insert", "constraint violation", "OVSDB_OPERATION_ERROR"]);
  });

  it("reports an error past the last operation as a commit error", () => {
    expect(() => checkTransactResult(ops, [{ rows: [] }, { uuid: ["uuid", "x"] }, { error: "referential integrity violation" }])).toThrow(
      OvsdbCommitError,
    );
  });

  it("refuses a reply that is not an array or too short", () => {
    expect(() => checkTransactResult(ops, { rows: [] })).toThrow(OvsdbProtocolError);
    expect(() => checkTransactResult(ops, [{ rows: [] }])).toThrow(OvsdbProtocolError);
  });
});

describe("values", () => {
  it("reads sets in both spellings and maps as records", () => {
    expect(setAtoms(uuid("a"))).toEqual([["uuid", "a"]]);
    expect(uuidsOf(ovsSet([uuid("a"), uuid("b")]))).toEqual(["a", "b"]);
    expect(uuidsOf(["set", []])).toEqual([]);
    expect(mapRecord(ovsMap({ k: "v", "incusx:owner": "x" }))).toEqual({ k: "v", "incusx:owner": "x" });
    expect(namedUuid("n")).toEqual(["named-uuid", "n"]);
  });
});
