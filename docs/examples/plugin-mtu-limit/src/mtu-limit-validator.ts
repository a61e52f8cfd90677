import {
  NetworkStateToken,
  PluginConfigToken,
  checkRules,
  inject,
  invalidOption,
  isNetworkMTU,
  optional,
  quote,
  type Network,
  type NetworkState,
  type NicDevice,
  type NicProblem,
  type NicValidator,
} from "@incusx/sdk";

/** The plugin's config, as its manifest's `configSchema` describes it (defaults filled in by the host). */
export interface MtuLimitConfig {
  /** Largest NIC MTU on networks without their own entry; the schema's default is 1500. */
  readonly defaultMaxMtu?: number;
  /** Limits by network name. */
  readonly networks?: Readonly<Record<string, { readonly maxMtu: number }>>;
}

/** Used when the config leaves `defaultMaxMtu` out (the host fills the same default from the schema). */
export const DEFAULT_MAX_MTU = 1500;

// Owning `mtu` replaces the host's common rule for it on our NIC types, so
// the form check (a number from 1280 to 16384) is ours to do as well.
const formRules = { mtu: optional(isNetworkMTU) };

/**
 * Caps the `mtu` of bridged and OVN NICs: at most the limit configured for
 * the NIC's network (or `defaultMaxMtu`), and at most the MTU the network
 * itself is set to (`bridge.mtu`), read from host state.
 *
 * @example
 * const validator = new MtuLimitValidator(networkState, { networks: { br0: { maxMtu: 9000 } } });
 * await validator.validate({ instance: "c1", device: "eth0", type: "bridged", config: { network: "br0", mtu: "9216" } });
 * // [{ key: "mtu", value: "9216", message: 'Invalid value for device option "mtu": MTU "9216" is above the limit 9000 of network "br0"' }]
 */
export class MtuLimitValidator implements NicValidator {
  readonly nicTypes = ["bridged", "ovn"] as const;
  readonly keys = ["mtu"] as const;

  constructor(
    @inject(NetworkStateToken) private readonly networks: NetworkState,
    @inject(PluginConfigToken) config: unknown,
  ) {
    // The host validated the config against the manifest's schema.
    this.config = config as MtuLimitConfig;
  }

  private readonly config: MtuLimitConfig;

  async validate(nic: NicDevice): Promise<NicProblem[]> {
    const value = nic.config["mtu"];
    if (value === undefined || value === "") return [];
    const formProblems = checkRules(formRules, nic.config);
    if (formProblems.length > 0) return formProblems;

    const mtu = Number(value);
    const name = nic.config["network"];
    const network = name === undefined || name === "" ? undefined : await this.networks.network(name);
    const limit = this.limitFor(network, name);
    if (mtu > limit.mtu) {
      return [invalidOption("mtu", `MTU ${quote(value)} is above the limit ${limit.mtu} ${limit.reason}`, value)];
    }
    return [];
  }

  /** The tightest limit that applies, and why, for the message. */
  private limitFor(network: Network | undefined, name: string | undefined): { mtu: number; reason: string } {
    const configured = name === undefined ? undefined : this.config.networks?.[name]?.maxMtu;
    let limit =
      configured === undefined
        ? { mtu: this.config.defaultMaxMtu ?? DEFAULT_MAX_MTU, reason: "set for networks without their own limit" }
        : { mtu: configured, reason: `of network ${quote(name!)}` };
    const own = Number(network?.config["bridge.mtu"]);
    if (network !== undefined && Number.isInteger(own) && own > 0 && own < limit.mtu) {
      limit = { mtu: own, reason: `set by "bridge.mtu" on network ${quote(network.name)}` };
    }
    return limit;
  }
}
