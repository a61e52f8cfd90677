// Generated from the "incusx"."configSchema" of plugins/ovn-external-address/package.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * The config of the incusx.ovn-external-address plugin.
 */
export interface OvnNatConfig {
  /**
   * OVN northbound database connection: comma-separated unix:PATH or tcp:HOST:PORT endpoints (for example unix:/run/ovn/ovnnb_db.sock). Needed by the NAT backend only.
   */
  readonly northbound?: string;
  /**
   * Time limit of one northbound request, in milliseconds.
   *
   * @default 30000
   */
  readonly requestTimeoutMs: number;
}

/** {@link OvnNatConfig} as a host config may give it: the properties with a default may be left out. */
export type OvnNatConfigInput = Omit<OvnNatConfig, "requestTimeoutMs"> &
  Partial<Pick<OvnNatConfig, "requestTimeoutMs">>;

/** The schema's `default` values, which the host fills in before the plugin sees its config. */
export const DEFAULT_OVN_NAT_CONFIG: OvnNatConfig = Object.freeze({
  requestTimeoutMs: 30000,
});
