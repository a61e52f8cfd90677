#!/usr/bin/env node
// Cold start to an IPv4 address: from process start, with the link just
// brought up, until the DHCPv4 address is in the kernel. Ours
// (`incusx forknet dhcp --no-ipv6 --exit-when-configured`) against
// `udhcpc` (busybox), `dhclient -4 -1` and `dhcpcd -4 -1` (with and without
// its ARP probe of the offered address), in the same run against the same
// dnsmasq in a throwaway test network; then dual stack, ours and dhcpcd's
// time to both addresses. Root only; not part of CI.
//
//   node test/bench/dhcpv4-cold-start.bench.mjs [ROUNDS]      (default 7)
//   INCUSX_BENCH_BASELINE_CLI=/old/checkout/packages/cli/dist/bin.js node ...
//     also times that build as "incusx-baseline", for a before/after in one run
//
// When packages/cli/dist/forknet.bundle.mjs is built, "incusx-bundle" times
// the same command run from that one-file bundle (docs/forknet-dhcp.md,
// "One-shot bundle") and "incusx-snapshot" its launcher dist/incusx-forknet
// (the startup snapshot, when usable); INCUSX_BENCH_NO_BUNDLE=1 leaves both out.
//   INCUSX_BENCH_BASELINE_BUNDLE=/old/checkout/packages/cli/dist/forknet.bundle.mjs node ...
//     also times that bundle (or, not ending in .mjs, that launcher) as "bundle-baseline"
//
// Each round runs every client once, in a rotating order, each from the
// same starting point: eth0 down, addresses flushed, a fresh lease store
// (and for ours a fresh state directory), eth0 up, client started. The time
// is taken when `ip monitor` reports the address, so the clients' own ways
// of exiting do not matter. Every client runs inside the container
// namespace and a private mount namespace whose /run, lease directories
// and /etc/resolv.conf are temporary, so the host's files and interfaces
// are never touched (as packages/dhcp-wire/scripts/capture-fixtures.sh
// does). udhcpc and dhclient get scripts that only put the address on the
// link (they leave that to their script); dhcpcd gets /bin/true as script.
//
// "node-floor" is no DHCP client: a bare `node -e` that adds a fixed address
// with one `ip` command, the least time any Node.js client can take here.
//
// Prints a table and one JSON summary line. Target: ours faster than udhcpc.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  benchSetup,
  dnsmasqVersion,
  killAllIn,
  peerScripts,
  resetLink,
  round3,
  startMonitor,
  summarize,
  timeRounds,
  timeUntilAddresses,
  workDir,
} from "./cold-start-support.mjs";

const { cli, bundleCli, snapshotCli, baselineBundle, rounds, baselineCli, createTestNetwork } = await benchSetup("dhcpv4-cold-start", {
  plugins: ["dhcpv4", "dhcpv6"],
  tools: [["udhcpc", "udhcpc"], ["dhcpcd", "dhcpcd-base"], ["dhclient", "isc-dhcp-client"]],
});
const { work, resolvConf } = workDir("incusx-bench-v4-");
const { udhcpcScript, dhclientScript, dhclientConf } = peerScripts(work);

