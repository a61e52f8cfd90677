#!/usr/bin/env node
// Cold start to an IPv6 address: from process start, with the link just
// brought up, until the DHCPv6 address is in the kernel. Ours
// (`incusx forknet dhcp --no-ipv4 --exit-when-configured`) against
// `dhcpcd -6 -B -1` and `dhclient -6 -1`, in the same run against the same
// dnsmasq in a throwaway test network. Root only; not part of CI.
//
//   node test/bench/dhcpv6-cold-start.bench.mjs [ROUNDS]      (default 7)
//   INCUSX_BENCH_BASELINE_CLI=/old/checkout/packages/cli/dist/bin.js node ...
//     also times that build as "incusx-baseline", for a before/after in one run
//
// Each round runs every client once, in a rotating order, each from the
// same starting point: eth0 down, addresses flushed, a fresh DUID and lease
// store, eth0 up (and operationally up in the kernel, see operUp), client
// started. The time is taken when `ip monitor`
// reports the global address (tentative or not), so the clients' own
// ways of exiting do not matter. Every client runs inside the container
// namespace and a private mount namespace whose /run, lease directories
// and /etc/resolv.conf are temporary, so the host's files and interfaces
// are never touched (as packages/dhcp-wire/scripts/capture-fixtures.sh does).
// dhclient and dhcpcd get no-op scripts except for putting the address on
// the link (dhclient leaves that to its script); dhclient is started the way
// ifupdown starts it, once the link-local address has finished DAD.
//
// Prints a table and one JSON summary line. Target: ours at most half of
// dhcpcd's median.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  benchSetup,
  dnsmasqVersion,
  killAllIn,
  resetLink,
  round3,
  script,
  sh,
  startMonitor,
  summarize,
  timeRounds,
  timeUntilAddresses,
  workDir,
} from "./cold-start-support.mjs";

const { cli, rounds, baselineCli, createTestNetwork } = await benchSetup("dhcpv6-cold-start", {
  plugins: ["dhcpv6"],
  tools: [["dhcpcd", "dhcpcd-base"], ["dhclient", "isc-dhcp-client"]],
});
const { work, resolvConf } = workDir("incusx-bench-v6-");
const dhclientScript = script(work, "dhclient-script", [
  "# Only what dhclient needs to configure the address; no resolv.conf, no hooks.",
  'case "$reason" in BOUND6|RENEW6|REBIND6|REBOOT6)',
  '  [ -n "$new_ip6_address" ] && ip -6 addr replace "$new_ip6_address/${new_ip6_prefixlen:-128}" dev "$interface" valid_lft "${new_max_life:-forever}" preferred_lft "${new_preferred_life:-forever}";;',
  "esac",
]);
writeFileSync(join(work, "dhclient.conf"), "");

const WAIT_FOR_LL6 =
  'while ! ip -6 addr show dev eth0 scope link | grep -q "inet6 fe80" || ip -6 addr show dev eth0 scope link tentative | grep -q inet6; do sleep 0.1; done; ';

const net = await createTestNetwork({ v4: false, containerLinkUp: false });
const ns = net.containerNs;
let monitor;
try {
  monitor = startMonitor(ns);
  const incusxOf = (bin, state) => [process.execPath, bin, "forknet", "dhcp", "--netns", "/proc/self/ns/net", "--interface", "eth0", "--no-ipv4", "--exit-when-configured", "--timeout", "30", "--state-dir", state];
  const clients = {
    incusx: (state) => incusxOf(cli, state),
    dhcpcd: () => ["dhcpcd", "-6", "-B", "-1", "-c", "/bin/true", "eth0"],
    // dhclient -6 exits at once while the link-local address is tentative; ifupdown's
    // `inet6 dhcp` waits for DAD first (wait-for-ll6.sh, polling every 0.1 s), and so do we.
    dhclient: (state) => ["sh", "-c", WAIT_FOR_LL6 + 'exec "$@"', "dhclient", "dhclient", "-6", "-1", "-cf", join(work, "dhclient.conf"), "-sf", dhclientScript, "-lf", join(state, "dhclient6.leases"), "-pf", join(state, "dhclient6.pid"), "eth0"],
    ...(baselineCli === undefined ? {} : { "incusx-baseline": (state) => incusxOf(baselineCli, state) }),
  };
  const names = Object.keys(clients);
  console.log(`DHCPv6 cold start, ${rounds} rounds, dnsmasq ${dnsmasqVersion()} in ${net.serverNs}`);
  const scenarios = {};
  // "link-up": the clock starts as the link comes up, so the kernel's DAD of
  // the link-local address (1-2 s, which every client must wait for) is in
  // every time. "link-ready": the clock starts once DAD is done, so only the
  // clients' own work is timed.
  for (const scenario of ["link-up", "link-ready"]) {
    console.log(`\n${scenario}:`);
    const times = await timeRounds(names, rounds, (name) => coldStart(name, clients[name], scenario === "link-ready"));
    const { medians, samples } = summarize(names, times);
    const ratios = { vsDhcpcd: round3(medians.incusx / medians.dhcpcd), vsDhclient: round3(medians.incusx / medians.dhclient) };
    if (baselineCli !== undefined) ratios.baselineVsDhcpcd = round3(medians["incusx-baseline"] / medians.dhcpcd);
    if (ratios.baselineVsDhcpcd !== undefined) console.log(`  incusx-baseline/dhcpcd ${ratios.baselineVsDhcpcd}`);
    console.log(`  incusx/dhcpcd ${ratios.vsDhcpcd}, incusx/dhclient ${ratios.vsDhclient}; target incusx/dhcpcd <= 0.5: ${ratios.vsDhcpcd <= 0.5 ? "met" : "NOT met"}`);
    scenarios[scenario] = { medians, samples, ratios, targetMet: ratios.vsDhcpcd <= 0.5 };
  }
  console.log(JSON.stringify({ bench: "dhcpv6-cold-start", rounds, unit: "ms", scenarios, node: process.version }));
} finally {
  monitor?.kill();
  killAllIn(ns, monitor);
  await net.destroy();
  rmSync(work, { recursive: true, force: true });
}

// One cold start of client `name`: milliseconds from spawn to the global address.
async function coldStart(name, argvOf, waitForDad) {
  killAllIn(ns, monitor);
  const state = mkdtempSync(join(work, `${name}-`));
  resetLink(ns);
  await operUp(ns);
  if (waitForDad) await linkLocalReady(ns);
  const ms = await timeUntilAddresses({ name, ns, resolvConf, monitor, argv: argvOf(state), patterns: [/inet6 2001:db8:1::/] });
  rmSync(state, { recursive: true, force: true });
  return ms;
}

// The same link-up moment for every client. eth0 and veth-srv both have
// ifindex 2 in their namespaces, so the kernel treats their carrier changes
// as non-urgent and linkwatch applies them up to 1 s late (at most one batch
// a second, host-wide); only then does the link become operationally up and
// DAD of the link-local address start. Whichever client happened to read
// the link state first (a read makes the kernel apply the pending change)
// would otherwise get an earlier DAD than one that waits for netlink events.
// Reading `carrier` here applies it for every client alike, before the clock
// starts.
async function operUp(ns) {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
    const [, operstate] = sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/eth0/carrier", "/sys/class/net/eth0/operstate").split("\n");
    if (operstate === "up") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("eth0 did not come up");
}

async function linkLocalReady(ns) {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const out = sh("ip", "-n", ns, "-6", "addr", "show", "dev", "eth0", "scope", "link");
    if (out.includes("inet6 fe80") && !out.includes("tentative")) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the link-local address did not finish DAD");
}
