#!/usr/bin/env node
// The daemon API from a client's side, against dnsmasq (--no-ping) in test
// namespaces (root; run `pnpm build` first):
//   - POST /1.0/nics to the `bound` lease event of each family on
//     /1.0/events (link-local address already valid, so IPv6 measures
//     DHCPv6, not DAD);
//   - wall time of `incusx forknet dhcp --daemon` (hand-over, exits once
//     configured) against `incusx forknet dhcp --exit-when-configured`
//     (its own runners), same namespace, same run;
//   - the daemon's RSS idle and after the runs.
//
//   node test/bench/daemon-api.bench.mjs [SAMPLES]     (default 5)
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DaemonClient } from "@incusx/daemon";
import { createTestNetwork } from "@incusx/testkit/netns";

const root = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(root, "packages/cli/dist/bin.js");
const samples = Number(process.argv[2] ?? 5);
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timeCli = (args) =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    execFile(process.execPath, [CLI, ...args], (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve(performance.now() - start)));
  });

const dir = mkdtempSync(join(tmpdir(), "incusx-daemon-bench-"));
writeFileSync(
  join(dir, "host.json"),
  JSON.stringify({ stateDir: join(dir, "state"), plugins: [{ module: join(root, "plugins/dhcpv4") }, { module: join(root, "plugins/dhcpv6") }] }),
);
const socket = join(dir, "daemon.sock");
const daemon = spawn(process.execPath, [CLI, "daemon", "--config", join(dir, "host.json"), "--socket", socket], { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
daemon.stderr.on("data", (chunk) => (log += chunk));
while (!log.includes("listening")) {
  if (daemon.exitCode !== null) throw new Error(`The daemon did not start: ${log}`);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const client = new DaemonClient(socket);
const idleRss = rssKiB(daemon.pid);
const v4 = [];
const v6 = [];
const delegated = [];
const standalone = [];
try {
  for (let i = 0; i < samples; i++) {
    const net = await createTestNetwork({ dnsmasqArgs: ["--no-ping"] });
    try {
      await net.waitFor(async () => (await net.addresses("container", net.iface)).some((a) => a.scope === "link" && !a.tentative) || undefined, { timeoutMs: 10_000 });
      const bound = new Map();
      const stream = await client.events((e) => e.metadata.kind === "bound" && bound.set(e.metadata.family, performance.now()), ["lease"]);
      const start = performance.now();
      await client.attach({ instance: `bench${i}`, device: "eth0", netns: net.containerNsPath, interface: net.iface });
      await net.waitFor(() => bound.size === 2 || undefined, { timeoutMs: 20_000 });
      v4.push(bound.get("ipv4") - start);
      v6.push(bound.get("ipv6") - start);
      stream.close();
      await client.detach(`bench${i}`, "eth0", { release: true });
      delegated.push(await timeCli(["forknet", "dhcp", "--netns", net.containerNs, "--interface", net.iface, "--daemon", socket]));
      await client.detach(net.containerNs, net.iface, { release: true });
      standalone.push(
        await timeCli(["forknet", "dhcp", "--netns", net.containerNs, "--interface", net.iface, "--exit-when-configured", "--timeout", "20", "--state-dir", join(dir, `s${i}`)]),
      );
    } finally {
      await net.destroy();
    }
  }
  const ms = (xs) => `median ${median(xs).toFixed(1)} ms (${xs.map((x) => x.toFixed(0)).join(", ")})`;
  console.log(`attach -> IPv4 bound:                          ${ms(v4)}`);
  console.log(`attach -> IPv6 bound (link-local valid):       ${ms(v6)}`);
  console.log(`forknet dhcp --daemon, wall:                   ${ms(delegated)}`);
  console.log(`forknet dhcp --exit-when-configured, wall:     ${ms(standalone)}`);
  console.log(`daemon RSS: ${(idleRss / 1024).toFixed(1)} MiB idle, ${(rssKiB(daemon.pid) / 1024).toFixed(1)} MiB after ${samples} samples`);
} finally {
  daemon.kill("SIGTERM");
  await new Promise((resolve) => daemon.once("exit", resolve));
  rmSync(dir, { recursive: true, force: true });
}
