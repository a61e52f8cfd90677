// Generated from the "incusx"."configSchema" of plugins/dns/package.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * The config of the incusx.dns plugin.
 */
export interface DnsPluginConfig {
  /**
   * Absolute path of the resolv.conf to manage; without it no file is written (other DNS sinks still run).
   */
  readonly resolvConf?: string;
  /**
   * Static name servers (IP addresses; a link-local IPv6 one with its interface as zone, fe80::1%eth0); when set they replace every lease's.
   *
   * @default []
   */
  readonly nameservers: readonly string[];
  /**
   * Static search domains (labels of 1 to 63 letters, digits, - or _, at most 253 characters); when set they replace every lease's search list and domain.
   *
   * @default []
   */
  readonly search: readonly string[];
  /**
   * resolv.conf options (ndots:2, edns0).
   *
   * @default []
   */
  readonly options: readonly string[];
  /**
   * auto: in place when the file is a mount point (bind mount), else temp file and rename.
   *
   * @default "auto"
   */
  readonly writeMode: "auto" | "rename" | "in-place";
  /**
   * Replace an existing resolv.conf incusx did not write.
   *
   * @default false
   */
  readonly takeOver: boolean;
}

/** {@link DnsPluginConfig} as a host config may give it: the properties with a default may be left out. */
export type DnsPluginConfigInput = Omit<DnsPluginConfig, "nameservers" | "search" | "options" | "writeMode" | "takeOver"> &
  Partial<Pick<DnsPluginConfig, "nameservers" | "search" | "options" | "writeMode" | "takeOver">>;

/** The schema's `default` values, which the host fills in before the plugin sees its config. */
export const DEFAULT_DNS_PLUGIN_CONFIG: DnsPluginConfig = Object.freeze({
  nameservers: Object.freeze([]),
  search: Object.freeze([]),
  options: Object.freeze([]),
  writeMode: "auto",
  takeOver: false,
});
