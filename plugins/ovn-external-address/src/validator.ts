import {
  NetworkStateToken,
  ValidationError,
  canonicalAddress,
  inject,
  invalidOption,
  isNetworkAddressCIDR,
  isNetworkAddressCIDRV4,
  isNetworkAddressCIDRV6,
  isNetworkAddressV4,
  isNetworkAddressV6,
  quote,
  sortProblems,
  type ForwardUse,
  type IpFamily,
  type Network,
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

/** The NIC config key holding the static address of `family`. */
const ADDRESS_KEYS: Readonly<Record<IpFamily, string>> = { ipv4: "ipv4.address", ipv6: "ipv6.address" };

const FAMILIES: readonly IpFamily[] = ["ipv4", "ipv6"];

const EXTERNAL_CHECKS: Readonly<Record<IpFamily, Validator>> = { ipv4: isNetworkAddressV4, ipv6: isNetworkAddressV6 };

/**
 * The address part of a NIC's `ipvN.address`, which Incus accepts with a
 * prefix (`10.0.0.5/24`, for OCI containers' static configuration); Incus's
 * `nicAddressIP`.
 */
export function nicAddressIP(value: string): string {
  const slash = value.indexOf("/");
  return slash < 0 ? value : value.slice(0, slash);
}

/**
 * Validates `ovn` NICs as Incus's `nicOVN.validateConfig` does, for the
 * keys it owns: `network`, `ipv4.address`, `ipv6.address`,
 * `ipv4.address.external` and `ipv6.address.external`, in Incus's words
 * (`Error loading network config for "ovn9": Network not found`,
 * `... is not a network forward on network "ovn0": Network_forward not found`).
 * Static addresses may be plain, `none` or in CIDR form (`10.0.0.5/24`,
 * `/32`), and must lie in the network's subnet when the host state gives
 * it. Unlike Incus, an external address is looked up as an address, not as
 * text, so `2001:DB8:0::9` matches a forward on `2001:db8::9`; and every
 * problem is reported, not only the first.
 *
 * It also tells the host which NICs still use a forward
 * ({@link checkForwardRemoval}), so removing it can be refused.
 *
 * @example
 * const problems = await new ExternalAddressValidator(state).validate(nic);
 * // [{ key: "ipv4.address.external", value: "198.51.100.7",
 * //    message: 'Invalid value for device option "ipv4.address.external": External address "198.51.100.7" is not a network forward on network "ovn0": Network_forward not found' }]
 */
export class ExternalAddressValidator implements NicValidator {
  readonly nicTypes = ["ovn"];
  readonly keys = ["network", ADDRESS_KEYS.ipv4, ADDRESS_KEYS.ipv6, EXTERNAL_ADDRESS_KEYS.ipv4, EXTERNAL_ADDRESS_KEYS.ipv6];

  constructor(@inject(NetworkStateToken) private readonly state: NetworkState) {}

  async validate(nic: NicDevice): Promise<readonly NicProblem[]> {
    const config = nic.config;
    const problems: NicProblem[] = [];
    // Keys whose value has the right form, so the checks against host state may run.
    const wellFormed = new Set<string>();
    for (const family of FAMILIES) {
      for (const [key, check] of [
        [ADDRESS_KEYS[family], staticAddressCheck(family)],
        [EXTERNAL_ADDRESS_KEYS[family], EXTERNAL_CHECKS[family]],
      ] as const) {
        const value = setValue(config, key);
        if (value === undefined) continue;
        try {
          check(value);
          wellFormed.add(key);
        } catch (error) {
          problems.push(invalidOption(key, (error as Error).message, value));
        }
      }
    }

    const name = config.network ?? "";
    const network = await this.state.network(name);
    if (network === undefined || network.type !== "ovn") {
      const message =
        network === undefined ? `Error loading network config for ${quote(name)}: Network not found` : "Specified network must be of type ovn";
      problems.push(Object.hasOwn(config, "network") ? { key: "network", value: name, message } : { key: "network", message });
      return sortProblems(problems);
    }

    problems.push(...staticAddressProblems(config, network, wellFormed));

    const external = FAMILIES.map((family) => EXTERNAL_ADDRESS_KEYS[family]).filter((key) => wellFormed.has(key));
    if (external.length > 0) {
      const known = await this.forwardAddresses(name);
      for (const key of external) {
        const value = config[key]!;
        if (known.has(canonicalAddress(value))) continue;
        const cause = `External address ${quote(value)} is not a network forward on network ${quote(name)}: Network_forward not found`;
        problems.push(invalidOption(key, cause, value));
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
      for (const key of Object.values(EXTERNAL_ADDRESS_KEYS)) {
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

  // Canonical listen addresses of the network's forwards.
  private async forwardAddresses(network: string): Promise<Set<string>> {
    const addresses = new Set<string>();
    for (const forward of await this.state.forwards(network)) {
      const address = canonicalOrUndefined(forward.listenAddress);
      if (address !== undefined) addresses.add(address);
    }
    return addresses;
  }
}

// A key's value when set and not empty: Incus's validate.Optional and util.IsNoneOrEmpty treat "" as unset.
function setValue(config: NicDevice["config"], key: string): string | undefined {
  const value = Object.hasOwn(config, key) ? config[key] : undefined;
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Incus's rule for an OVN NIC's `ipvN.address`: `none`, an address of the
 * family, or with a `/` an address with prefix where a single-address
 * prefix (`/32`, `/128`) is allowed (`IsNetworkAddressCIDRV4(value, true)`).
 * A malformed prefix reads as Go's `net.ParseCIDR` error, which Incus
 * passes on unchanged.
 */
function staticAddressCheck(family: IpFamily): Validator {
  const isAddress = family === "ipv4" ? isNetworkAddressV4 : isNetworkAddressV6;
  const isCidr = family === "ipv4" ? isNetworkAddressCIDRV4 : isNetworkAddressCIDRV6;
  return (value) => {
    if (value === "none") return;
    if (!value.includes("/")) return isAddress(value);
    try {
      isNetworkAddressCIDR(value);
    } catch {
      throw new ValidationError(`invalid CIDR address: ${value}`);
    }
    const single = family === "ipv4" ? "32" : "128";
    if (value.slice(value.indexOf("/") + 1) !== single) return isCidr(value);
    try {
      isAddress(nicAddressIP(value));
    } catch {
      throw new ValidationError(`${family === "ipv4" ? "Not an IPv4" : "Not an IPv6"} address ${quote(value)}`);
    }
  };
}

/**
 * Incus's checks of the static addresses against the network, for the
 * well-formed ones: IPv6 needs IPv4 too, the address lies in the
 * network's subnet and is not the network's own address. A network
 * without `ipvN.address` in the host state is not checked (the state file
 * may leave it out; Incus always has it).
 */
function staticAddressProblems(config: NicDevice["config"], network: Network, wellFormed: ReadonlySet<string>): NicProblem[] {
  const problems: NicProblem[] = [];
  for (const family of FAMILIES) {
    const key = ADDRESS_KEYS[family];
    const value = setValue(config, key);
    if (value === undefined || value === "none") continue;
    if (family === "ipv6" && setValue(config, ADDRESS_KEYS.ipv4) === undefined) {
      problems.push({ key, value, message: `Cannot specify ${quote(key)} when ${quote(ADDRESS_KEYS.ipv4)} is not set` });
      continue;
    }
    const subnetText = network.config[key];
    if (!wellFormed.has(key) || subnetText === undefined) continue;
    const subnet = parseSubnet(subnetText);
    if (subnet === undefined) {
      problems.push({ key, value, message: `Invalid network ${key}: invalid CIDR address: ${subnetText}` });
      continue;
    }
    const address = addressBytes(nicAddressIP(value));
    if (!inSubnet(address, subnet)) {
      problems.push({ key, value, message: `Device IP address ${quote(value)} not within network ${quote(network.name)} subnet` });
    } else if (sameBytes(address, subnet.address)) {
      const parent = config.parent ?? "";
      problems.push({ key, value, message: `IP address ${quote(value)} is assigned to parent managed network device ${quote(parent)}` });
    }
  }
  return problems;
}

interface Subnet {
  /** The network's own address (before the slash). */
  readonly address: readonly number[];
  readonly prefix: number;
}

// `address/prefix` as Go's net.ParseCIDR reads it, or undefined.
function parseSubnet(text: string): Subnet | undefined {
  try {
    isNetworkAddressCIDR(text);
  } catch {
    return undefined;
  }
  const slash = text.indexOf("/");
  const address = addressBytes(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  // An IPv4-mapped network counts its prefix over 128 bits, as Go does.
  return { address, prefix: address.length === 4 && text.includes(":") ? prefix - 96 : prefix };
}

// The bytes of an address (4 for IPv4 and IPv4-mapped, as Go's To4, else 16).
function addressBytes(text: string): number[] {
  const canonical = canonicalAddress(text);
  if (!canonical.includes(":")) return canonical.split(".").map(Number);
  const [head = "", tail] = canonical.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.flatMap((group) => {
    const n = parseInt(group, 16);
    return [n >> 8, n & 0xff];
  });
}

// Go's IPNet.Contains: same family and the first `prefix` bits equal.
function inSubnet(address: readonly number[], subnet: Subnet): boolean {
  if (address.length !== subnet.address.length) return false;
  for (let bit = 0; bit < subnet.prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    const i = Math.floor(bit / 8);
    if ((address[i]! & mask) !== (subnet.address[i]! & mask)) return false;
  }
  return true;
}

function sameBytes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function canonicalOrUndefined(text: string): string | undefined {
  try {
    return canonicalAddress(text);
  } catch {
    return undefined;
  }
}
