// Which part of the state a lifecycle event changes. Pure: no I/O.

import { DEFAULT_PROJECT } from "./snapshot.js";
import type { LifecycleEvent } from "./shapes.js";

/** What to read again after an event. */
export type Refresh =
  | { readonly kind: "all" }
  | { readonly kind: "network"; readonly project: string; readonly name: string }
  | { readonly kind: "forwards"; readonly project: string; readonly network: string }
  | { readonly kind: "load-balancers"; readonly project: string; readonly network: string }
  | { readonly kind: "instance"; readonly project: string; readonly name: string }
  | { readonly kind: "instances" };

// Instance events that change what the host reads (devices, config, location,
// existence); the rest (exec, console, file, start, stop) change none of it.
const INSTANCE_ACTIONS = new Set(["instance-created", "instance-updated", "instance-deleted", "instance-restored", "instance-migrated"]);

/**
 * What `event` makes stale: one network (with its router, forwards and load
 * balancers), one network's forwards or load balancers, one instance; every
 * instance for a rename or a profile change (profiles feed expanded
 * devices); everything for a project or cluster member change. `undefined`
 * for events that change nothing the host reads.
 *
 * @example
 * refreshFor({ action: "network-forward-created", source: "/1.0/networks/ovn0/forwards/198.51.100.9", project: "default" })
 * // { kind: "forwards", project: "default", network: "ovn0" }
 */
export function refreshFor(event: LifecycleEvent): Refresh | undefined {
  const { action } = event;
  const source = parseSource(event.source);
  if (source === undefined) return action.startsWith("network-") || action.startsWith("instance-") ? { kind: "all" } : undefined;
  const project = source.project ?? event.project ?? DEFAULT_PROJECT;
  const [collection, name, sub] = source.segments;
  if (action.startsWith("network-forward-")) {
    return collection === "networks" && name !== undefined && sub === "forwards" ? { kind: "forwards", project, network: name } : { kind: "all" };
  }
  if (action.startsWith("network-load-balancer-")) {
    return collection === "networks" && name !== undefined && sub === "load-balancers" ? { kind: "load-balancers", project, network: name } : { kind: "all" };
  }
  if (action === "network-renamed") return { kind: "all" };
  if (action === "network-created" || action === "network-updated" || action === "network-deleted") {
    return collection === "networks" && name !== undefined ? { kind: "network", project, name } : { kind: "all" };
  }
  if (action === "instance-renamed") return { kind: "instances" };
  if (INSTANCE_ACTIONS.has(action)) {
    return collection === "instances" && name !== undefined ? { kind: "instance", project, name } : { kind: "instances" };
  }
  if (action.startsWith("profile-")) return { kind: "instances" };
  if (action.startsWith("project-") || action === "cluster-member-renamed") return { kind: "all" };
  return undefined;
}

// "/1.0/networks/ovn0/forwards/198.51.100.9?project=tenant" -> segments after /1.0, decoded, and the project.
function parseSource(source: string): { readonly segments: readonly string[]; readonly project: string | undefined } | undefined {
  let url: URL;
  try {
    url = new URL(source, "http://unix.socket");
  } catch {
    return undefined;
  }
  const parts = url.pathname.split("/").filter((p) => p !== "");
  if (parts[0] !== "1.0") return undefined;
  try {
    return { segments: parts.slice(1).map((p) => decodeURIComponent(p)), project: url.searchParams.get("project") || undefined };
  } catch {
    return undefined;
  }
}
