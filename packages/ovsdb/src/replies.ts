// What the server's answers must look like before anything reads them.
// RFC 7047 fixes the shape of every reply the client relies on (a select
// gives rows, a mutate a count, a monitor table updates); a reply that
// does not match is refused here, as a typed OvsdbProtocolError, instead
// of surfacing later as a TypeError in whatever code reads it. Column
// values are checked against the value grammar (section 5.1) so the value
// readers (setAtoms, mapRecord, ...) can trust them; whether they fit the
// schema's column types is not checked.

import { OvsdbCommitError, OvsdbOperationError, OvsdbProtocolError } from "./errors.js";
import type { TableUpdates2 } from "./monitor.js";
import type { OperationResult, OvsdbOperation } from "./operations.js";
import type { DatabaseSchema } from "./schema.js";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The JSON type of `value`, for messages (never the value: it may be huge). */
function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isAtom(value: unknown): boolean {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return true;
  return Array.isArray(value) && value.length === 2 && (value[0] === "uuid" || value[0] === "named-uuid") && typeof value[1] === "string";
}

/** RFC 7047 5.1: an atom, `["set", [atom...]]` or `["map", [[atom, atom]...]]`. */
function isValue(value: unknown): boolean {
  if (isAtom(value)) return true;
  if (!Array.isArray(value) || value.length !== 2 || !Array.isArray(value[1])) return false;
  const elements = value[1] as unknown[];
  if (value[0] === "set") return elements.every(isAtom);
  if (value[0] === "map") return elements.every((pair) => Array.isArray(pair) && pair.length === 2 && isAtom(pair[0]) && isAtom(pair[1]));
  return false;
}

/** The first column of `row` whose value is not an OVSDB value, or `undefined`. */
function badColumn(row: JsonObject): string | undefined {
  for (const column in row) if (!isValue(row[column])) return column;
  return undefined;
}

/** Why `row` is not a row (an object of OVSDB values), or `undefined` when it is. */
function rowProblem(row: unknown): string | undefined {
  if (!isObject(row)) return `is ${kind(row)}, not a row`;
  const column = badColumn(row);
  return column === undefined ? undefined : `has column ${JSON.stringify(column)} that is not an OVSDB value`;
}

/** Why the result of `operation` is not what it returns, or `undefined` when it is. */
function resultProblem(operation: OvsdbOperation, result: unknown): string | undefined {
  if (!isObject(result)) return `is ${kind(result)}, not an object`;
  switch (operation.op) {
    case "insert": {
      const uuid = result.uuid;
      const ok = Array.isArray(uuid) && uuid.length === 2 && uuid[0] === "uuid" && typeof uuid[1] === "string";
      return ok ? undefined : `has no "uuid" of the form ["uuid", "..."]`;
    }
    case "select": {
      if (!Array.isArray(result.rows)) return `has "rows" that is ${kind(result.rows)}, not an array`;
      for (let i = 0; i < result.rows.length; i++) {
        const problem = rowProblem(result.rows[i]);
        if (problem !== undefined) return `row ${i} ${problem}`;
      }
      return undefined;
    }
    case "update":
    case "mutate":
    case "delete":
      return Number.isSafeInteger(result.count) && (result.count as number) >= 0 ? undefined : `has "count" that is ${kind(result.count)}, not a row count`;
    default:
      return undefined;
  }
}

/**
 * Turns a raw `transact` result into per-op results, or throws the typed
 * error it carries: {@link OvsdbOperationError} naming the failed op,
 * {@link OvsdbCommitError} for a failed commit, {@link OvsdbProtocolError}
 * when the reply does not match the operations (a select without a `rows`
 * array, a mutate without a numeric `count`, an insert without a `uuid`,
 * a row value outside RFC 7047's grammar, too few results).
 *
 * @example
 * const [select] = checkTransactResult(ops, await conn.request("transact", [db, ...ops])) as [SelectResult];
 */
