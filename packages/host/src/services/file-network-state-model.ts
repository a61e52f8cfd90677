import {
  canonicalAddress,
  type Network,
  type NetworkForward,
  type NicDevice,
  type ValidationIssue,
} from "@incusx/sdk";
import type { HostState, HostStateDevice, HostStateLoadBalancer } from "@incusx/sdk/host";

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
 */
export function nicTypeOfNetwork(networkType: string): string {
  return networkType === "bridge" ? "bridged" : networkType;
}

/**
 * The SDK view of a host state document that passed {@link checkHostState}.
 * A device of type `nic` becomes a {@link NicDevice}: its type is
 * `nictype` when set, else derived from its network's type
 * ({@link nicTypeOfNetwork}); its config is the device map without `type`
 * and `nictype`; its `instanceUuid` is the instance's `volatile.uuid`. Other devices are left out. Everything returned is frozen.
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
    for (const [device, entry] of Object.entries(instance.devices ?? {})) {
      if (entry === undefined || entry.type !== "nic") continue;
      const { type: _type, nictype, ...config } = stringMap(entry) as HostStateDevice & { nictype?: string };
      const networkType = config.network === undefined ? undefined : typeOf.get(config.network);
      const type = nictype ?? (networkType === undefined ? "" : nicTypeOfNetwork(networkType));
      const uuid = instance.config?.["volatile.uuid"];
      nics.push(
        Object.freeze({
          instance: instance.name,
          device,
          type,
          config: Object.freeze(config as Record<string, string>),
          ...(uuid === undefined || uuid === "" ? {} : { instanceUuid: uuid }),
        }),
      );
    }
  }
  return Object.freeze({
    networks: Object.freeze(networks),
    forwards: Object.freeze(forwards),
    nics: Object.freeze(nics),
  });
}

/**
 * What the schema cannot check in a host state document, one issue per
 * problem with the JSON pointer of the bad value: duplicate network or
 * instance names, an `ovn` network without `ovn_router`, listen addresses
 * that are not IP addresses or repeat on one network, load balancer
 * backends with a duplicate name or a target that is not an IP address,
 * load balancer ports naming a backend that does not exist, and NIC devices
 * that name a network that does not exist or give neither `network` nor `nictype`.
 */
export function checkHostState(state: HostState): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const networkAt = new Map<string, number>();
  (state.networks ?? []).forEach((network, i) => {
    const at = `/networks/${i}`;
    const first = networkAt.get(network.name);
    if (first !== undefined) issues.push({ path: `${at}/name`, message: `duplicate network name ${q(network.name)} (also at /networks/${first})` });
    else networkAt.set(network.name, i);
    if (network.type === "ovn" && network.ovn_router === undefined) {
      issues.push({ path: at, message: `missing required property "ovn_router" (an "ovn" network needs its logical router)` });
    }
    const listenAt = new Map<string, string>();
    for (const kind of ["forwards", "load_balancers"] as const) {
      (network[kind] ?? []).forEach((entry, j) => {
        const path = `${at}/${kind}/${j}/listen_address`;
        const address = canonicalOrUndefined(entry.listen_address);
        if (address === undefined) {
          issues.push(notAnAddress(path, entry.listen_address));
          return;
        }
        const other = listenAt.get(address);
        if (other !== undefined) issues.push({ path, message: `listen address ${q(entry.listen_address)} is already used at ${other}` });
        else listenAt.set(address, path);
      });
    }
    (network.load_balancers ?? []).forEach((lb, j) => issues.push(...loadBalancerIssues(lb, `${at}/load_balancers/${j}`)));
  });

  const instanceAt = new Map<string, number>();
  (state.instances ?? []).forEach((instance, i) => {
    const first = instanceAt.get(instance.name);
    if (first !== undefined) {
      issues.push({ path: `/instances/${i}/name`, message: `duplicate instance name ${q(instance.name)} (also at /instances/${first})` });
    } else instanceAt.set(instance.name, i);
    for (const [device, entry] of Object.entries(instance.devices ?? {})) {
      if (entry === undefined || entry.type !== "nic") continue;
      const at = `/instances/${i}/devices/${pointerToken(device)}`;
      const network = entry.network;
      if (network !== undefined && !networkAt.has(network)) {
        issues.push({ path: `${at}/network`, message: `network ${q(network)} does not exist` });
      } else if (network === undefined && entry.nictype === undefined) {
        issues.push({ path: at, message: `a NIC device needs "network" or "nictype"` });
      }
    }
  });
  return issues;
}

// What Incus checks of a load balancer beyond its shape: backend names are
// unique, backends target IP addresses, ports name backends that exist.
function loadBalancerIssues(lb: HostStateLoadBalancer, at: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const backendAt = new Map<string, string>();
  (lb.backends ?? []).forEach((backend, k) => {
    const path = `${at}/backends/${k}`;
    const first = backendAt.get(backend.name);
    if (first !== undefined) issues.push({ path: `${path}/name`, message: `duplicate backend name ${q(backend.name)} (also at ${first})` });
    else backendAt.set(backend.name, path);
    if (canonicalOrUndefined(backend.target_address) === undefined) issues.push(notAnAddress(`${path}/target_address`, backend.target_address));
  });
  (lb.ports ?? []).forEach((port, k) => {
    (port.target_backend ?? []).forEach((name, m) => {
      if (!backendAt.has(name)) issues.push({ path: `${at}/ports/${k}/target_backend/${m}`, message: `backend ${q(name)} does not exist on this load balancer` });
    });
  });
  return issues;
}

function notAnAddress(path: string, text: string): ValidationIssue {
  return { path, message: `must be an IP address without prefix, got ${q(text)}` };
}

function stringMap(map: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The canonical text of an address, or `undefined` when `text` is not one. */
export function canonicalOrUndefined(text: string): string | undefined {
  try {
    return canonicalAddress(text);
  } catch {
    return undefined;
  }
}

// RFC 6901: "~" and "/" in a key are escaped as "~0" and "~1".
function pointerToken(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function q(text: string): string {
  return JSON.stringify(text);
}
