import { canonicalAddress, type ValidationIssue } from "@incusx/sdk";
import type { HostState, HostStateLoadBalancer } from "@incusx/sdk/host";

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
