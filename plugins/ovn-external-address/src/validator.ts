import {
  NetworkStateToken,
  canonicalAddress,
  inject,
  invalidOption,
  isNetworkAddressV4,
  isNetworkAddressV6,
  quote,
  sortProblems,
  type ForwardUse,
  type IpFamily,
  type NetworkForward,
  type NetworkState,
  type NicDevice,
  type NicProblem,
  type NicValidator,
  type Validator,
} from "@incusx/sdk";

/** The NIC config key holding the external address of `family`. */
export const EXTERNAL_ADDRESS_KEYS: Readonly<Record<IpFamily, string>> = Object.freeze({
  ipv4: "ipv4.address.external",
  ipv6: "ipv6.address.external",
});

const FAMILY_CHECKS: readonly (readonly [string, Validator])[] = [
  [EXTERNAL_ADDRESS_KEYS.ipv4, isNetworkAddressV4],
  [EXTERNAL_ADDRESS_KEYS.ipv6, isNetworkAddressV6],
];

/**
 * Validates `ipv4.address.external` and `ipv6.address.external` on `ovn`
 * NICs as Incus does, with one fix: the value must be an address of the
 * key's family (`Not an IPv4 address "x"`) and the listen address of a
 * network forward on the NIC's network, compared as addresses rather than
 * strings, so `2001:DB8:0::9` matches a forward on `2001:db8::9`. Load
 * balancer addresses are not forwards.
 *
 * It also tells the host which NICs still use a forward
 * ({@link checkForwardRemoval}), so removing it can be refused.
 *
 * @example
 * const problems = await new ExternalAddressValidator(state).validate(nic);
 * // [{ key: "ipv4.address.external", value: "198.51.100.7",
 * //    message: 'Invalid value for device option "ipv4.address.external": External address "198.51.100.7" is not a network forward on network "ovn0"' }]
 */
export class ExternalAddressValidator implements NicValidator {
  readonly nicTypes = ["ovn"];
  readonly keys = [EXTERNAL_ADDRESS_KEYS.ipv4, EXTERNAL_ADDRESS_KEYS.ipv6];

  constructor(@inject(NetworkStateToken) private readonly state: NetworkState) {}

  async validate(nic: NicDevice): Promise<readonly NicProblem[]> {
    const problems: NicProblem[] = [];
    let forwards: Promise<Set<string> | undefined> | undefined;
    for (const [key, isFamily] of FAMILY_CHECKS) {
      if (!Object.hasOwn(nic.config, key)) continue;
      const value = nic.config[key]!;
      if (value === "") continue; // Incus's validate.Optional: an empty value means unset.
      try {
        isFamily(value);
      } catch (error) {
        problems.push(invalidOption(key, (error as Error).message, value));
        continue;
      }
      const network = nic.config.network;
      if (network === undefined || network === "") {
        problems.push(invalidOption(key, `Cannot specify ${quote(key)} when ${quote("network")} is not set`, value));
        continue;
      }
      forwards ??= this.forwardAddresses(network);
      const known = await forwards;
      if (known === undefined) {
        problems.push(invalidOption(key, `${notAForward(value, network)}: Network not found`, value));
      } else if (!known.has(canonicalAddress(value))) {
        problems.push(invalidOption(key, notAForward(value, network), value));
      }
    }
    return sortProblems(problems);
  }

  /**
   * Every `ovn` NIC on the forward's network whose external address (of
   * either family) is the forward's listen address, compared as addresses.
   */
  async checkForwardRemoval(forward: NetworkForward): Promise<readonly ForwardUse[]> {
    const address = canonicalOrUndefined(forward.listenAddress);
    if (address === undefined) return [];
    const uses: ForwardUse[] = [];
    for (const nic of await this.state.nics()) {
      if (!this.nicTypes.includes(nic.type) || nic.config.network !== forward.network) continue;
      for (const key of this.keys) {
        const value = nic.config[key];
        if (value === undefined || canonicalOrUndefined(value) !== address) continue;
        uses.push({
          instance: nic.instance,
          device: nic.device,
          key,
          message:
            `Network forward ${quote(forward.listenAddress)} on network ${quote(forward.network)} is in use: ` +
            `device ${quote(nic.device)} of instance ${quote(nic.instance)} has it as ${quote(key)}`,
        });
      }
    }
    return uses;
  }

  // Canonical listen addresses of the network's forwards; undefined when the network does not exist.
  private async forwardAddresses(network: string): Promise<Set<string> | undefined> {
    if ((await this.state.network(network)) === undefined) return undefined;
    const addresses = new Set<string>();
    for (const forward of await this.state.forwards(network)) {
      const address = canonicalOrUndefined(forward.listenAddress);
      if (address !== undefined) addresses.add(address);
    }
    return addresses;
  }
}

function notAForward(value: string, network: string): string {
  return `External address ${quote(value)} is not a network forward on network ${quote(network)}`;
}

function canonicalOrUndefined(text: string): string | undefined {
  try {
    return canonicalAddress(text);
  } catch {
    return undefined;
  }
}
