// The SDK view of a host state document (schemas/host-state.schema.json):
// shared by every NetworkState provider that speaks the state-file format
// (@incusx/host's file, @incusx/state-incus's server), so a NIC reads the
// same whichever one the host uses.

import type { Network, NetworkForward, NicDevice } from "../services.js";
import type { HostState, HostStateDevice } from "../generated/index.js";

/** A host state document as the SDK's {@link Network}, {@link NetworkForward} and {@link NicDevice} values. */
export interface HostStateModel {
  /** Every network. */
  readonly networks: readonly Network[];
  /** Every forward of every network (load balancers are not forwards). */
  readonly forwards: readonly NetworkForward[];
  /** Every NIC device of every instance. */
  readonly nics: readonly NicDevice[];
}

/**
 * The NIC type Incus gives a NIC device that names a network of `networkType`
 * without a `nictype`: a `bridge` network gives `bridged` NICs; `ovn`,
 * `macvlan`, `sriov` and `physical` give NICs of the same name.
 *
 * @example
 * nicTypeOfNetwork("bridge") // "bridged"
 */
export function nicTypeOfNetwork(networkType: string): string {
  return networkType === "bridge" ? "bridged" : networkType;
}

/**
 * The SDK view of a host state document whose names and references were
 * checked (the host's `checkHostState`). A device of type `nic` becomes a
 * {@link NicDevice}: its type is `nictype` when set, else derived from its
 * network's type ({@link nicTypeOfNetwork}); its config is the device map
 * without `type` and `nictype`; its `location` is its instance's, its
 * `instanceUuid` the instance's `volatile.uuid`. Other
 * devices are left out. Everything returned is frozen.
 *
 * @example
 * const { nics } = hostStateModel(JSON.parse(text) as HostState);
 */
export function hostStateModel(state: HostState): HostStateModel {
  const networks = (state.networks ?? []).map((n) =>
    Object.freeze({
      name: n.name,
      type: n.type,
      config: Object.freeze(stringMap(n.config ?? {})),
      ...(n.ovn_router === undefined ? {} : { ovnRouter: n.ovn_router }),
      ...(n.id === undefined ? {} : { id: n.id }),
    }),
  );
  const typeOf = new Map(networks.map((n) => [n.name, n.type]));
  const forwards = (state.networks ?? []).flatMap((n) =>
    (n.forwards ?? []).map((f) =>
      Object.freeze({
        network: n.name,
        listenAddress: f.listen_address,
        ...(f.description === undefined ? {} : { description: f.description }),
      }),
    ),
  );
  const nics: NicDevice[] = [];
  for (const instance of state.instances ?? []) {
    const location = instance.location === undefined ? {} : { location: instance.location };
    const uuid = instance.config?.["volatile.uuid"];
    const instanceUuid = uuid === undefined || uuid === "" ? {} : { instanceUuid: uuid };
    for (const [device, entry] of Object.entries(instance.devices ?? {})) {
      if (entry === undefined || entry.type !== "nic") continue;
      const { type: _type, nictype, ...config } = stringMap(entry) as HostStateDevice & { nictype?: string };
      const networkType = config.network === undefined ? undefined : typeOf.get(config.network);
      const type = nictype ?? (networkType === undefined ? "" : nicTypeOfNetwork(networkType));
      nics.push(
        Object.freeze({ instance: instance.name, device, type, config: Object.freeze(config as Record<string, string>), ...location, ...instanceUuid }),
      );
    }
  }
  return Object.freeze({
    networks: Object.freeze(networks),
    forwards: Object.freeze(forwards),
    nics: Object.freeze(nics),
  });
}

function stringMap(map: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
