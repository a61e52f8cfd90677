// What the host knows of the server, and its state-file form. Pure: no I/O.

import type { HostState, HostStateForward, HostStateInstance, HostStateLoadBalancer, HostStateNetwork } from "@incusx/sdk/host";
import type { ServerInstance, ServerNetwork } from "./shapes.js";

/** Incus's project of everything not in a project of its own. */
export const DEFAULT_PROJECT = "default";

/** A network with what was read about it: its router (OVN), forwards, load balancers. */
export interface NetworkEntry {
  readonly network: ServerNetwork;
  readonly router: string | undefined;
  readonly forwards: readonly HostStateForward[];
  readonly loadBalancers: readonly HostStateLoadBalancer[];
}

/** Everything read from the server, by `project/name` key. */
export interface Snapshot {
  readonly networks: ReadonlyMap<string, NetworkEntry>;
  readonly instances: ReadonlyMap<string, ServerInstance>;
}

/** The key of an object in a project. */
export function key(project: string, name: string): string {
  return `${project}/${name}`;
}

/**
 * The name the host gives an object of `project`: its own name in the
 * default project, else `PROJECT_NAME`, as Incus names it on the host
 * (instance and network names cannot hold "_", so this cannot collide).
 *
 * @example
 * qualifiedName("tenant", "c2") // "tenant_c2"
 */
export function qualifiedName(project: string, name: string): string {
  return project === DEFAULT_PROJECT ? name : `${project}_${name}`;
}

/**
 * The snapshot in the state-file format (schemas/host-state.schema.json):
 * managed networks only, names project-qualified, a NIC's `network`
 * rewritten to the qualified name of the network it uses (its project's own,
 * else the default project's, as a project without its own networks uses),
 * and instances with `project`, `location` and `config["volatile.uuid"]`. Sorted by name, so
 * equal states give equal documents.
 */
export function toHostState(snapshot: Snapshot): HostState {
  const networks: HostStateNetwork[] = [...snapshot.networks.values()]
    .filter((entry) => entry.network.managed)
    .map(({ network, router, forwards, loadBalancers }) => ({
      name: qualifiedName(network.project, network.name),
      type: network.type,
      project: network.project,
      ...(network.description === "" ? {} : { description: network.description }),
      config: { ...network.config },
      ...(router === undefined ? {} : { ovn_router: router }),
      forwards: [...forwards],
      load_balancers: [...loadBalancers],
    }))
    .sort(byName);
  const managed = new Set([...snapshot.networks.values()].filter((e) => e.network.managed).map((e) => key(e.network.project, e.network.name)));
  const instances: HostStateInstance[] = [...snapshot.instances.values()]
    .map((instance) => ({
      name: qualifiedName(instance.project, instance.name),
      project: instance.project,
      ...(instance.location === undefined ? {} : { location: instance.location }),
      ...(instance.uuid === undefined ? {} : { config: { "volatile.uuid": instance.uuid } }),
      devices: Object.fromEntries(
        Object.entries(instance.devices).map(([name, device]) => [name, withQualifiedNetwork(device, instance.project, managed)]),
      ) as HostStateInstance["devices"],
    }))
    .sort(byName);
  return { networks, instances };
}

function withQualifiedNetwork(device: Readonly<Record<string, string>>, project: string, managed: ReadonlySet<string>): Record<string, string> {
  const network = device.network;
  if (device.type !== "nic" || network === undefined || project === DEFAULT_PROJECT) return { ...device };
  const own = managed.has(key(project, network));
  return { ...device, network: own ? qualifiedName(project, network) : network };
}

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
