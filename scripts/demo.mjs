#!/usr/bin/env node
// `make demo`: shows incusx end to end on this machine. Steps 1-3 need no
// root or network; step 4 needs root (it is skipped, saying so, without).
// Uses the built packages (`pnpm build`).
//
//   1. `incusx plugins list`  reads the example plugin's manifest, runs no plugin code
//   2. `incusx plugins check` starts a host with it and prints the startup report
//   3. Host.validateNic       validates a good NIC and a bad one, printing the
//                             problems the way Incus prints device errors
//   4. `incusx forknet dhcp`  a container network namespace gets its IPv4
//                             address (DHCPv4, with routes) and its IPv6 address
//                             (DHCPv6) from dnsmasq, both runners side by side,
//                             read back with `ip -json addr`/`ip -json route`
//                             (throwaway namespaces, documentation addresses
//                             only, removed even on failure)
//   5. `incusx nic start`      OVN external address against a real northbound
//                             database it starts (ovsdb-server, temp dir, no
//                             root): a bad ipv4.address.external is rejected
//                             with Incus's message, a good one becomes a snat
//                             row, and `incusx nat list` prints the NAT table
//
// Exits 0 only when every step behaved as expected.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "packages", "cli", "dist", "bin.js");
const config = join(root, "test", "demo", "host.json");
const examplePlugin = join(root, "docs", "examples", "plugin-mtu-limit");
const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

const failures = [];
function expect(ok, what) {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}

console.log(bold("incusx demo"));
console.log(
  [
    "A host loads plugins listed in a host config. Here the config names one plugin,",
    `the example "example.mtu-limit" (${relative(root, examplePlugin)}), which caps NIC MTUs:`,
    "at most 9000 on network \"jumbo0\", at most 1500 elsewhere.",
    `Config: ${relative(root, config)}`,
  ].join("\n"),
);

for (const [file, hint] of [
  [cli, "run `pnpm build` (make demo does)"],
  [join(examplePlugin, "package.json"), "the example plugin is missing"],
  [join(examplePlugin, "dist", "index.js"), "run `pnpm build` (make demo does)"],
]) {
  if (!existsSync(file)) {
    console.error(`\nCannot run the demo: ${relative(root, file)} not found; ${hint}.`);
    process.exit(1);
  }
}

step(1, "List the configured plugins from their manifests (no plugin code runs)");
const list = incusx("plugins", "list", "--config", relative(root, config));
expect(list.status === 0, "incusx plugins list exits 0");
expect(list.stdout.includes("example.mtu-limit"), 'it lists "example.mtu-limit"');

step(2, "Start a host with the configured plugins, print the startup report, stop it");
const check = incusx("plugins", "check", "--config", relative(root, config));
expect(check.status === 0, "incusx plugins check exits 0 (every plugin started)");
expect(/^example\.mtu-limit +\S+ +started/m.test(check.stdout), '"example.mtu-limit" is reported as started');

step(3, "Validate two container NICs through Host.validateNic");
await validateNics();

step(4, "A container network namespace gets its IPv4 and IPv6 addresses from dnsmasq (incusx forknet dhcp)");
await forknetDhcp();

step(5, "An OVN NIC's external address: rejected when it is no network forward, applied as a snat row when it is");
await ovnExternalAddress();

console.log("");
if (failures.length === 0) {
  console.log(bold("Demo passed: every step behaved as expected."));
} else {
  console.log(bold(`Demo FAILED: ${failures.length} expectation(s) not met:`));
  for (const failure of failures) console.log(`  - ${failure}`);
}
process.exit(failures.length === 0 ? 0 : 1);

function step(n, title) {
  console.log(`\n${bold(`Step ${n}/5: ${title}`)}`);
}

// Runs the built CLI as a user would, echoing the command and its output.
function incusx(...args) {
  console.log(`$ incusx ${args.join(" ")}`);
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8" });
  for (const line of run.stdout.trimEnd().split("\n")) console.log(line ? `  ${line}` : "");
  // Plugin logs are JSON lines on stderr; shown so nothing is hidden.
  for (const line of run.stderr.trimEnd().split("\n").filter(Boolean)) console.log(`  (stderr) ${line}`);
  console.log(`  (exit status ${run.status})`);
  return run;
}

