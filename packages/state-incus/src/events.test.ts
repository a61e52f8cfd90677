import { describe, expect, it } from "vitest";
import { refreshFor } from "./events.js";

const event = (action: string, source: string, project?: string) => ({ action, source, project });

describe("refreshFor", () => {
  it.each([
    ["network-forward-created", "/1.0/networks/ovn0/forwards/198.51.100.9", { kind: "forwards", project: "default", network: "ovn0" }],
    ["network-forward-deleted", "/1.0/networks/ovn0/forwards/2001:db8::9?project=tenant", { kind: "forwards", project: "tenant", network: "ovn0" }],
    ["network-load-balancer-updated", "/1.0/networks/ovn0/load-balancers/198.51.100.20", { kind: "load-balancers", project: "default", network: "ovn0" }],
    ["network-created", "/1.0/networks/br%2Dx", { kind: "network", project: "default", name: "br-x" }],
    ["network-renamed", "/1.0/networks/ovn1", { kind: "all" }],
    ["instance-updated", "/1.0/instances/c1?project=tenant", { kind: "instance", project: "tenant", name: "c1" }],
    ["instance-deleted", "/1.0/instances/c1", { kind: "instance", project: "default", name: "c1" }],
    ["instance-renamed", "/1.0/instances/c9", { kind: "instances" }],
    ["profile-updated", "/1.0/profiles/default", { kind: "instances" }],
    ["project-deleted", "/1.0/projects/tenant", { kind: "all" }],
    ["cluster-member-renamed", "/1.0/cluster/members/server09", { kind: "all" }],
  ])("%s %s", (action, source, refresh) => {
    expect(refreshFor(event(action, source))).toEqual(refresh);
  });

  it("takes the event's project when the source has none", () => {
    expect(refreshFor(event("instance-created", "/1.0/instances/c2", "tenant"))).toEqual({ kind: "instance", project: "tenant", name: "c2" });
  });

  it("ignores what changes nothing the host reads", () => {
    for (const action of ["instance-exec", "instance-started", "instance-console", "image-created", "storage-pool-updated", "operation-created"]) {
      expect(refreshFor(event(action, "/1.0/instances/c1"))).toBeUndefined();
    }
  });

  it("reads everything when a network or instance event has a source it cannot place", () => {
    expect(refreshFor(event("network-forward-created", "not a path %%"))).toEqual({ kind: "all" });
    expect(refreshFor(event("network-forward-created", "/1.0/instances/c1"))).toEqual({ kind: "all" });
    expect(refreshFor(event("instance-updated", "/2.0/instances/c1"))).toEqual({ kind: "all" });
  });
});
