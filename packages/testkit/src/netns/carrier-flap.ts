// A carrier flap of the container's eth0 too short for the kernel to
// announce: the link watch (net/core/link_watch.c) sends link notices for
// carrier changes from a work item, at most once a second for "non-urgent"
// links, and a loss and return that both land before it runs make one
// notice showing the link up, as if nothing had happened. Only the
// carrier counters (IFLA_CARRIER_DOWN_COUNT) tell.
import type { TestNetwork } from "./test-network.js";
import type { WaitForOptions } from "./wait.js";

// A second veth pair, one end in each namespace, both ends with the same
// index: its events are non-urgent too, and the kernel running them (seen
// in sysfs, which reads without making the kernel run them) starts the
// one-second hold-off in which the flap below falls.
const PRIMER = "primer0";
const PRIMER_INDEX = "100";

async function checked(net: TestNetwork, ns: "server" | "container", argv: readonly string[], input?: string): Promise<string> {
  const result = await net.exec(ns, argv, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`"${argv.join(" ")}" failed in the ${ns} namespace: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

const sysfs = (net: TestNetwork, ns: "server" | "container", iface: string, file: string): Promise<string> =>
  checked(net, ns, ["cat", `/sys/class/net/${iface}/${file}`]);

/**
 * Takes the server's end of the link down and up again (one `ip -batch`)
 * right after the kernel's link watch ran, so the container's `eth0` loses
 * its carrier and gets it back within the watch's one-second hold-off: the
 * kernel sends one link notice, showing the link up, and no down notice.
 * What a watch sees of a real short flap, made deterministic. Needs the two
 * ends of the pair to share their index (as the fresh namespaces of
 * {@link createTestNetwork} give them, both 2): the kernel applies the
 * changes of a veth whose peer has another index at once. Leaves a second
 * veth pair, `primer0`, in both namespaces.
 *
 * @example
 * await foldedCarrierFlap(net);
 * await net.waitFor(() => reports.join() === "true,false,true");
 */
export async function foldedCarrierFlap(net: TestNetwork, options: WaitForOptions = {}): Promise<void> {
  const [index, peer] = await Promise.all([sysfs(net, "container", net.iface, "ifindex"), sysfs(net, "container", net.iface, "iflink")]);
  if (index !== peer) throw new Error(`The ends of the container's link have different indexes (${index}, ${peer}): the kernel would announce the flap at once`);
  const primer = await net.exec("container", ["cat", `/sys/class/net/${PRIMER}/operstate`]);
  if (primer.code !== 0) {
    await checked(net, "server", ["ip", "link", "add", PRIMER, "index", PRIMER_INDEX, "type", "veth", "peer", "name", PRIMER, "index", PRIMER_INDEX, "netns", net.containerNs]);
    await checked(net, "container", ["ip", "link", "set", PRIMER, "addrgenmode", "none", "up"]);
  }
  // Only the link watch sets a link's operstate to "up" or takes it away again.
  const wasUp = primer.code === 0 && primer.stdout.trim() === "up";
  await checked(net, "server", ["ip", "link", "set", PRIMER, wasUp ? "down" : "up"]);
  await net.waitFor(async () => ((await sysfs(net, "container", PRIMER, "operstate")) === "up") !== wasUp, {
    intervalMs: 5,
    message: "the kernel's link watch never ran",
    ...options,
  });
  await checked(net, "server", ["ip", "-batch", "-"], `link set ${net.serverIface} down\nlink set ${net.serverIface} up\n`);
}