async function validateNics() {
  // @incusx/host as the test workspace package links it (test/package.json).
  const require = createRequire(join(root, "test", "package.json"));
  const { Host, loadHostConfig } = await import(pathToFileURL(require.resolve("@incusx/host")).href);
  const stateDir = await mkdtemp(join(tmpdir(), "incusx-demo-"));
  const logs = [];
  const host = new Host({ ...(await loadHostConfig(config)), stateDir, services: { logSink: (r) => logs.push(r) } });
  try {
    const report = await host.start();
    expect(report.ok, "the host starts with the example plugin");
    if (!report.ok) return;

    const good = { instance: "c1", device: "eth0", type: "bridged", config: { network: "jumbo0", mtu: "9000" } };
    const bad = { instance: "c1", device: "eth1", type: "bridged", config: { network: "incusbr0", mtu: "9000", foo: "bar" } };

    const goodProblems = await showValidation(host, good);
    expect(goodProblems.length === 0, 'eth0 (mtu 9000 on "jumbo0") is valid');

    const badProblems = await showValidation(host, bad);
    const keys = badProblems.map((p) => p.key).sort();
    expect(keys.length === 2 && keys[0] === "foo" && keys[1] === "mtu", 'eth1 has exactly two problems: "mtu" and "foo"');
    expect(
      badProblems.some((p) => p.key === "mtu" && /above the limit 1500/.test(p.message)),
      'the "mtu" problem comes from the plugin: above the limit 1500',
    );
    expect(
      badProblems.some((p) => p.key === "foo" && p.message === 'Invalid device option "foo"'),
      'the unknown key "foo" is rejected by the host',
    );
  } finally {
    await host.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function showValidation(host, nic) {
  const settings = Object.entries(nic.config)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  console.log(`> host.validateNic(${nic.instance}/${nic.device}: type=${nic.type} ${settings})`);
  const problems = await host.validateNic(nic);
  if (problems.length === 0) console.log("  Valid: no problems");
  for (const problem of problems) {
    console.log(`  Error: Device validation failed for ${JSON.stringify(nic.device)}: ${problem.message}`);
  }
  return problems;
}

async function forknetDhcp() {
  if (process.getuid?.() !== 0) {
    console.log("  skipped: needs root (network namespaces); run `sudo make demo` to see it");
    return;
  }
  const harness = join(root, "packages", "testkit", "dist", "netns", "index.js");
  const plugins = ["dhcpv4", "dhcpv6"].map((p) => join(root, "plugins", p, "dist", "index.js"));
  if (!existsSync(harness) || !plugins.every((p) => existsSync(p))) {
    expect(false, "the netns harness and the DHCP plugins are built (run `pnpm build`)");
    return;
  }
  const { createTestNetwork } = await import(pathToFileURL(harness).href);
  // Two throwaway namespaces joined by a veth pair: dnsmasq on 192.0.2.1/24 and
  // 2001:db8:1::1/64 in the "server" one, eth0 without an address in the "container" one.
  let net;
  try {
    net = await createTestNetwork({
      prefix: "incusx-demo",
      dnsmasqArgs: ["--dhcp-option=121,0.0.0.0/0,192.0.2.1,198.51.100.0/24,192.0.2.1", "--dhcp-option=option:mtu,1400"],
    });
  } catch (error) {
    expect(false, `the test network comes up: ${error.message}`);
    return;
  }
  const stateDir = await mkdtemp(join(tmpdir(), "incusx-demo-dhcp-"));
  try {
    console.log(`Namespaces: ${net.serverNs} (dnsmasq, 192.0.2.100-200 and 2001:db8:1::100-200) and ${net.containerNs} (eth0, no address)`);
    const run = incusx(
      "forknet", "dhcp", "--netns", net.containerNs, "--interface", "eth0",
      "--exit-when-configured", "--timeout", "20", "--state-dir", stateDir,
    );
    expect(run.status === 0, "incusx forknet dhcp --exit-when-configured exits 0 (IPv4 and IPv6 configured)");
    const leased4 = /^bound ipv4 eth0 (\S+)\/24 /m.exec(run.stdout)?.[1];
    const leased6 = /^bound ipv6 eth0 (\S+)\/128 /m.exec(run.stdout)?.[1];
    expect(leased4 !== undefined, "it prints the bound DHCPv4 lease with a /24 address");
    expect(leased6 !== undefined, "it prints the bound DHCPv6 lease with a /128 address");

    console.log(`$ ip -n ${net.containerNs} -json addr show dev eth0`);
    const addresses = await net.addresses("container", "eth0");
    for (const a of addresses) {
      console.log(`  ${a.local}/${a.prefixlen} scope ${a.scope} valid_lft ${a.valid_life_time} preferred_lft ${a.preferred_life_time}`);
    }
    const v4 = addresses.find((a) => a.local === leased4);
    const v6 = addresses.find((a) => a.local === leased6);
    expect(v4?.prefixlen === 24, `the DHCPv4 address ${leased4 ?? "?"} is on eth0 as a /24`);
    expect(v6?.prefixlen === 128, `the DHCPv6 address ${leased6 ?? "?"} is on eth0 as a /128`);
    expect(
      [v4, v6].every((a) => a !== undefined && a.valid_life_time <= 3600 && a.valid_life_time > 3500),
      "both with the lease's lifetime (1 h), not forever",
    );
    console.log(`$ ip -n ${net.containerNs} -json -4 route show dev eth0`);
    const routes = await net.routes("container", "eth0", "ipv4");
    for (const r of routes) console.log(`  ${r.dst}${r.gateway ? ` via ${r.gateway}` : ""}`);
    expect(
      routes.some((r) => r.dst === "default" && r.gateway === "192.0.2.1") && routes.some((r) => r.dst === "198.51.100.0/24"),
      "the classless static routes (option 121) are in the main table",
    );
  } finally {
    await net.destroy();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function ovnExternalAddress() {
  if (spawnSync("ovsdb-server", ["--version"]).error !== undefined) {
    console.log("  skipped: ovsdb-server is not installed (apt-get install ovn-central; make demo does)");
    return;
  }
  const harness = join(root, "packages", "testkit", "dist", "ovsdb", "index.js");
  if (!existsSync(harness)) {
    expect(false, "the OVN database harness is built (run `pnpm build`)");
    return;
  }
  const { startOvnNorthbound } = await import(pathToFileURL(harness).href);
  let nb;
  try {
    nb = await startOvnNorthbound();
  } catch (error) {
    expect(false, `a northbound ovsdb-server starts: ${error.message}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "incusx-demo-ovn-"));
  try {
    await nb.nbctl("lr-add", "lr-ovn0");
    console.log(`Northbound database: ${nb.connection} (OVN's NB schema, logical router "lr-ovn0")`);
    // Network ovn0 with one network forward (198.51.100.9) and one load balancer (198.51.100.20).
    const stateFile = join(dir, "network-state.json");
    const writeState = (external) =>
      writeFile(
        stateFile,
        JSON.stringify({
          networks: [
            {
              name: "ovn0",
              type: "ovn",
              ovn_router: "lr-ovn0",
              config: { "ipv4.address": "10.0.0.1/24" },
              forwards: [{ listen_address: "198.51.100.9" }],
              load_balancers: [{ listen_address: "198.51.100.20" }],
            },
          ],
          instances: [
            { name: "c1", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": external } } },
          ],
        }),
      );
    const nic = ["--state", stateFile, "--ovn-nb", nb.connection, "--instance", "c1", "--device", "eth0"];

    console.log("State: c1/eth0 on ovn0 asks for ipv4.address.external=198.51.100.20 (a load balancer, not a forward)");
    await writeState("198.51.100.20");
    const bad = incusx("nic", "start", ...nic);
    expect(bad.status === 1, "incusx nic start exits 1 for an address that is no network forward");
    expect(
      bad.stderr.includes(
        'Invalid value for device option "ipv4.address.external": External address "198.51.100.20" is not a network forward on network "ovn0"',
      ),
      "with Incus's message",
    );

    console.log("State: c1/eth0 now asks for ipv4.address.external=198.51.100.9 (the forward)");
    await writeState("198.51.100.9");
    const good = incusx("nic", "start", ...nic);
    expect(good.status === 0, "incusx nic start exits 0 and applies the rule");
    const list = incusx("nat", "list", "--ovn-nb", nb.connection, "--state", stateFile);
    expect(/^c1 +eth0 +ovn0 +lr-ovn0 +ipv4 +10\.0\.0\.5 +198\.51\.100\.9$/m.test(list.stdout), "incusx nat list shows the owned snat rule");
    console.log("$ ovn-nbctl lr-nat-list lr-ovn0");
    const table = await nb.nbctl("lr-nat-list", "lr-ovn0");
    for (const line of table.trimEnd().split("\n")) console.log(`  ${line}`);
    expect(/^snat +198\.51\.100\.9 +10\.0\.0\.5\s*$/m.test(table), "ovn-nbctl sees the snat row 198.51.100.9 <- 10.0.0.5 on lr-ovn0");
  } finally {
    await nb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