const net = await createTestNetwork({ containerLinkUp: false });
const ns = net.containerNs;
let monitor;
try {
  monitor = startMonitor(ns);
  const incusx = (state, ...flags) => incusxOf(cli, state, ...flags);
  // A launcher (no .js/.mjs) runs as it is; a script with this Node.js.
  const incusxOf = (bin, state, ...flags) => [...(/\.m?js$/.test(bin) ? [process.execPath, bin] : [bin]), "forknet", "dhcp", "--netns", "/proc/self/ns/net", "--interface", "eth0", ...flags, "--exit-when-configured", "--timeout", "30", "--state-dir", state];
  const NODE_FLOOR = 'require("node:child_process").execFileSync("ip", ["addr", "add", "192.0.2.250/24", "dev", "eth0"])';
  const v4Clients = {
    incusx: (state) => incusx(state, "--no-ipv6"),
    udhcpc: (state) => ["udhcpc", "-f", "-q", "-n", "-i", "eth0", "-s", udhcpcScript, "-p", join(state, "udhcpc.pid")],
    dhclient: (state) => ["dhclient", "-4", "-1", "-d", "-cf", dhclientConf, "-sf", dhclientScript, "-lf", join(state, "dhclient.leases"), "-pf", join(state, "dhclient.pid"), "eth0"],
    dhcpcd: () => ["dhcpcd", "-4", "-B", "-1", "-c", "/bin/true", "eth0"],
    "dhcpcd-noarp": () => ["dhcpcd", "-4", "-B", "-1", "--noarp", "-c", "/bin/true", "eth0"],
    // Not a DHCP client: the floor of any Node.js client, a bare Node start
    // that puts a fixed address (outside dnsmasq's range) on the link with one `ip`.
    "node-floor": () => [process.execPath, "-e", NODE_FLOOR],
    ...(baselineCli === undefined ? {} : { "incusx-baseline": (state) => incusxOf(baselineCli, state, "--no-ipv6") }),
    ...(bundleCli === undefined ? {} : { "incusx-bundle": (state) => incusxOf(bundleCli, state, "--no-ipv6") }),
    ...(snapshotCli === undefined ? {} : { "incusx-snapshot": (state) => incusxOf(snapshotCli, state, "--no-ipv6") }),
    ...(baselineBundle === undefined ? {} : { "bundle-baseline": (state) => incusxOf(baselineBundle, state, "--no-ipv6") }),
  };
  const dualClients = {
    incusx: (state) => incusx(state),
    dhcpcd: () => ["dhcpcd", "-B", "-c", "/bin/true", "eth0"],
    ...(baselineCli === undefined ? {} : { "incusx-baseline": (state) => incusxOf(baselineCli, state) }),
    ...(bundleCli === undefined ? {} : { "incusx-bundle": (state) => incusxOf(bundleCli, state) }),
    ...(snapshotCli === undefined ? {} : { "incusx-snapshot": (state) => incusxOf(snapshotCli, state) }),
    ...(baselineBundle === undefined ? {} : { "bundle-baseline": (state) => incusxOf(baselineBundle, state) }),
  };
  const V4 = /inet 192\.0\.2\./;
  const V6 = /inet6 2001:db8:1::/;
  console.log(`DHCPv4 cold start, ${rounds} rounds, dnsmasq ${dnsmasqVersion()} in ${net.serverNs}`);
  // Node.js 20 reads and parses that file at every start (30-40 ms here): every Node.js row pays it, udhcpc does not.
  if (process.env.NODE_EXTRA_CA_CERTS) console.log(`NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}): every Node.js client below reads it at start; run with \`env -u NODE_EXTRA_CA_CERTS\` for a host without it`);
  const scenarios = {};
  for (const [scenario, clients, patterns] of [["ipv4", v4Clients, [V4]], ["dual-stack", dualClients, [V4, V6]]]) {
    const names = Object.keys(clients);
    console.log(`\n${scenario} (until ${patterns.length === 1 ? "the IPv4 address is" : "both addresses are"} in the kernel):`);
    const times = await timeRounds(names, rounds, (name) => coldStart(name, clients[name], patterns));
    const { medians, samples } = summarize(names, times);
    const ratios = Object.fromEntries(names.filter((n) => n !== "incusx").map((n) => [`vs${n[0].toUpperCase()}${n.slice(1).replace(/-(\w)/g, (_, c) => c.toUpperCase())}`, round3(medians.incusx / medians[n])]));
    console.log(`  ${Object.entries(ratios).map(([k, v]) => `incusx/${k.slice(2)} ${v}`).join(", ")}`);
    const bundle = medians["incusx-bundle"];
    const bundleRatios = bundle === undefined ? undefined : { vsIncusx: round3(bundle / medians.incusx), ...(medians.udhcpc === undefined ? {} : { vsUdhcpc: round3(bundle / medians.udhcpc) }) };
    if (bundleRatios !== undefined) console.log(`  ${Object.entries(bundleRatios).map(([k, v]) => `incusx-bundle/${k.slice(2).toLowerCase()} ${v}`).join(", ")}`);
    // The other one-shot rows against udhcpc, as the target reads.
    const udhcpcRatios = Object.fromEntries(
      ["incusx-snapshot", "bundle-baseline", "node-floor"].filter((n) => medians[n] !== undefined && medians.udhcpc !== undefined).map((n) => [n, round3(medians[n] / medians.udhcpc)]),
    );
    if (Object.keys(udhcpcRatios).length > 0) console.log(`  ${Object.entries(udhcpcRatios).map(([n, v]) => `${n}/udhcpc ${v}`).join(", ")}`);
    scenarios[scenario] = { medians, samples, ratios, ...(bundleRatios === undefined ? {} : { bundleRatios }), udhcpcRatios };
  }
  const targetMet = scenarios.ipv4.ratios.vsUdhcpc < 1;
  console.log(`\ntarget incusx faster than udhcpc (IPv4): ${targetMet ? "met" : "NOT met"}`);
  const bundleTarget = scenarios.ipv4.bundleRatios === undefined ? undefined : scenarios.ipv4.bundleRatios.vsUdhcpc <= 3;
  if (bundleTarget !== undefined) console.log(`target incusx-bundle at most 3x udhcpc (IPv4): ${bundleTarget ? "met" : "NOT met"}`);
  const snapshotTarget = scenarios.ipv4.udhcpcRatios["incusx-snapshot"] === undefined ? undefined : scenarios.ipv4.udhcpcRatios["incusx-snapshot"] <= 3;
  if (snapshotTarget !== undefined) console.log(`target incusx-snapshot (the incusx-forknet launcher) at most 3x udhcpc (IPv4): ${snapshotTarget ? "met" : "NOT met"}`);
  // For scale: the wall time of a Node.js start that does nothing, outside the namespace.
  const nodeStart = medianOf(Array.from({ length: rounds }, () => wallMs(process.execPath, ["-e", "0"])));
  console.log(`node -e 0: ${nodeStart} ms (median of ${rounds})`);
  console.log(JSON.stringify({ bench: "dhcpv4-cold-start", rounds, unit: "ms", scenarios, target: "incusx/udhcpc < 1", targetMet, ...(bundleTarget === undefined ? {} : { bundleTarget: "incusx-bundle/udhcpc <= 3", bundleTargetMet: bundleTarget }), ...(snapshotTarget === undefined ? {} : { snapshotTargetMet: snapshotTarget }), nodeStartMs: nodeStart, nodeExtraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS), loadavg: readFileSync("/proc/loadavg", "utf8").trim(), node: process.version }));
} finally {
  monitor?.kill();
  killAllIn(ns, monitor);
  await net.destroy();
  rmSync(work, { recursive: true, force: true });
}

// Milliseconds one run of `command args` takes, start to exit.
function wallMs(command, args) {
  const start = performance.now();
  spawnSync(command, args, { stdio: "ignore" });
  return performance.now() - start;
}

function medianOf(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return round3(sorted[Math.floor(sorted.length / 2)]);
}

// One cold start of client `name`: milliseconds from spawn until every pattern has shown up in `ip monitor`.
async function coldStart(name, argvOf, patterns) {
  killAllIn(ns, monitor);
  const state = mkdtempSync(join(work, `${name}-`));
  resetLink(ns);
  const ms = await timeUntilAddresses({ name, ns, resolvConf, monitor, argv: argvOf(state), patterns });
  rmSync(state, { recursive: true, force: true });
  return ms;
}
