import { mkdtemp, readFile, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidConfigError } from "@incusx/sdk";
import type { HostState } from "@incusx/sdk/host";
import { FileNetworkState, parseHostState } from "./file-network-state.js";

const EXAMPLE = fileURLToPath(new URL("../../../../docs/examples/host-state.json", import.meta.url));
const GUIDE = fileURLToPath(new URL("../../../../docs/host-state.md", import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stateFile(state: unknown, name = "network-state.json"): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof state === "string" ? state : JSON.stringify(state));
  return file;
}

const ovn0 = {
  name: "ovn0",
  type: "ovn",
  ovn_router: "lr-ovn0",
  config: { "ipv4.address": "10.0.0.1/24" },
  forwards: [{ listen_address: "198.51.100.9", description: "c1 out" }, { listen_address: "2001:db8::9" }],
  load_balancers: [{ listen_address: "198.51.100.20" }],
};

async function problemsOf(state: unknown): Promise<string[]> {
  const error = await new FileNetworkState(await stateFile(state)).networks().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidConfigError);
  return (error as InvalidConfigError).message.split("\n");
}

describe("FileNetworkState", () => {
  it("reads the documented example file", async () => {
    const state = new FileNetworkState(EXAMPLE);
    expect((await state.networks()).map((n) => [n.name, n.type, n.ovnRouter, n.id])).toEqual([
      ["ovn0", "ovn", "incus-net1-lr", 1],
      ["incusbr0", "bridge", undefined, undefined],
    ]);
    expect((await state.forwards("ovn0")).map((f) => f.listenAddress)).toEqual(["198.51.100.9", "2001:db8::9"]);
    expect(await state.nics()).toEqual([
      {
        instance: "c1",
        device: "eth0",
        type: "ovn",
        config: {
          network: "ovn0",
          "ipv4.address": "10.0.0.5",
          "ipv4.address.external": "198.51.100.9",
          "ipv6.address.external": "2001:db8::9",
        },
        instanceUuid: "8f0c3e4a-5b6d-4e7f-9a1b-2c3d4e5f6a7b",
      },
      { instance: "c2", device: "eth0", type: "ovn", config: { network: "ovn0" } },
      { instance: "c2", device: "eth1", type: "bridged", config: { network: "incusbr0", hwaddr: "00:16:3e:00:00:02" } },
    ]);
  });

  it("gives each NIC its instance's cluster member (location), and takes project as written by `incusx state dump`", async () => {
    const state = new FileNetworkState(
      await stateFile({
        networks: [{ name: "tenant_br0", type: "bridge", project: "tenant" }],
        instances: [
          { name: "tenant_c1", project: "tenant", location: "server02", config: { "volatile.uuid": "0c9e1f3a-2b44-4d6e-8f70-91a2b3c4d502" }, devices: { eth0: { type: "nic", network: "tenant_br0" } } },
          { name: "c2", devices: { eth0: { type: "nic", network: "tenant_br0" } } },
        ],
      }),
    );
    expect(await state.nics()).toEqual([
      { instance: "tenant_c1", device: "eth0", type: "bridged", location: "server02", instanceUuid: "0c9e1f3a-2b44-4d6e-8f70-91a2b3c4d502", config: { network: "tenant_br0" } },
      { instance: "c2", device: "eth0", type: "bridged", config: { network: "tenant_br0" } },
    ]);
  });

  it("maps networks, forwards and NIC devices to the SDK shapes; load balancers are not forwards", async () => {
    const state = new FileNetworkState(
      await stateFile({
        networks: [ovn0, { name: "br0", type: "bridge" }],
        instances: [
          {
            name: "c1",
            devices: {
              eth0: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.9" },
              eth1: { type: "nic", nictype: "macvlan", parent: "enp5s0" },
              root: { type: "disk", path: "/" },
            },
          },
        ],
      }),
    );
    expect(await state.network("ovn0")).toEqual({ name: "ovn0", type: "ovn", config: { "ipv4.address": "10.0.0.1/24" }, ovnRouter: "lr-ovn0" });
    expect(await state.network("br0")).toEqual({ name: "br0", type: "bridge", config: {} });
    expect(await state.network("nope")).toBeUndefined();
    expect(await state.forwards("ovn0")).toEqual([
      { network: "ovn0", listenAddress: "198.51.100.9", description: "c1 out" },
      { network: "ovn0", listenAddress: "2001:db8::9" },
    ]);
    expect(await state.forwards("br0")).toEqual([]);
    expect(await state.nics()).toEqual([
      { instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0", "ipv4.address.external": "198.51.100.9" } },
      { instance: "c1", device: "eth1", type: "macvlan", config: { parent: "enp5s0" } },
    ]);
  });

  it("sees an edit of the file at the next call", async () => {
    const file = await stateFile({ networks: [ovn0] });
    const state = new FileNetworkState(file);
    expect(await state.forwards("ovn0")).toHaveLength(2);
    await writeFile(file, JSON.stringify({ networks: [{ ...ovn0, forwards: [] }] }));
    expect(await state.forwards("ovn0")).toEqual([]);
  });

  it("sees a same-size rewrite right after a read, with the old modification time put back", async () => {
    const file = await stateFile({ networks: [{ ...ovn0, forwards: [{ listen_address: "198.51.100.9" }] }] });
    const state = new FileNetworkState(file);
    const before = await stat(file);
    expect((await state.forwards("ovn0")).map((f) => f.listenAddress)).toEqual(["198.51.100.9"]);
    await writeFile(file, JSON.stringify({ networks: [{ ...ovn0, forwards: [{ listen_address: "198.51.100.8" }] }] }));
    await utimes(file, before.atime, before.mtime);
    expect((await state.forwards("ovn0")).map((f) => f.listenAddress)).toEqual(["198.51.100.8"]);
  });

  it("reads the file once while it does not change", async () => {
    const file = await stateFile({ networks: [ovn0] });
    const state = new FileNetworkState(file);
    const first = await state.networks();
    expect(await state.networks()).toBe(first);
  });

  it("fails every call with file, JSON pointer and expectation when the schema does not match", async () => {
    const lines = await problemsOf({
      networks: [{ name: "ovn0", type: "ovn", ovn_router: "lr", forwards: [{ listen_address: 7 }], colour: "red" }],
      instances: [{ name: "c1", devices: { eth0: { network: "ovn0" } } }],
    });
    const file = join(dir, "network-state.json");
    expect(lines).toEqual(
      expect.arrayContaining([
        `${file}: /networks/0: unknown property "colour"`,
        `${file}: /networks/0/forwards/0/listen_address: must be string`,
        `${file}: /instances/0/devices/eth0: missing required property "type"`,
      ]),
    );
  });

  it("reports what the schema cannot check: names, addresses, routers and NIC networks", async () => {
    const file = join(dir, "network-state.json");
    const lines = await problemsOf({
      networks: [
        { ...ovn0, ovn_router: undefined, forwards: [{ listen_address: "198.51.100.9/32" }, { listen_address: "2001:DB8:0::9" }, { listen_address: "2001:db8::9" }] },
        { name: "ovn0", type: "bridge" },
      ],
      instances: [
        { name: "c1", devices: { "a/b": { type: "nic", network: "ovn9" }, eth1: { type: "nic" } } },
        { name: "c1" },
      ],
    });
    expect(lines).toEqual([
      `${file}: /networks/0: missing required property "ovn_router" (an "ovn" network needs its logical router)`,
      `${file}: /networks/0/forwards/0/listen_address: must be an IP address without prefix, got "198.51.100.9/32"`,
      `${file}: /networks/0/forwards/2/listen_address: listen address "2001:db8::9" is already used at /networks/0/forwards/1/listen_address`,
      `${file}: /networks/1/name: duplicate network name "ovn0" (also at /networks/0)`,
      `${file}: /instances/0/devices/a~1b/network: network "ovn9" does not exist`,
      `${file}: /instances/0/devices/eth1: a NIC device needs "network" or "nictype"`,
      `${file}: /instances/1/name: duplicate instance name "c1" (also at /instances/0)`,
    ]);
  });

  /** Problems of a state whose network has the one load balancer `lb`, paths relative to it. */
  async function loadBalancerProblems(lb: Record<string, unknown>): Promise<string[]> {
    const prefix = `${join(dir, "network-state.json")}: /networks/0/load_balancers/0`;
    const lines = await problemsOf({ networks: [{ ...ovn0, load_balancers: [{ listen_address: "198.51.100.20", ...lb }] }] });
    return lines.map((line) => (line.startsWith(prefix) ? line.slice(prefix.length) : line));
  }

  it("checks load balancer backends and ports against Incus's format", async () => {
    const lines = await loadBalancerProblems({
      backends: [{ name: "web1", target_address: 5, colour: "red" }, { target_address: "10.0.0.6" }],
      ports: [
        { protocol: "sctp", listen_port: "80", target_backend: ["web1"] },
        { protocol: "tcp", listen_port: "80", target_backend: "web1" },
        { protocol: "udp", target_backend: [7] },
      ],
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        `/backends/0: unknown property "colour"`,
        `/backends/0/target_address: must be string`,
        `/backends/1: missing required property "name"`,
        `/ports/0/protocol: must be equal to one of the allowed values "tcp", "udp"`,
        `/ports/1/target_backend: must be array`,
        `/ports/2: missing required property "listen_port"`,
        `/ports/2/target_backend/0: must be string`,
      ]),
    );
  });

  it("reports load balancer problems the schema cannot check: backend names, addresses and references", async () => {
    const lines = await loadBalancerProblems({
      backends: [
        { name: "web1", target_address: "10.0.0.5", target_port: "8080" },
        { name: "web1", target_address: "10.0.0.6" },
        { name: "web2", target_address: "web2.example" },
      ],
      ports: [{ protocol: "tcp", listen_port: "80", target_backend: ["web1", "web3"] }],
    });
    const lb = "/networks/0/load_balancers/0";
    expect(lines).toEqual([
      `/backends/1/name: duplicate backend name "web1" (also at ${lb}/backends/0)`,
      `/backends/2/target_address: must be an IP address without prefix, got "web2.example"`,
      `/ports/0/target_backend/1: backend "web3" does not exist on this load balancer`,
    ]);
  });

  describe("a deeply nested file", () => {
    const depth = 100_000;
    const deepObject = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    const deepInBackend = (inner: string): string =>
      `{"networks":[{"name":"br0","type":"bridge","forwards":[{"listen_address":"198.51.100.9"}],` +
      `"load_balancers":[{"listen_address":"198.51.100.20","backends":[{"name":"b","target_address":"10.0.0.5","x":${inner}}]}]}]}`;

    it("fails with INVALID_CONFIG saying how deep is too deep, wherever the nesting is", async () => {
      for (const text of [deepInBackend(deepObject), "[".repeat(depth) + "]".repeat(depth), deepObject]) {
        const error = await new FileNetworkState(await stateFile(text)).networks().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).message).toMatch(/nested deeper than 64 levels/);
      }
    });

    it("is refused by removeForward with INVALID_CONFIG, not a RangeError from writing it back", async () => {
      const state = new FileNetworkState(await stateFile(deepInBackend(deepObject)));
      const error = await state.removeForward("br0", "198.51.100.9").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidConfigError);
    });

    it("accepts the deepest nesting the schema allows", () => {
      const lb = { listen_address: "198.51.100.20", backends: [{ name: "b", target_address: "10.0.0.5" }], ports: [{ protocol: "tcp", listen_port: "80", target_backend: ["b"] }] };
      expect(parseHostState(JSON.stringify({ networks: [{ name: "br0", type: "bridge", load_balancers: [lb] }] }), "x.json").networks).toHaveLength(1);
    });
  });

  it("lists every problem as an issue with its pointer", async () => {
    const error = await new FileNetworkState(await stateFile({ networks: [{ name: "x", type: "ovn" }] }))
      .nics()
      .catch((e: unknown) => e);
    expect((error as InvalidConfigError).issues).toEqual([
      { path: "/networks/0", message: expect.stringContaining('"ovn_router"') },
    ]);
    expect((error as InvalidConfigError).code).toBe("INVALID_CONFIG");
  });

  it("says which file is not JSON, and recovers once the file is fixed", async () => {
    const file = await stateFile("{ nope");
    const state = new FileNetworkState(file);
    await expect(state.networks()).rejects.toThrow(`${file}: not valid JSON`);
    await writeFile(file, JSON.stringify({ networks: [ovn0] }));
    expect(await state.networks()).toHaveLength(1);
  });

  it("fails for a missing file, unless the file is optional", async () => {
    const file = join(dir, "absent.json");
    await expect(new FileNetworkState(file).nics()).rejects.toThrow(`${file}: cannot read`);
    const optional = new FileNetworkState(file, { optional: true });
    expect(await optional.nics()).toEqual([]);
    await writeFile(file, JSON.stringify({ networks: [ovn0] }));
    expect(await optional.forwards("ovn0")).toHaveLength(2);
  });

  describe("removeForward", () => {
    it("removes the forward matched as an address, atomically, keeping the rest of the file", async () => {
      const file = await stateFile({ networks: [ovn0], instances: [{ name: "c1" }] });
      const state = new FileNetworkState(file);
      expect(await state.forwards("ovn0")).toHaveLength(2);
      const removed = await state.removeForward("ovn0", "2001:DB8:0:0::9");
      expect(removed).toEqual({ network: "ovn0", listenAddress: "2001:db8::9" });
      expect((await state.forwards("ovn0")).map((f) => f.listenAddress)).toEqual(["198.51.100.9"]);
      const written = JSON.parse(await readFile(file, "utf8")) as HostState;
      expect(written.networks?.[0]?.load_balancers).toEqual(ovn0.load_balancers);
      expect(written.instances).toEqual([{ name: "c1" }]);
      expect(await readdir(dir)).toEqual(["network-state.json"]);
    });

    it("refuses a forward or network that does not exist, and a load balancer address", async () => {
      const state = new FileNetworkState(await stateFile({ networks: [ovn0] }));
      await expect(state.removeForward("ovn0", "198.51.100.20")).rejects.toThrow(
        /^Network forward "198.51.100.20" not found on network "ovn0"/,
      );
      await expect(state.removeForward("ovn1", "198.51.100.9")).rejects.toThrow(/^Network "ovn1" not found/);
      expect(await state.forwards("ovn0")).toHaveLength(2);
    });

    it("refuses to rewrite a file that is not valid", async () => {
      const file = await stateFile({ networks: [{ ...ovn0, type: 5 }] });
      await expect(new FileNetworkState(file).removeForward("ovn0", "198.51.100.9")).rejects.toThrow(/must be string/);
    });
  });

  it("carries Incus's network id and the instance's volatile.uuid, which name Incus's OVN NIC ports", async () => {
    const file = await stateFile({
      networks: [{ ...ovn0, id: 7 }],
      instances: [
        { name: "c1", config: { "volatile.uuid": "8f0c3e4a-5b6d-4e7f-9a1b-2c3d4e5f6a7b", "limits.cpu": "2" }, devices: { eth0: { type: "nic", network: "ovn0" } } },
        { name: "c2", devices: { eth0: { type: "nic", network: "ovn0" } } },
      ],
    });
    const state = new FileNetworkState(file);
    expect((await state.network("ovn0"))?.id).toBe(7);
    expect((await state.nics()).map((n) => [n.instance, n.instanceUuid])).toEqual([
      ["c1", "8f0c3e4a-5b6d-4e7f-9a1b-2c3d4e5f6a7b"],
      ["c2", undefined],
    ]);
    expect(await problemsOf({ networks: [{ ...ovn0, id: -1 }] })).toEqual([expect.stringContaining("/networks/0/id")]);
  });

  it("accepts the example in docs/host-state.md", async () => {
    const guide = await readFile(GUIDE, "utf8");
    const block = /```json\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(block).toBeDefined();
    expect(parseHostState(block!, GUIDE).networks?.[0]?.ovn_router).toBe("incus-net1-lr");
  });

  it("parseHostState accepts the minimal document", () => {
    expect(parseHostState("{}", "x.json")).toEqual({});
  });
});

describe("FileNetworkState.watch", () => {
  it("says when the file is replaced or rewritten, and the next call reads the new contents", async () => {
    const file = await stateFile({ networks: [ovn0] });
    const state = new FileNetworkState(file);
    let events = 0;
    let wake: (() => void) | undefined;
    const stop = state.watch(() => {
      events++;
      wake?.();
    });
    const changed = async (write: () => Promise<void>): Promise<void> => {
      const before = events;
      const seen = new Promise<void>((resolve) => (wake = resolve));
      await write();
      if (events === before) await seen;
    };
    try {
      expect((await state.networks()).map((n) => n.name)).toEqual(["ovn0"]);
      await changed(async () => {
        await writeFile(`${file}.tmp`, JSON.stringify({ networks: [{ ...ovn0, name: "ovn1" }] }));
        await rename(`${file}.tmp`, file);
      });
      expect((await state.networks()).map((n) => n.name)).toEqual(["ovn1"]);
      await changed(() => writeFile(file, "{ not json"));
      await expect(state.networks()).rejects.toBeInstanceOf(InvalidConfigError);
      await changed(() => writeFile(file, JSON.stringify({ networks: [ovn0] })));
      expect((await state.networks()).map((n) => n.name)).toEqual(["ovn0"]);
    } finally {
      stop();
    }
  });

  it("reads what a writer renamed into place at once, before the watch event comes", async () => {
    const file = await stateFile({ networks: [ovn0] });
    const state = new FileNetworkState(file);
    const stop = state.watch(() => undefined);
    try {
      expect((await state.networks()).map((n) => n.name)).toEqual(["ovn0"]);
      await writeFile(`${file}.tmp`, JSON.stringify({ networks: [{ ...ovn0, name: "ovn1" }] }));
      await rename(`${file}.tmp`, file);
      expect((await state.networks()).map((n) => n.name)).toEqual(["ovn1"]);
    } finally {
      stop();
    }
  });

  it("gives a no-op watch for a directory that does not exist", () => {
    const state = new FileNetworkState(join(dir, "missing", "state.json"));
    const stop = state.watch(() => undefined);
    expect(() => stop()).not.toThrow();
  });
});
