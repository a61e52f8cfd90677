// Shared by the dhcpv4*.test.ts and dual-stack*.test.ts integration tests:
// what dhcpv6-support.ts gives, plus the DHCPv4 side (the plugin and the
// native addon built, IPv4 addresses, routes and MTU read back, a packet
// capture of DHCPv4 messages).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nativeAddonStatus } from "@incusx/linux-net";
import { skipReason as skipReasonV6, type TestNetwork } from "./dhcpv6-support.js";

export {
  CLI,
  captureDhcpv6,
  createTestNetwork,
  dhcpAddresses,
  forknet,
  perTestResources,
  stateDir,
  stopAll,
  type ForknetRun,
  type PerTestResources,
  type TestNetwork,
} from "./dhcpv6-support.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const PLUGIN_V4 = join(root, "plugins/dhcpv4/dist/index.js");

/** Why the DHCPv4 integration tests cannot run here, or `undefined` when they can. */
export function skipReason(): string | undefined {
  const v6 = skipReasonV6();
  if (v6 !== undefined) return v6;
  if (!existsSync(PLUGIN_V4)) return "the DHCPv4 plugin is not built; run `pnpm build` (make test does)";
  const addon = nativeAddonStatus();
  if (!addon.loaded) return addon.reason;
  for (const tool of ["tcpdump"]) {
    if (!["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((dir) => existsSync(join(dir, tool)))) return `"${tool}" is not installed`;
  }
  return undefined;
}

/** The DHCPv4 addresses (dnsmasq's 192.0.2.0/24 ranges) on the container's eth0. */
export async function dhcpv4Addresses(net: TestNetwork) {
  return (await net.addresses("container", net.iface)).filter((a) => a.family === "inet" && a.local.startsWith("192.0.2."));
}

/** The container's eth0 as `ip -json link show` prints it (for the MTU). */
export async function containerLink(net: TestNetwork): Promise<{ mtu: number; operstate?: string }> {
  const result = await net.exec("container", ["ip", "-json", "link", "show", "dev", net.iface]);
  return (JSON.parse(result.stdout) as { mtu: number; operstate?: string }[])[0]!;
}

/** One DHCPv4 message seen on the server's side of the link. */
export interface Dhcpv4Seen {
  /** Epoch seconds (tcpdump -tt). */
  readonly at: number;
  /** `Discover`, `Offer`, `Request`, `ACK`, `NACK`, `Release`... as tcpdump names them. */
  readonly type: string;
  /** Source and destination addresses. */
  readonly from: string;
  readonly to: string;
}

/** A packet capture of DHCPv4 traffic on the server's side of the link (tcpdump -v). */
export interface Dhcpv4Capture {
  /** Every DHCPv4 message seen so far, both directions. */
  messages(): Dhcpv4Seen[];
  /** The client's messages of `type` so far. */
  fromClient(type: string): Dhcpv4Seen[];
}

/** Starts tcpdump in the server namespace; the network's destroy() stops it. */
export async function captureDhcpv4(net: TestNetwork): Promise<Dhcpv4Capture> {
  const tcpdump = net.spawn("server", ["tcpdump", "-l", "-n", "-tt", "-v", "-i", net.serverIface, "udp", "port", "67", "or", "udp", "port", "68"]);
  await net.waitFor(() => tcpdump.stderr().includes("listening on"), { timeoutMs: 10_000, message: "tcpdump did not start" });
  const messages = (): Dhcpv4Seen[] => {
    const seen: Dhcpv4Seen[] = [];
    let current: { at: number; from: string; to: string } | undefined;
    for (const line of tcpdump.stdout().split("\n")) {
      const header = /^(\d+\.\d+) IP /.exec(line);
      if (header) {
        current = { at: Number(header[1]), from: "", to: "" };
        continue;
      }
      // With -v the addresses are on the second line: "    0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request ..."
      const addresses = /^\s+(\d+\.\d+\.\d+\.\d+)\.6[78] > (\d+\.\d+\.\d+\.\d+)\.6[78]: BOOTP/.exec(line);
      if (addresses && current) {
        current.from = addresses[1]!;
        current.to = addresses[2]!;
        continue;
      }
      const type = /DHCP-Message \(53\), length 1: (\w+)/.exec(line);
      if (type && current) {
        seen.push({ ...current, type: type[1]! });
        current = undefined;
      }
    }
    return seen;
  };
  const clientTypes = new Set(["Discover", "Request", "Release", "Decline", "Inform"]);
  return {
    messages,
    fromClient: (type) => messages().filter((m) => clientTypes.has(m.type) && m.type === type),
  };
}
