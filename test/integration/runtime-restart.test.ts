// A resident host killed with SIGKILL and started again on the same state
// directory re-adopts every NIC without removing an address (root only,
// real dnsmasq): a child process runs `host.networkRuntime()` with the
// DHCPv4 and DHCPv6 plugins and attaches the eth0 of several container
// namespaces; once all are bound, `ip monitor address` watches each
// namespace and the child is killed; a new child on the same state
// directory calls `restore()`. Every NIC is bound again by INIT-REBOOT and
// Renew (dnsmasq's log shows no DISCOVER and no Solicit), each namespace
// keeps the same addresses, and no watcher saw a single address deleted.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { TestProcess } from "@incusx/testkit/netns";
import { dhcpAddresses, dhcpv4Addresses, perTestResources, skipReason, type TestNetwork } from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();
const CHILD = fileURLToPath(new URL("./runtime-restart-child.mjs", import.meta.url));
const NICS = 4;
// An address put on the container's loopback once the watcher runs: seeing it proves the watcher listens.
const PROBE = "198.51.100.7";

interface NicState {
  readonly instance: string;
  readonly families: readonly { family: string; state: string; addresses: readonly string[] }[];
}
type Line =
  | { type: "ready" | "attached"; at: number }
  | { type: "restored"; at: number; startedAt: number; result: { restored: unknown[]; dropped: unknown[]; failed: unknown[] } }
  | { type: "state"; at: number; kind: string; family: string; nics: NicState[] };

/** A runtime child: its JSON lines so far, and a way to wait for one. */
class RuntimeChild {
  readonly lines: Line[] = [];
  readonly exit: Promise<void>;
  #stderr = "";
  #exited = false;
  readonly #child: ChildProcess;

  constructor(args: readonly string[]) {
    this.#child = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    this.#child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (pending + chunk).split("\n");
      pending = parts.pop() ?? "";
      for (const part of parts) if (part.startsWith("{")) this.lines.push(JSON.parse(part) as Line);
    });
    this.#child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.#stderr += chunk));
    this.exit = new Promise((resolve) => this.#child.once("exit", () => resolve()));
    void this.exit.then(() => (this.#exited = true));
  }

  /** The first line matching `test`, waiting for it (the child must not exit first). */
  async waitFor<T extends Line>(net: TestNetwork, test: (line: Line) => line is T, what: string, timeoutMs = 30_000): Promise<T> {
    return net.waitFor(
      () => {
        const found = this.lines.find(test);
        if (found === undefined && this.#exited) throw new Error(`The runtime child exited before ${what}; stderr: ${this.#stderr.slice(-4000)}`);
        return found;
      },
      { timeoutMs, message: `No ${what} from the runtime child; last state: ${JSON.stringify(this.lines.at(-1))}; stderr: ${this.#stderr.slice(-4000)}` },
    );
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.#exited) this.#child.kill("SIGKILL");
    await this.exit;
  }
}

const children: RuntimeChild[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill();
});

const allBound = (count: number) => (line: Line): line is Extract<Line, { type: "state" }> =>
  line.type === "state" &&
  line.nics.length === count &&
  line.nics.every((nic) => nic.families.length === 2 && nic.families.every((f) => f.state === "bound"));

/** The DHCP addresses the kernel of `net`'s container shows, v4 then v6. */
async function kernelAddresses(net: TestNetwork): Promise<string[]> {
  return [...(await dhcpv4Addresses(net)), ...(await dhcpAddresses(net))].map((a) => `${a.local}/${a.prefixlen}`);
}

/** `ip monitor address` in the container namespace, listening before this returns. */
async function watchAddresses(net: TestNetwork): Promise<TestProcess> {
  const monitor = net.spawn("container", ["ip", "monitor", "address"]);
  // `ip monitor` subscribes some time after it starts: add the probe again
  // (delete, add) until the monitor has printed it, so it is listening.
  await net.waitFor(
    async () => {
      if (monitor.stdout().includes(PROBE)) return true;
      await net.exec("container", ["ip", "addr", "del", `${PROBE}/32`, "dev", "lo"]).catch(() => undefined);
      await net.exec("container", ["ip", "addr", "add", `${PROBE}/32`, "dev", "lo"]);
      return monitor.stdout().includes(PROBE);
    },
    { timeoutMs: 10_000, message: "ip monitor address did not start" },
  );
  return monitor;
}

describe.skipIf(reason !== undefined)(`a resident runtime killed and restarted, against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it(`re-adopts ${NICS} NICs after SIGKILL by INIT-REBOOT and Renew, removing no address in any namespace`, async () => {
    const nets = await Promise.all(Array.from({ length: NICS }, () => network({})));
    const stateDir = await state();
    const nics = nets.map((net, i) => ({ instance: `c${i}`, device: "eth0", interface: net.iface, netns: net.containerNsPath, hostname: `c${i}` }));

    const first = new RuntimeChild([stateDir, "attach", JSON.stringify(nics)]);
    children.push(first);
    await first.waitFor(nets[0]!, allBound(NICS), "binding of every NIC");
    const before = await Promise.all(nets.map((net) => kernelAddresses(net)));
    for (const addresses of before) expect(addresses).toHaveLength(2);

    const monitors = await Promise.all(nets.map((net) => watchAddresses(net)));
    const logBefore = nets.map((net) => net.dnsmasq.log().length);
    await first.kill();

    const second = new RuntimeChild([stateDir, "restore"]);
    children.push(second);
    const restored = await second.waitFor(nets[0]!, (l): l is Extract<Line, { type: "restored" }> => l.type === "restored", "restore result");
    expect(restored.result.dropped).toEqual([]);
    expect(restored.result.failed).toEqual([]);
    expect(restored.result.restored).toHaveLength(NICS);
    const bound = await second.waitFor(nets[0]!, allBound(NICS), "binding of every restored NIC");
    const readoptMs = bound.at - restored.startedAt;
    console.log(`restart: ${NICS} NICs re-adopted ${readoptMs} ms after restore() began`);
    expect(readoptMs).toBeLessThan(5_000);
    // Only bound events after the restart: nothing expired, nothing released.
    expect(second.lines.filter((l) => l.type === "state" && l.kind !== "bound")).toEqual([]);

    for (const [i, net] of nets.entries()) {
      // Same addresses as before the kill, and what the restored runtime says it holds.
      expect(await kernelAddresses(net)).toEqual(before[i]);
      const listed = bound.nics.find((n) => n.instance === `c${i}`)!;
      expect(listed.families.flatMap((f) => f.addresses).sort()).toEqual(before[i]!.map((a) => a.split("/")[0]!).sort());
      // INIT-REBOOT and Renew, not a new DISCOVER or Solicit.
      const log = net.dnsmasq.log().slice(logBefore[i]);
      expect(log).toMatch(/DHCPREQUEST\(veth-srv\) 192\.0\.2\./);
      expect(log).toMatch(/DHCPACK\(veth-srv\) 192\.0\.2\./);
      expect(log).toMatch(/DHCPRENEW\(veth-srv\)/);
      expect(log).not.toMatch(/DHCPDISCOVER|DHCPSOLICIT/);
      // Not one address deleted in this namespace across the kill and the restore.
      const deleted = monitors[i]!.stdout().split("\n").filter((line) => line.startsWith("Deleted") && !line.includes(PROBE));
      expect(deleted, `c${i}`).toEqual([]);
    }
  }, 120_000);
});
