// Monitor types (RFC 7047 section 4.1.5, with the conditional monitors of
// the ovsdb-server(7) manual: monitor_cond, monitor_cond_since, update2/3).

import type { OvsdbCondition } from "./operations.js";
import type { OvsdbRow } from "./values.js";

/** What to monitor in one table. */
export interface MonitorCondRequest {
  /** Columns to report; all when absent. */
  readonly columns?: readonly string[];
  /** Rows to report: a conjunction of conditions (`true` or absent: every row). */
  readonly where?: readonly OvsdbCondition[];
  /** Which changes to report (default all). */
  readonly select?: {
    readonly initial?: boolean;
    readonly insert?: boolean;
    readonly delete?: boolean;
    readonly modify?: boolean;
  };
}

/** Monitor requests by table. */
export type MonitorCondRequests = Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>;

/**
 * One row's change in an update2/update3 notification. ovsdb-server sends
 * `"delete": null`; other OVSDB servers send an empty row, accepted too.
 */
export type RowUpdate2 =
  | { readonly initial: OvsdbRow }
  | { readonly insert: OvsdbRow }
  | { readonly delete: null | OvsdbRow }
  | { readonly modify: OvsdbRow };

/** Changes by table, then by row UUID. */
export type TableUpdates2 = Readonly<Record<string, Readonly<Record<string, RowUpdate2>>>>;

/** What a monitor's listener receives. */
export interface MonitorUpdate {
  /** The changes. */
  readonly updates: TableUpdates2;
  /**
   * True for the reply to a (re-)established monitor. When `found` is
   * false it holds the whole current contents: drop what you had.
   */
  readonly initial: boolean;
  /** For an initial update: whether the server resumed from the last transaction seen (only changes since follow). */
  readonly found: boolean;
  /** The server's last transaction id after this update (monitor_cond_since only), if known. */
  readonly lastTxnId: string | undefined;
}

/** A running monitor. */
export interface Monitor {
  /** The monitor's id as sent to the server. */
  readonly id: string;
  /** Stops the monitor (`monitor_cancel`); harmless twice. */
  cancel(): Promise<void>;
}
