// What LXD 5.0 really answers on the /1.0 paths the Incus state provider
// reads, kept in test/fixtures/incus-api/lxd-5.0.2.json: this test makes the
// same state on a fresh LXD (@incusx/testkit/lxd) and compares, so a
// different LXD build fails here instead of surprising the provider.
// Values that differ per run (UUIDs, times, MAC addresses, pids, idmaps,
// counters) are replaced by placeholders. RECORD_LXD_ANSWERS=1 rewrites the
// file. Root and Debian's lxd; skipped, saying why, otherwise.
import { readFileSync, writeFileSync } from "node:fs";
import { lxdSkipReason, LxdRequestError, startLxd, type LxdEvent, type LxdResponse, type LxdTestServer } from "@incusx/testkit/lxd";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const reason = lxdSkipReason();
const FIXTURE = new URL("../fixtures/incus-api/lxd-5.0.2.json", import.meta.url);
const RECORD = process.env.RECORD_LXD_ANSWERS === "1";

/** The GETs a state provider makes, in the order recorded. */
const PATHS = [
  "/1.0/cluster",
  "/1.0/projects?recursion=1",
  "/1.0/networks?recursion=1",
  "/1.0/networks?recursion=1&all-projects=true",
  "/1.0/networks/ixbr0/state",
  "/1.0/networks/ixbr0/forwards?recursion=1",
  "/1.0/networks/ixbr0/load-balancers?recursion=1",
  "/1.0/instances?recursion=1&all-projects=true",
  "/1.0/instances?recursion=2&project=p1",
];

/** The fields of `GET /1.0`'s environment that do not depend on the machine. */
const ENVIRONMENT_KEYS = ["server", "server_version", "server_clustered", "server_event_mode", "project", "firewall", "driver"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const LXD_MAC = /^00:16:3e(:[0-9a-f]{2}){3}$/;
const BRIDGE_ID = /^8000\.[0-9a-f]{12}$/;

/** The answer with per-run values replaced by placeholders and `used_by` lists sorted. */
function normalize(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    if (UUID.test(value)) return "<uuid>";
    if (TIME.test(value) && value !== "1970-01-01T00:00:00Z") return "<time>";
    if (LXD_MAC.test(value)) return "<hwaddr>";
    if (BRIDGE_ID.test(value)) return "<bridge-id>";
    if (key.startsWith("volatile.idmap.") || key === "volatile.last_state.idmap") return "<idmap>";
    return value;
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => normalize(item));
    return key === "used_by" ? [...items].sort() : items;
  }
  if (value !== null && typeof value === "object") {
    if (key === "counters") return "<counters>";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  }
  return value;
}

/** An answer as recorded: the envelope without its per-request parts, errors included. */
async function answer(lxd: LxdTestServer, path: string): Promise<unknown> {
  let response: LxdResponse | undefined;
  try {
    response = await lxd.request("GET", path);
  } catch (error) {
    if (!(error instanceof LxdRequestError) || error.response === undefined) throw error;
    response = error.response;
  }
  return normalize(response);
}

interface Recorded {
  readonly origin: string;
  readonly root: unknown;
  readonly answers: Record<string, unknown>;
  readonly events: unknown[];
  readonly errors: Record<string, string>;
}