export function checkTransactResult(ops: readonly OvsdbOperation[], result: unknown): OperationResult[] {
  if (!Array.isArray(result)) throw new OvsdbProtocolError(`OVSDB transact reply is ${kind(result)}, not an array of results`);
  for (let i = 0; i < result.length; i++) {
    const r = result[i] as { error?: unknown; details?: unknown } | null;
    if (r === null || typeof r !== "object" || typeof r.error !== "string") continue;
    const failure = { error: r.error, details: typeof r.details === "string" ? r.details : undefined };
    if (i < ops.length) throw new OvsdbOperationError(i, ops[i]!.op, failure);
    throw new OvsdbCommitError(failure);
  }
  if (result.length < ops.length) throw new OvsdbProtocolError(`OVSDB transact reply has ${result.length} results for ${ops.length} operations`);
  for (let i = 0; i < ops.length; i++) {
    const problem = resultProblem(ops[i]!, result[i]);
    if (problem !== undefined) throw new OvsdbProtocolError(`OVSDB transact reply does not match operation ${i} ("${ops[i]!.op}"): its result ${problem}`);
  }
  return result.slice(0, ops.length) as OperationResult[];
}

/**
 * `value` as table updates (`update2`/`update3` notifications and monitor
 * replies): tables to row UUIDs to exactly one of `initial`, `insert`,
 * `modify` (each a row) or `delete`. Throws {@link OvsdbProtocolError}
 * naming `what` otherwise.
 */
export function checkTableUpdates2(value: unknown, what: string): TableUpdates2 {
  if (!isObject(value)) throw new OvsdbProtocolError(`OVSDB ${what}: updates are ${kind(value)}, not an object`);
  for (const table in value) {
    const rows = value[table];
    if (!isObject(rows)) throw new OvsdbProtocolError(`OVSDB ${what}: updates of table ${JSON.stringify(table)} are ${kind(rows)}, not an object`);
    for (const uuid in rows) {
      const problem = rowUpdateProblem(rows[uuid]);
      if (problem !== undefined) throw new OvsdbProtocolError(`OVSDB ${what}: update of row ${JSON.stringify(uuid)} in ${JSON.stringify(table)} ${problem}`);
    }
  }
  return value as TableUpdates2;
}

const ROW_CHANGES = ["initial", "insert", "modify"] as const;

function rowUpdateProblem(update: unknown): string | undefined {
  if (!isObject(update)) return `is ${kind(update)}, not an object`;
  const keys = Object.keys(update);
  if (keys.length !== 1) return `names ${keys.length} changes, not one of "initial", "insert", "modify", "delete"`;
  const change = keys[0]!;
  // ovsdb-server sends "delete": null; other servers an empty row.
  if (change === "delete") return update.delete === null || isObject(update.delete) ? undefined : `has a "delete" that is ${kind(update.delete)}`;
  if (!(ROW_CHANGES as readonly string[]).includes(change)) return `names the unknown change ${JSON.stringify(change)}`;
  const problem = rowProblem(update[change]);
  return problem === undefined ? undefined : `("${change}") ${problem}`;
}

/** A `monitor_cond_since` reply: `[found, last-txn-id, updates]`. Throws {@link OvsdbProtocolError} otherwise. */
export function checkMonitorCondSinceReply(value: unknown): [boolean, string, TableUpdates2] {
  if (!Array.isArray(value) || value.length !== 3 || typeof value[0] !== "boolean" || typeof value[1] !== "string") {
    throw new OvsdbProtocolError("OVSDB monitor_cond_since reply is not [found, last-txn-id, updates]");
  }
  return [value[0], value[1], checkTableUpdates2(value[2], "monitor_cond_since reply")];
}

/** A `list_dbs` reply: database names. Throws {@link OvsdbProtocolError} otherwise. */
export function checkDatabaseNames(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === "string")) {
    throw new OvsdbProtocolError(`OVSDB list_dbs reply is ${kind(value)}, not a list of database names`);
  }
  return value;
}

/**
 * A `get_schema` reply: `name`, `version` and tables that each have
 * `columns`, which is all the client reads. Throws {@link OvsdbProtocolError} otherwise.
 */
export function checkDatabaseSchema(value: unknown): DatabaseSchema {
  if (!isObject(value) || typeof value.name !== "string" || typeof value.version !== "string" || !isObject(value.tables)) {
    throw new OvsdbProtocolError('OVSDB get_schema reply is not a schema with "name", "version" and "tables"');
  }
  for (const table in value.tables) {
    const schema = value.tables[table];
    if (!isObject(schema) || !isObject(schema.columns) || !Object.values(schema.columns).every(isObject)) {
      throw new OvsdbProtocolError(`OVSDB get_schema reply: table ${JSON.stringify(table)} has no "columns" object of column schemas`);
    }
  }
  return value as unknown as DatabaseSchema;
}
