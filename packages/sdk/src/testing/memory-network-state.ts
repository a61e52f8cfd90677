import type { Network, NetworkForward, NetworkState, NicDevice } from "../services.js";

/** Plain data a {@link MemoryNetworkState} starts from. */
export interface NetworkStateData {
  /** Networks, unique by `name`. */
  readonly networks?: readonly Network[];
  /** Forwards, unique by `network` + `listenAddress`. */
  readonly forwards?: readonly NetworkForward[];
  /** NICs, unique by `instance` + `device`. */
  readonly nics?: readonly NicDevice[];
}

/**
 * A {@link NetworkState} over plain data, with mutators so a test can change
 * host state between calls. Reads return frozen copies: code under test
 * cannot change the state by accident.
 *
 * @example
 * const state = new MemoryNetworkState({
 *   networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr-ovn0" }],
 *   forwards: [{ network: "ovn0", listenAddress: "198.51.100.9" }],
 * });
 * state.addNic({ instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0" } });
 */
export class MemoryNetworkState implements NetworkState {
  #networks = new Map<string, Network>();
  #forwards = new Map<string, NetworkForward>();
  #nics = new Map<string, NicDevice>();

  constructor(data: NetworkStateData = {}) {
    for (const n of data.networks ?? []) this.addNetwork(n);
    for (const f of data.forwards ?? []) this.addForward(f);
    for (const n of data.nics ?? []) this.addNic(n);
  }

  async networks(): Promise<readonly Network[]> {
    return Object.freeze([...this.#networks.values()]);
  }

  async network(name: string): Promise<Network | undefined> {
    return this.#networks.get(name);
  }

  async forwards(network: string): Promise<readonly NetworkForward[]> {
    return Object.freeze([...this.#forwards.values()].filter((f) => f.network === network));
  }

  async nics(): Promise<readonly NicDevice[]> {
    return Object.freeze([...this.#nics.values()]);
  }

  /** Adds a network; throws when one with the same name exists. */
  addNetwork(network: Network): void {
    addUnique(this.#networks, network.name, freezeNetwork(network), `Network "${network.name}"`);
  }

  /** Adds or replaces the network with `network.name`. */
  putNetwork(network: Network): void {
    this.#networks.set(network.name, freezeNetwork(network));
  }

  /** Removes the network named `name` (its forwards and NICs stay); returns whether it existed. */
  removeNetwork(name: string): boolean {
    return this.#networks.delete(name);
  }

  /** Adds a forward; throws when the network already has one on that listen address. */
  addForward(forward: NetworkForward): void {
    addUnique(
      this.#forwards,
      forwardKey(forward.network, forward.listenAddress),
      Object.freeze({ ...forward }),
      `Forward "${forward.listenAddress}" on network "${forward.network}"`,
    );
  }

  /** Removes a forward; returns whether it existed. */
  removeForward(network: string, listenAddress: string): boolean {
    return this.#forwards.delete(forwardKey(network, listenAddress));
  }

  /** Adds a NIC; throws when the instance already has a device with that name. */
  addNic(nic: NicDevice): void {
    addUnique(this.#nics, nicKey(nic.instance, nic.device), freezeNic(nic), `NIC "${nic.device}" of instance "${nic.instance}"`);
  }

  /** Adds or replaces the NIC identified by `instance` + `device`. */
  putNic(nic: NicDevice): void {
    this.#nics.set(nicKey(nic.instance, nic.device), freezeNic(nic));
  }

  /** Removes a NIC; returns whether it existed. */
  removeNic(instance: string, device: string): boolean {
    return this.#nics.delete(nicKey(instance, device));
  }

  /** The whole state as plain data, for assertions and snapshots. */
  toJSON(): Required<NetworkStateData> {
    return {
      networks: [...this.#networks.values()],
      forwards: [...this.#forwards.values()],
      nics: [...this.#nics.values()],
    };
  }
}

function addUnique<T>(map: Map<string, T>, key: string, value: T, what: string): void {
  if (map.has(key)) throw new Error(`${what} already exists; use a put or remove method to change it`);
  map.set(key, value);
}

function forwardKey(network: string, listenAddress: string): string {
  return JSON.stringify([network, listenAddress]);
}

function nicKey(instance: string, device: string): string {
  return JSON.stringify([instance, device]);
}

function freezeNetwork(network: Network): Network {
  return Object.freeze({ ...network, config: Object.freeze({ ...network.config }) });
}

function freezeNic(nic: NicDevice): NicDevice {
  return Object.freeze({ ...nic, config: Object.freeze({ ...nic.config }) });
}
