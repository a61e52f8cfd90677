// A database schema as `get_schema` returns it (RFC 7047 section 3.2),
// and the helper that keeps writes within it: OVN adds columns across
// releases (NAT gained `gateway_port`, `match`, `priority`, ...), so a row
// built for a newer schema must lose the columns an older server lacks.

import type { OvsdbOperation } from "./operations.js";
import type { OvsdbRow } from "./values.js";

/** One column's schema; only what the client uses is typed. */
export interface ColumnSchema {
  readonly type: unknown;
  readonly ephemeral?: boolean;
  readonly mutable?: boolean;
}

/** One table's schema. */
export interface TableSchema {
  readonly columns: Readonly<Record<string, ColumnSchema>>;
  readonly maxRows?: number;
  readonly isRoot?: boolean;
  readonly indexes?: readonly (readonly string[])[];
}

/** A database schema. */
export interface DatabaseSchema {
  readonly name: string;
  readonly version: string;
  readonly cksum?: string;
  readonly tables: Readonly<Record<string, TableSchema>>;
}

/** Columns every table has without declaring them. */
const IMPLICIT_COLUMNS = new Set(["_uuid", "_version"]);

/**
 * Whether `table` of `schema` has `column` (`_uuid` and `_version` always exist).
 * @example hasColumn(schema, "NAT", "gateway_port")
 */
export function hasColumn(schema: DatabaseSchema, table: string, column: string): boolean {
  return IMPLICIT_COLUMNS.has(column) || schema.tables[table]?.columns[column] !== undefined;
}

/**
 * `row` without the columns `table` of `schema` does not have. Returns the
 * kept row and the dropped column names. An unknown table keeps nothing.
 *
 * @example
 * const { row } = pruneRow(schema, "NAT", { type: "snat", logical_ip: "10.0.0.5", priority: 10 });
 */
export function pruneRow(schema: DatabaseSchema, table: string, row: OvsdbRow): { row: OvsdbRow; dropped: string[] } {
  let all = true;
  for (const column in row) if (!hasColumn(schema, table, column)) all = false;
  if (all) return { row, dropped: [] };
  const kept: Record<string, OvsdbRow[string]> = {};
  const dropped: string[] = [];
  for (const [column, value] of Object.entries(row)) {
    if (hasColumn(schema, table, column)) kept[column] = value;
    else dropped.push(column);
  }
  return { row: kept, dropped };
}

/**
 * `ops` with every insert/update row pruned to the columns `schema` has,
 * and `columns` lists of selects and waits filtered the same way (a wait's
 * `rows` too). Other operations are unchanged.
 *
 * @example
 * await client.transact(db, pruneOperations(await client.getSchema(db), ops));
 */
export function pruneOperations(schema: DatabaseSchema, ops: readonly OvsdbOperation[]): OvsdbOperation[] {
  return ops.map((operation) => {
    switch (operation.op) {
      case "insert":
      case "update": {
        const pruned = pruneRow(schema, operation.table, operation.row);
        return pruned.dropped.length === 0 ? operation : { ...operation, row: pruned.row };
      }
      case "select":
        return operation.columns === undefined
          ? operation
          : { ...operation, columns: operation.columns.filter((c) => hasColumn(schema, operation.table, c)) };
      case "wait":
        return {
          ...operation,
          columns: operation.columns.filter((c) => hasColumn(schema, operation.table, c)),
          rows: operation.rows.map((r) => pruneRow(schema, operation.table, r).row),
        };
      default:
        return operation;
    }
  });
}
