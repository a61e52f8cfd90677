// @incusx/ovsdb: an RFC 7047 (OVSDB) client. A plain library: node: modules only.

export { OvsdbClient } from "./client.js";
export type { OvsdbClientOptions } from "./client.js";
export { RpcConnection } from "./connection.js";
export type { RequestOptions, RpcConnectionOptions } from "./connection.js";
export { parseEndpoints } from "./endpoint.js";
export type { OvsdbEndpoint } from "./endpoint.js";
export {
  OvsdbAbortedError,
  OvsdbClosedError,
  OvsdbCommitError,
  OvsdbConnectionLostError,
  OvsdbError,
  OvsdbErrorCode,
  OvsdbInvalidArgumentError,
  OvsdbOperationError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  OvsdbUnavailableError,
} from "./errors.js";
export type { OvsdbOperationFailure } from "./errors.js";
export { DEFAULT_MAX_MESSAGE_BYTES, JsonStreamSplitter, MAX_JSON_DEPTH } from "./json-stream.js";
export type { Monitor, MonitorCondRequest, MonitorCondRequests, MonitorUpdate, RowUpdate2, TableUpdates2 } from "./monitor.js";
export { op } from "./operations.js";
export { checkTransactResult } from "./replies.js";
export type {
  AssertOperation,
  CommentOperation,
  ConditionFunction,
  CountResult,
  DeleteOperation,
  InsertOperation,
  InsertResult,
  MutateOperation,
  Mutator,
  OperationResult,
  OvsdbCondition,
  OvsdbMutation,
  OvsdbOperation,
  SelectOperation,
  SelectResult,
  UpdateOperation,
  WaitOperation,
} from "./operations.js";
export { hasColumn, pruneOperations, pruneRow } from "./schema.js";
export type { ColumnSchema, DatabaseSchema, TableSchema } from "./schema.js";
export { mapRecord, namedUuid, optionalAtom, ovsMap, ovsSet, setAtoms, uuid, uuidOf, uuidsOf } from "./values.js";
export type { OvsdbAtom, OvsdbMap, OvsdbNamedUuid, OvsdbRow, OvsdbSet, OvsdbUuid, OvsdbValue } from "./values.js";
