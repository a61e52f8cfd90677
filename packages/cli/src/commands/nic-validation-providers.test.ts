// One NIC validation suite, two state providers: every case runs
// `incusx nic validate` (the real OVN external-address plugin) over a state
// file (`--state`) and over a live server holding the same state
// (`--incus-socket`, @incusx/state-incus's fake server), and must give the
// same answer.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostState } from "@incusx/sdk/host";
import { FakeIncus, incusDataFromHostState } from "@incusx/state-incus/testing";
import { runCli } from "../../test/run-cli.js";

const STATE: HostState = {
  networks: [
    {
      name: "ovn0",
      type: "ovn",
      ovn_router: "incus-net1-lr",
      config: { network: "UPLINK", "ipv4.address": "10.0.0.1/24", "ipv6.address": "fd00::1/64" },
      forwards: [{ listen_address: "198.51.100.9" }, { listen_address: "2001:db8::9" }],
      load_balancers: [{ listen_address: "198.51.100.20" }],
    },
    { name: "ovn1", type: "ovn", ovn_router: "incus-net2-lr", config: {}, forwards: [{ listen_address: "198.51.100.10" }] },
    { name: "br0", type: "bridge", config: { "ipv4.address": "192.0.2.1/24" } },
  ],
  instances: [
    {
      name: "c1",
      devices: {
        both: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" },
        spelled: { type: "nic", network: "ovn0", "ipv6.address.external": "2001:DB8:0::9" },
        nowhere: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.7" },
        other: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.10" },
        balancer: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.20" },
        family: { type: "nic", network: "ovn0", "ipv4.address.external": "2001:db8::9" },
        outside: { type: "nic", network: "ovn0", "ipv4.address": "10.9.9.9" },
        unknown: { type: "nic", network: "ovn0", "user.foo": "bar", foo: "bar" },
        bridged: { type: "nic", network: "br0", "ipv4.address": "192.0.2.10" },
        root: { type: "disk", path: "/", pool: "default" },
      },
    },
  ],
};

const CASES: readonly (readonly [device: string, status: number, stderr: RegExp | ""])[] = [
  ["both", 0, ""],
  ["spelled", 0, ""],
  ["nowhere", 1, /External address "198\.51\.100\.7" is not a network forward on network "ovn0"/],
  ["other", 1, /External address "198\.51\.100\.10" is not a network forward on network "ovn0"/],
  ["balancer", 1, /External address "198\.51\.100\.20" is not a network forward on network "ovn0"/],
  ["family", 1, /ipv4\.address\.external/],
  ["outside", 1, /10\.9\.9\.9/],
  ["unknown", 1, /Invalid device option "foo"/],
  ["bridged", 0, ""],
];

let dir: string;
let fake: FakeIncus;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-providers-"));
  await writeFile(join(dir, "state.json"), JSON.stringify(STATE));
  fake = await FakeIncus.start(incusDataFromHostState(STATE));
});
afterAll(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});

const PROVIDERS = [
  ["state file", () => ["--state", "state.json"]],
  ["live server", () => ["--incus-socket", fake.socket]],
] as const;

describe.each(PROVIDERS)("incusx nic validate over a %s", (_name, source) => {
  it.each(CASES)("NIC c1/%s: exit %i", async (device, status, stderr) => {
    const result = await runCli(["nic", "validate", ...source(), "--instance", "c1", "--device", device], dir);
    expect(result.status, result.stderr).toBe(status);
    if (stderr === "") expect(result.stderr).toBe("");
    else expect(result.stderr).toMatch(stderr);
  });

  it("finds no NIC that is not there, and no instance that is not there", async () => {
    const device = await runCli(["nic", "validate", ...source(), "--instance", "c1", "--device", "root"], dir);
    expect(device.status).toBe(1);
    const instance = await runCli(["nic", "validate", ...source(), "--instance", "c9", "--device", "eth0"], dir);
    expect(instance.status).toBe(1);
    expect(instance.stderr).toContain('Instance "c9" not found');
  });
});

it("both providers give the same answers, word for word", async () => {
  for (const [device] of CASES) {
    const [file, server] = await Promise.all(PROVIDERS.map(([, source]) => runCli(["nic", "validate", ...source(), "--instance", "c1", "--device", device, "--json"], dir)));
    expect(server).toEqual(file);
  }
});
