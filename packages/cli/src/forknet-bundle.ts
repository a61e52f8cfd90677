#!/usr/bin/env node
// The entry of dist/forknet.bundle.mjs (the `incusx-forknet` executable):
// `incusx forknet dhcp` built by esbuild into one file with the built-in
// DHCPv4, DHCPv6 and DNS plugins inside, for hosts that start one process
// per container. Node.js then reads one module instead of some 150, and
// the built-in plugins need no package.json lookups. Plugins named by
// `--config` still load through the host's normal loader.
//
//   incusx-forknet dhcp [options]           (Incus's "forknet dhcp" shape)
//   node forknet.bundle.mjs forknet dhcp [options]   (the same argv as `incusx`)
import { fileURLToPath } from "node:url";
import type { PluginSource } from "@incusx/host";
import type { IpFamily } from "@incusx/sdk";
import dhcpv4 from "@incusx/plugin-dhcpv4";
import dhcpv4Package from "@incusx/plugin-dhcpv4/package.json" with { type: "json" };
import dhcpv6 from "@incusx/plugin-dhcpv6";
import dhcpv6Package from "@incusx/plugin-dhcpv6/package.json" with { type: "json" };
import dns from "@incusx/plugin-dns";
import dnsPackage from "@incusx/plugin-dns/package.json" with { type: "json" };
import { commandHelp, parseCommandLine } from "./command.js";
import { createForknetDhcpCommand } from "./commands/forknet-dhcp.js";
import { forknetDhcpOptions } from "./commands/forknet-dhcp-options.js";
import { EXIT_OK, UsageError, reportError } from "./errors.js";
import type { CliIo } from "./io.js";

/** The built-in plugins the bundle carries, as inline sources (module and manifest), by the family each serves. */
export const BUNDLED_DHCP_PLUGINS: Readonly<Record<IpFamily, PluginSource>> = {
  ipv4: { plugin: dhcpv4, manifest: dhcpv4Package.incusx, version: dhcpv4Package.version },
  ipv6: { plugin: dhcpv6, manifest: dhcpv6Package.incusx, version: dhcpv6Package.version },
};

/** The built-in DNS plugin the bundle carries, for `--resolv-conf`. */
export const BUNDLED_DNS_PLUGIN: PluginSource = { plugin: dns, manifest: dnsPackage.incusx, version: dnsPackage.version };

/**
 * Runs `argv` (`dhcp [options]` or `forknet dhcp [options]`) as
 * `incusx forknet dhcp` with the bundled plugins of the enabled families;
 * `self` is the file the nsenter fallback re-runs. Never throws.
 */
export async function forknetBundleMain(argv: readonly string[], io: CliIo, self: string): Promise<number> {
  try {
    const rest = argv[0] === "forknet" ? argv.slice(1) : argv;
    if (rest[0] === "-h" || rest[0] === "--help") {
      io.stdout.write('Usage: incusx-forknet dhcp [options]\n\n"incusx forknet dhcp" in one pre-built file; run "incusx-forknet dhcp --help" for its options.\n');
      return EXIT_OK;
    }
    if (rest[0] !== "dhcp") {
      throw new UsageError(`Unknown command "${rest[0] ?? ""}": this file runs "forknet dhcp" only (see "incusx --help")`, "incusx-forknet");
    }
    const probe = createForknetDhcpCommand();
    const args = parseCommandLine(probe, rest.slice(1));
    if (args === "help") {
      io.stdout.write(commandHelp(probe));
      return EXIT_OK;
    }
    // As the unbundled command does: a disabled family's plugin is not loaded.
    const { families } = forknetDhcpOptions(args, io.cwd);
    const command = createForknetDhcpCommand({
      plugins: families.map((family) => BUNDLED_DHCP_PLUGINS[family]),
      dnsPlugin: BUNDLED_DNS_PLUGIN,
      binPath: self,
    });
    return await command.run(args, io);
  } catch (error) {
    return reportError(io.stderr, error);
  }
}

const status = await forknetBundleMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }, fileURLToPath(import.meta.url));
// As bin.ts: a plugin's leaked timer must not keep the process alive.
process.exit(status);