describe.skipIf(reason !== undefined)(`LXD 5.0 answers${reason ? ` (skipped: ${reason})` : ""}`, () => {
  let lxd: LxdTestServer;
  let live: Recorded;

  beforeAll(async () => {
    lxd = await startLxd();
    const events = await lxd.events(["lifecycle"], { allProjects: true });
    const seen: LxdEvent[] = [];
    const expectEvent = async (action: string, source: string): Promise<void> => {
      seen.push(await events.waitFor((e) => e.metadata.action === action && e.metadata.source === source && !seen.includes(e)));
    };
    const forwards = `/1.0/networks/${lxd.bridge}/forwards`;

    await lxd.createForward("198.51.100.10", {
      targetAddress: "203.0.113.10",
      description: "web",
      ports: [{ protocol: "tcp", listen_port: "443", target_address: "203.0.113.11", target_port: "8443" }],
    });
    await expectEvent("network-forward-created", `${forwards}/198.51.100.10`);
    await lxd.createForward("2001:db8:8::10", { targetAddress: "2001:db8:7::10" });
    await expectEvent("network-forward-created", `${forwards}/2001:db8:8::10`);
    await lxd.lxc(["network", "forward", "set", lxd.bridge, "198.51.100.10", "target_address=203.0.113.12"]);
    await expectEvent("network-forward-updated", `${forwards}/198.51.100.10`);
    await lxd.createProject("p1");
    await expectEvent("project-created", "/1.0/projects/p1");
    await lxd.createInstance("c1", { devices: { eth0: { type: "nic", network: lxd.bridge, "ipv4.address": "203.0.113.20" } } });
    await expectEvent("instance-created", "/1.0/instances/c1");
    await lxd.createInstance("c2", { project: "p1", devices: { eth0: { type: "nic", network: lxd.bridge, "ipv6.address": "2001:db8:7::20" } } });
    await expectEvent("instance-created", "/1.0/instances/c2?project=p1");
    await lxd.lxc(["config", "device", "set", "c1", "eth0", "ipv4.address=203.0.113.21"]);
    await expectEvent("instance-updated", "/1.0/instances/c1");
    await lxd.createInstance("gone", { project: "p1", devices: { eth0: { type: "nic", network: lxd.bridge } } });
    await expectEvent("instance-created", "/1.0/instances/gone?project=p1");
    await lxd.deleteInstance("gone", "p1");
    await expectEvent("instance-deleted", "/1.0/instances/gone?project=p1");
    await lxd.lxc(["network", "forward", "delete", lxd.bridge, "2001:db8:8::10"]);
    await expectEvent("network-forward-deleted", `${forwards}/2001:db8:8::10`);
    await lxd.lxc(["network", "set", lxd.bridge, "user.note=x"]);
    await expectEvent("network-updated", `/1.0/networks/${lxd.bridge}`);
    await events.close();

    // Incus-only NIC keys: LXD 5.0 refuses them, so no LXD answer can carry one.
    const refused = await lxd
      .createInstance("c3", { devices: { eth0: { type: "nic", network: lxd.bridge, "ipv4.address.external": "198.51.100.10" } } })
      .then(() => "accepted", (error: unknown) => (error instanceof Error ? error.message : String(error)));

    const root = (await lxd.get<Record<string, unknown>>("/1.0")) as { environment: Record<string, unknown> } & Record<string, unknown>;
    const answers: Record<string, unknown> = {};
    for (const path of PATHS) answers[`GET ${path}`] = await answer(lxd, path);
    live = {
      origin: `Recorded from Debian 12's LXD ${lxd.version} (package lxd 5.0.2-5+deb12u*) by test/integration/lxd-answers.test.ts with RECORD_LXD_ANSWERS=1; per-run values are placeholders.`,
      root: normalize({
        api_version: root.api_version,
        auth: root.auth,
        api_extensions: root.api_extensions,
        environment: Object.fromEntries(ENVIRONMENT_KEYS.map((key) => [key, root.environment[key]])),
      }),
      answers,
      events: seen.map((event) => normalize(event)),
      errors: { "a bridged NIC with ipv4.address.external": refused.replace(/^.*?failed with code \d+: /s, "") },
    };
    if (RECORD) writeFileSync(FIXTURE, `${JSON.stringify(live, null, 2)}\n`);
  }, 180_000);
  afterAll(() => lxd?.stop(), 60_000);

  it("GET /1.0 lists the API extensions recorded (no network_load_balancer, no networks_all_projects)", () => {
    const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Recorded;
    expect(live.root).toEqual(recorded.root);
    expect((live.root as { api_extensions: string[] }).api_extensions).not.toContain("network_load_balancer");
  });

  it.each(PATHS)("GET %s answers as recorded", (path) => {
    const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Recorded;
    expect(live.answers[`GET ${path}`]).toEqual(recorded.answers[`GET ${path}`]);
  });

  it("/1.0/events?type=lifecycle&all-projects=true delivers the lifecycle events recorded, project-qualified", () => {
    const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Recorded;
    expect(live.events).toEqual(recorded.events);
  });

  it("refuses the Incus-only NIC key ipv4.address.external as recorded", () => {
    const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Recorded;
    expect(live.errors).toEqual(recorded.errors);
  });
});
