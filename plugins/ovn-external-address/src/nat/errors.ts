import { ErrorCode, IncusxError } from "@incusx/sdk";

/** The plugin's id, as NAT rows record it in `external_ids`. */
export const PLUGIN_ID = "incusx.ovn-external-address";

/** Why an {@link OvnNatError} was raised; stable, for callers to branch on. */
export type OvnNatErrorReason =
  /** The rule is malformed (address of the wrong family, empty owner). */
  | "invalid-rule"
  /** The host knows no such network, it is not `ovn`, or it names no logical router. */
  | "unknown-network"
  /** The network's logical router does not exist in the NB database. */
  | "router-missing"
  /** A snat row this NIC does not own already translates the same logical address, or another member holds the NIC's row. */
  | "foreign-conflict"
  /** The external address is a load balancer VIP without a port on the router: a NAT row on it would break the NIC's TCP/UDP. */
  | "forward-lb-conflict"
  /** The NB database failed (unreachable, kept changing under us, refused the commit). */
  | "database";

/** A snat row in the way of a rule: translates the same logical address on the same router. */
export interface NatConflict {
  /** The rule that could not be applied. */
  readonly rule: import("@incusx/sdk").NatRule;
  /** The router both rows are on. */
  readonly router: string;
  /** `_uuid` of the row in the way. */
  readonly uuid: string;
  /** Its logical_ip, as stored. */
  readonly logicalIp: string;
  /** Its external_ip. */
  readonly externalIp: string;
  /** Who owns it: another NIC of this plugin (`instance/device`), or `undefined` for a foreign writer. */
  readonly ownedBy: string | undefined;
  /** The cluster member whose row it is, when another member of this plugin holds it (absent for a legacy row). */
  readonly member?: string;
}

const CODES: Readonly<Record<OvnNatErrorReason, ErrorCode>> = {
  "invalid-rule": ErrorCode.InvalidConfig,
  "unknown-network": ErrorCode.NotFound,
  "router-missing": ErrorCode.NotFound,
  "foreign-conflict": ErrorCode.NatConflict,
  "forward-lb-conflict": ErrorCode.NatConflict,
  database: ErrorCode.PluginFailed,
};

/**
 * Error of the OVN NAT backend: an {@link IncusxError} with a stable
 * `reason` and a message naming the NIC, network and router. Codes:
 * `INVALID_CONFIG` for a bad rule, `NOT_FOUND` for an unknown network or a
 * missing router, `NAT_CONFLICT` for a foreign row or a portless load balancer VIP in the way,
 * `PLUGIN_FAILED` for database failures.
 */
export class OvnNatError extends IncusxError {
  /** Stable reason. */
  readonly reason: OvnNatErrorReason;
  /** Rows in the way, for `foreign-conflict`. */
  readonly conflicts: readonly NatConflict[];

  constructor(reason: OvnNatErrorReason, message: string, options: { cause?: unknown; conflicts?: readonly NatConflict[] } = {}) {
    super(CODES[reason], message, { pluginId: PLUGIN_ID, cause: options.cause });
    this.reason = reason;
    this.conflicts = options.conflicts ?? [];
  }
}
