// The host journey, run exactly as docs/hosts.md tells it, against the
// built `incusx`: a bundle and host config, the host state file, an
// embedding program (start report, reconcile at start, NIC start/stop
// through the API, SIGTERM shutdown), the nic/nat commands against a real
// OVN northbound database, and `incusx forknet dhcp` in a container
// namespace served by dnsmasq (DHCPv4 + DHCPv6, resolv.conf, SIGTERM,
// --release). Needs root (namespaces) and ovsdb-server; skipped otherwise.
import { hostname } from "node:os";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { buildWorkspace } from "./build-lock.js";
import { describeRun, incusxOnPath, journeyBlocks, runJourney, type BlockRun } from "./doc-journey.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cliBin = join(root, "packages/cli/dist/bin.js");
// Inside the workspace's test package, whose node_modules holds the host, the
// SDK and the plugins: the guide's "prefix" (the bundle must sit in that tree).
const scratchParent = fileURLToPath(new URL("./", import.meta.url));
const hasOvsdb = spawnSync("ovsdb-server", ["--version"]).error === undefined;
const blocks = journeyBlocks(join(root, "docs/hosts.md"), "host");
const HOOK_TIMEOUT_MS = 240_000;

describe.skipIf(!rootAvailable() || !hasOvsdb)("the host journey (docs/hosts.md)", () => {
  let work: string;
  let net: TestNetwork | undefined;
  let nb: OvnTestNorthbound | undefined;
  let runs: BlockRun[];
  // The build waits for the workspace build lock, which another test file may hold for long.
  let setupMs = 0;

  beforeAll(async () => {
    const hookStarted = Date.now();
    for (const entry of readdirSync(scratchParent)) {
      if (entry.startsWith(".tmp-hosts-")) rmSync(join(scratchParent, entry), { recursive: true, force: true });
    }
    work = mkdtempSync(join(scratchParent, ".tmp-hosts-"));
    const bin = incusxOnPath(join(work, "bin"), cliBin);
    buildWorkspace(root, ["packages/cli", "packages/testkit"]);
    // What the guide says a real host has: a container namespace on a
    // network served by dnsmasq, and a northbound database with ovn0's router.
    net = await createTestNetwork({ prefix: "incusx-hj" });
    nb = await startOvnNorthbound();
    await nb.nbctl("lr-add", "incus-net1-lr");
    const prefix = join(work, "prefix");
    mkdirSync(prefix);
    // Each block takes seconds; one that hangs is killed with all it started
    // (and named with its output) well before the hook's own limit.
    setupMs = Date.now() - hookStarted;
    runs = await runJourney(blocks, prefix, bin, { NETNS: net.containerNs, OVN_NB: nb.connection }, {
      blockTimeoutMs: 90_000,
      totalTimeoutMs: HOOK_TIMEOUT_MS - 20_000 - (Date.now() - hookStarted),
    });
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await net?.destroy();
    await nb?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  const out = (i: number) => runs[i]!.stdout;
  const prefixFile = (name: string) => join(work, "prefix", name);

  it("runs every marked block of the guide with the exit status it states", () => {
    expect(blocks.map((b) => b.exits)).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    for (const run of runs) {
      expect(run.status, `${describeRun(run)}\n(the build and the test network took ${setupMs} ms before the first block)`).toBe(run.block.exits);
    }
    expect(runs).toHaveLength(blocks.length);
  });

  it("starts a host from the bundle the host config names", () => {
    expect(out(0)).toMatch(/^Wrote bundle "host" 1\.0\.0 .*: 4 plugins/m);
    for (const id of ["dhcpv4", "dhcpv6", "dns", "ovn-external-address"]) expect(out(0)).toMatch(new RegExp(`^incusx\\.${id} +0\\.0\\.0 +started`, "m"));
    expect(out(0)).toMatch(/^4 plugins: 4 started/m);
  });

  it("the embedding program reports, reconciles at start, starts and stops a NIC, and stops on SIGTERM", () => {
    const log = out(2);
    expect(log).toMatch(/^plugin incusx\.ovn-external-address started$/m);
    expect(log).toMatch(/^reconcile ovn: 1 desired, 1 ensured, 0 removed$/m);
    expect(log).toContain('left out c2/eth0: Invalid value for device option "ipv4.address.external": External address "198.51.100.20" is not a network forward on network "ovn0": Network_forward not found');
    expect(log).toMatch(/^started c1\/eth0: snat 10\.0\.0\.5 -> 198\.51\.100\.9$/m);
    expect(log).toMatch(/^ready\nstopped: every plugin stopped$/m);
  });

  it("the nic and nat commands apply and remove c1's rule, and refuse c2 with Incus's message", () => {
    expect(out(3)).toMatch(new RegExp(`^${hostname().replace(/\./g, "\\.")} +c1 +eth0 +ovn0 +incus-net1-lr +ipv4 +10\\.0\\.0\\.5 +198\\.51\\.100\\.9$`, "m"));
    expect(JSON.parse(readFileSync(prefixFile("nat-after-stop.json"), "utf8"))).toEqual([]);
    expect(runs[4]!.stderr).toMatch(
      /^incusx: error\[INVALID_CONFIG\]: Invalid value for device option "ipv4\.address\.external": External address "198\.51\.100\.20" is not a network forward on network "ovn0": Network_forward not found$/m,
    );
  });

  it("reconcile puts the stopped NIC's rule back, once, and the database shows it", async () => {
    expect(out(5)).toMatch(/would be ensured/);
    expect(out(5)).toMatch(/^ovn: 1 desired, 1 ensured, 0 removed, 1 invalid NIC left out$/m);
    const third = JSON.parse(readFileSync(prefixFile("reconcile.json"), "utf8")) as { backends: { ensured: unknown[]; removed: unknown[] }[] };
    expect(third.backends[0]).toMatchObject({ ensured: [], removed: [] });
    expect(await nb!.nbctl("lr-nat-list", "incus-net1-lr")).toMatch(/^snat +198\.51\.100\.9 +10\.0\.0\.5\s*$/m);
  });

  it("forknet dhcp configures both families, writes resolv.conf from both, and releases on SIGTERM with --release", async () => {
    expect(out(6)).toMatch(/^bound ipv4 eth0 192\.0\.2\.\d+\/24 /m);
    expect(out(6)).toMatch(/^bound ipv6 eth0 2001:db8:1::[0-9a-f]+\/128 /m);
    expect(out(6)).toMatch(/^nameserver 192\.0\.2\.53\nnameserver 2001:db8:1::53$/m);
    expect(out(7)).toMatch(/^2\n\[\]\s*$/);
    const global = (await net!.addresses("container", "eth0")).filter((a) => a.scope === "global");
    expect(global).toEqual([]);
    expect(existsSync(prefixFile("state/forknet/c1"))).toBe(true);
  });
});
