// `make demo` keeps working: the demo script runs the main job end to end
// (bundle of the built-in plugins, a host from it, DHCPv4 + DHCPv6 and
// resolv.conf in a container namespace served by dnsmasq, 50 container
// namespaces configured at once by `incusx daemon` over its socket, an OVN external
// address against a real northbound database, cleanup), exits 0 only when
// every step behaved as expected, and refuses to run without root.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const built = [
  "packages/cli/dist/bin.js",
  "packages/host/dist/index.js",
  "packages/daemon/dist/index.js",
  "plugins/dhcpv4/dist/index.js",
  "plugins/dhcpv6/dist/index.js",
  "plugins/dns/dist/index.js",
  "plugins/ovn-external-address/dist/index.js",
  "packages/testkit/dist/netns/index.js",
  "packages/testkit/dist/ovsdb/index.js",
];
const missing = built.filter((file) => !existsSync(root + file));
const isRoot = process.getuid?.() === 0;
const hasOvsdb = spawnSync("ovsdb-server", ["--version"]).error === undefined;

function demo(env: NodeJS.ProcessEnv = {}, prefix: readonly string[] = []) {
  const argv = [...prefix, process.execPath, "scripts/demo.mjs"];
  return spawnSync(argv[0]!, argv.slice(1), { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
}

describe.skipIf(missing.length > 0)("make demo (scripts/demo.mjs)", () => {
  it.skipIf(!isRoot || !hasOvsdb)("runs every step of the main job to a pass and prints the summary table", () => {
    const run = demo();
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("Demo passed");
    // Each step is reported with its time, and the table lists them in order.
    for (const name of ["bundle", "host", "dhcp", "dns", "fleet", "ovn", "cleanup"]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name} +ok +\\d+\\.\\d\\d s$`, "m"));
    }
    expect(run.stdout).toMatch(/^  -> ok in \d+\.\d\d s$/m);
    expect(run.stdout).toMatch(/^  total +ok +\d+\.\d\d s$/m);
    // What the steps showed: the bundle, both leases, resolv.conf from both, the NAT row.
    expect(run.stdout).toMatch(/Wrote bundle "demo" 1\.0\.0 .*: 4 plugins/);
    expect(run.stdout).toMatch(/^  bound ipv4 eth0 192\.0\.2\.\d+\/24 /m);
    expect(run.stdout).toMatch(/^  bound ipv6 eth0 2001:db8:1::[0-9a-f]+\/128 /m);
    expect(run.stdout).toMatch(/^  nameserver 192\.0\.2\.53\n  nameserver 2001:db8:1::53$/m);
    // The fleet: 50 namespaces configured by the daemon, attached over its socket, with its figures.
    expect(run.stdout).toMatch(/^\$ incusx daemon --config \S+\/host\.json --socket \/tmp\/incusx-daemon-\w+\/daemon\.sock /m);
    expect(run.stdout).toMatch(/^  all 50 configured in \d+\.\d\d s; daemon RSS \d+\.\d MiB/m);
    expect(run.stdout).toContain("ok   GET /1.0/nics lists 50 of 50 NICs with IPv4 and IPv6 bound");
    expect(run.stdout).toContain("ok   incusx daemon exited 0 on SIGTERM and removed its socket");
    expect(run.stdout).toMatch(/^  memory per NIC: .* = \d+ KiB/m);
    expect(run.stdout).toContain("ok   50 of 50 namespaces have their IPv4 /24 and IPv6 /128");
    expect(run.stdout).toContain("ok   the 50 fleet namespaces, its server and home namespaces are gone");
    expect(run.stdout).toContain('error[INVALID_CONFIG]: Invalid value for device option "ipv4.address.external"');
    expect(run.stdout).toMatch(/^  snat +198\.51\.100\.9 +10\.0\.0\.5\s*$/m);
    // Nothing is left behind: no scratch dir, no namespace of the demo.
    expect(readdirSync(root + "test/demo").filter((e) => e.startsWith(".tmp-demo-"))).toEqual([]);
    expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toMatch(/incusx-demo\d+-/);
  }, 130_000);

  it("says it needs root and exits 1 when not root (INCUSX_DEMO_UID)", () => {
    const run = demo({ INCUSX_DEMO_UID: "1000" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("needs root");
    expect(run.stdout).not.toContain("Step 1");
  });

  it.skipIf(!isRoot || !existsSync("/usr/bin/setpriv"))("says it needs root and exits 1 when run as nobody", () => {
    // A copy nobody can read: the checkout may sit in a directory only root can enter.
    const dir = mkdtempSync(join(tmpdir(), "incusx-demo-nobody-"));
    try {
      chmodSync(dir, 0o755);
      const script = join(dir, "demo.mjs");
      copyFileSync(join(root, "scripts/demo.mjs"), script);
      chmodSync(script, 0o644);
      const run = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, script], {
        cwd: dir,
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, INCUSX_DEMO_UID: "" },
      });
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr).toContain("needs root");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
