// RFC 7047 section 5.2: transaction operations, with builders so a caller
// writes `op.insert("NAT", row, "newnat")` instead of raw JSON.

import type { OvsdbRow, OvsdbValue } from "./values.js";

/** A comparison function of a condition. */
export type ConditionFunction = "<" | "<=" | "==" | "!=" | ">=" | ">" | "includes" | "excludes";
/** One condition: `[column, function, value]`; a where clause is their conjunction. */
export type OvsdbCondition = readonly [string, ConditionFunction, OvsdbValue];
/** A mutator of a mutate operation. */
export type Mutator = "+=" | "-=" | "*=" | "/=" | "%=" | "insert" | "delete";
/** One mutation: `[column, mutator, value]`. */
export type OvsdbMutation = readonly [string, Mutator, OvsdbValue];

/** Inserts a row; `uuid-name` lets later ops in the same transaction refer to it. */
export interface InsertOperation {
  readonly op: "insert";
  readonly table: string;
  readonly row: OvsdbRow;
  readonly "uuid-name"?: string;
}
/** Reads rows. */
export interface SelectOperation {
  readonly op: "select";
  readonly table: string;
  readonly where: readonly OvsdbCondition[];
  readonly columns?: readonly string[];
}
/** Sets columns of matching rows. */
export interface UpdateOperation {
  readonly op: "update";
  readonly table: string;
  readonly where: readonly OvsdbCondition[];
  readonly row: OvsdbRow;
}
/** Mutates columns of matching rows; the result's `count` says how many matched. */
export interface MutateOperation {
  readonly op: "mutate";
  readonly table: string;
  readonly where: readonly OvsdbCondition[];
  readonly mutations: readonly OvsdbMutation[];
}
/** Deletes matching rows. */
export interface DeleteOperation {
  readonly op: "delete";
  readonly table: string;
  readonly where: readonly OvsdbCondition[];
}
/** Fails the transaction unless the matching rows (projected on `columns`) compare to `rows` as `until` says. */
export interface WaitOperation {
  readonly op: "wait";
  readonly table: string;
  readonly where: readonly OvsdbCondition[];
  readonly columns: readonly string[];
  readonly until: "==" | "!=";
  readonly rows: readonly OvsdbRow[];
  readonly timeout?: number;
}
/** Adds a comment to the server's log. */
export interface CommentOperation {
  readonly op: "comment";
  readonly comment: string;
}
/** Fails the transaction unless this client still holds `lock`. */
export interface AssertOperation {
  readonly op: "assert";
  readonly lock: string;
}
/** Any operation. */
export type OvsdbOperation =
  | InsertOperation
  | SelectOperation
  | UpdateOperation
  | MutateOperation
  | DeleteOperation
  | WaitOperation
  | CommentOperation
  | AssertOperation;

/** Result of a successful insert. */
export interface InsertResult {
  readonly uuid: readonly ["uuid", string];
}
/** Result of a successful select. */
export interface SelectResult {
  readonly rows: readonly OvsdbRow[];
}
/** Result of a successful update, mutate or delete. */
export interface CountResult {
  readonly count: number;
}
/** Result of one operation of a committed transaction (wait, comment and assert give `{}`). */
export type OperationResult = InsertResult | SelectResult | CountResult | Readonly<Record<string, never>>;

/**
 * Builders for every RFC 7047 operation.
 *
 * @example
 * await client.transact("OVN_Northbound", [
 *   op.wait("Logical_Router", [["name", "==", "lr0"]], ["name"], "==", [{ name: "lr0" }]),
 *   op.insert("NAT", { type: "snat", logical_ip: "10.0.0.5", external_ip: "198.51.100.9" }, "n"),
 *   op.mutate("Logical_Router", [["name", "==", "lr0"]], [["nat", "insert", namedUuid("n")]]),
 * ]);
 */
export const op = {
  /** An insert; name it with `uuidName` to reference it later in the transaction. */
  insert(table: string, row: OvsdbRow, uuidName?: string): InsertOperation {
    return uuidName === undefined ? { op: "insert", table, row } : { op: "insert", table, row, "uuid-name": uuidName };
  },
  /** A select; all columns unless `columns` is given. */
  select(table: string, where: readonly OvsdbCondition[] = [], columns?: readonly string[]): SelectOperation {
    return columns === undefined ? { op: "select", table, where } : { op: "select", table, where, columns };
  },
  /** An update. */
  update(table: string, where: readonly OvsdbCondition[], row: OvsdbRow): UpdateOperation {
    return { op: "update", table, where, row };
  },
  /** A mutate. */
  mutate(table: string, where: readonly OvsdbCondition[], mutations: readonly OvsdbMutation[]): MutateOperation {
    return { op: "mutate", table, where, mutations };
  },
  /** A delete. */
  delete(table: string, where: readonly OvsdbCondition[]): DeleteOperation {
    return { op: "delete", table, where };
  },
  /** A wait; `timeout` defaults to 0 (check once, fail the transaction at once when it does not hold). */
  wait(
    table: string,
    where: readonly OvsdbCondition[],
    columns: readonly string[],
    until: "==" | "!=",
    rows: readonly OvsdbRow[],
    timeout = 0,
  ): WaitOperation {
    return { op: "wait", table, where, columns, until, rows, timeout };
  },
  /** A comment for the server's log. */
  comment(comment: string): CommentOperation {
    return { op: "comment", comment };
  },
  /** An assert on a lock this client holds. */
  assert(lock: string): AssertOperation {
    return { op: "assert", lock };
  },
} as const;
