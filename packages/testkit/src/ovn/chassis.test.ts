// The OVN chassis harness itself (root and the OVS/OVN packages; skipped,
// saying why, otherwise): a port is bound and claimed by the harness's
// chassis, and stop() leaves no namespace, process or directory behind and
// never touches a system Open vSwitch's run directories.
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NETNS_RUN_DIR, listNamespaces } from "../netns/namespaces.js";
import { OVN_TEST_CONTAINER_MAC, ovnChassisSkipReason, startOvnChassis } from "./index.js";

const reason = ovnChassisSkipReason();

/** Pids of the processes inside namespace `name`. */
function pidsIn(name: string): number[] {
  const ns = `net:[${statSync(`${NETNS_RUN_DIR}/${name}`).ino}]`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readlinkSync(`/proc/${entry}/ns/net`) === ns;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(reason !== undefined)(`startOvnChassis${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("binds the container's eth0 to a logical switch port, then stop() removes everything it made", { timeout: 60_000 }, async () => {
    const systemRunDirs = ["/run/openvswitch", "/var/run/ovn"].map((dir) => [dir, existsSync(dir)] as const);
    const ovn = await startOvnChassis();
    try {
      const net = ovn.network;
      await ovn.nbctl("ls-add", "ls0");
      await ovn.nbctl("lsp-add", "ls0", "c1", "--", "lsp-set-addresses", "c1", `${OVN_TEST_CONTAINER_MAC} 198.51.100.10`);
      await ovn.bindContainer("c1");

      expect((await ovn.sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port=c1")).trim()).toBe("true");
      const chassis = (await ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=incusx-test-chassis")).trim();
      expect((await ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=c1")).trim()).toBe(chassis);
      expect((await ovn.vsctl("get", "Bridge", "br-int", "datapath_type")).trim()).toBe("netdev");
      // The bridge's tap device lives in the chassis namespace, not the host's.
      expect((await net.exec("server", ["ip", "link", "show", "br-int"])).code).toBe(0);
      const link = JSON.parse((await net.exec("container", ["ip", "-json", "link", "show", "eth0"])).stdout) as { address: string }[];
      expect(link[0]!.address).toBe(OVN_TEST_CONTAINER_MAC);
      // ovsdb-server x3, ovs-vswitchd, ovn-northd and ovn-controller, all in the chassis namespace.
      const pids = pidsIn(net.serverNs);
      expect(pids.length).toBeGreaterThanOrEqual(6);

      const namespaces = [net.serverNs, net.containerNs];
      await ovn.stop();
      expect(listNamespaces().filter((name) => namespaces.includes(name))).toEqual([]);
      expect(existsSync(ovn.dir)).toBe(false);
      expect(pids.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z "))).toEqual([]);
      await ovn.stop();
    } finally {
      await ovn.stop();
    }
    expect(systemRunDirs.map(([dir]) => [dir, existsSync(dir)])).toEqual(systemRunDirs);
  });
});
