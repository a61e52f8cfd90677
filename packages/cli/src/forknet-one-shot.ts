// `incusx forknet dhcp` with the built-in DHCPv4, DHCPv6 and DNS plugins
// handed to the host inline: what the one-shot files run, the ES module
// dist/forknet.bundle.mjs (entry forknet-bundle.ts) and the V8 startup
// snapshot dist/forknet.snapshot.blob (entry forknet-snapshot.ts), both
// built by esbuild (scripts/build-forknet-bundle.mjs) for hosts that start
// one process per container. Plugins named by `--config` still load
// through the host's normal loader.
import { resolve } from "node:path";
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
 * `self` are the Node.js arguments that run this file again (the nsenter
 * fallback, the worker of Incus's form). Never throws.
 */
export async function forknetBundleMain(argv: readonly string[], io: CliIo, self: readonly string[]): Promise<number> {
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
    // As the unbundled command does: a disabled family's plugin is not
    // loaded. Incus's form (positionals, or its worker) has no --netns to
    // check here and runs both families (the option is spelled out, as in
    // forknet-dhcp.ts: importing forknet-incus.js would load it at every start).
    const incusForm = args.positionals.length > 0 || args.values["incus-worker-ready-fd"] !== undefined;
    const families: readonly IpFamily[] = incusForm ? ["ipv4", "ipv6"] : forknetDhcpOptions(args, io.cwd).families;
    const command = createForknetDhcpCommand({
      plugins: families.map((family) => BUNDLED_DHCP_PLUGINS[family]),
      dnsPlugin: BUNDLED_DNS_PLUGIN,
      selfArgv: self,
    });
    return await command.run(args, io);
  } catch (error) {
    return reportError(io.stderr, error);
  }
}

/**
 * The blob this process was started from, from its Node.js arguments
 * (`--snapshot-blob FILE` or `--snapshot-blob=FILE`), made absolute
 * against `cwd`; `undefined` when there is none.
 */
export function snapshotBlobPath(execArgv: readonly string[], cwd: string): string | undefined {
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === "--snapshot-blob" && i + 1 < execArgv.length) return resolve(cwd, execArgv[i + 1]!);
    if (arg.startsWith("--snapshot-blob=")) return resolve(cwd, arg.slice("--snapshot-blob=".length));
  }
  return undefined;
}
