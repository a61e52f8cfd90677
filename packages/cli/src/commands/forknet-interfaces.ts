// Every non-loopback interface of the namespace this process is in, as
// Incus's forknet settles them: which families each runs (interfaces.json),
// which one owns each family's default route (the first by name allowed
// one), and the interface set up before its runners start. Shared by
// Incus's form and by the flag form without --interface, so both behave
// alike.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { IpFamily } from "@incusx/sdk";
import { FULLY_DYNAMIC, defaultRouteOwner, parseInterfacesJson, type IncusInterfaceConfig } from "./forknet-incus-files.js";

const execFileAsync = promisify(execFile);

/** Logs one line of the setup: level, message, fields. */
export type InterfaceLog = (level: "info" | "warning" | "error", message: string, fields?: Record<string, unknown>) => void;

/** The interfaces to configure, named before any plugin starts (the default-route owners shape the link configurator). */
export interface EveryInterface {
  /** Non-loopback interfaces, sorted by name. */
  readonly names: readonly string[];
  /** The interfaces.json flags of `name`; fully dynamic for one it does not name. */
  configOf(name: string): IncusInterfaceConfig;
  /** The interface that owns each family's default route, or `undefined` when none may. */
  readonly owners: Readonly<Record<IpFamily, string | undefined>>;
  /** The first Ethernet-like MAC address (for a new DUID-LLT). */
  readonly mac?: string;
}

/** One interface's runners: the families it runs. */
export interface InterfaceRun {
  readonly iface: string;
  readonly families: readonly IpFamily[];
}

interface LinkJson {
  readonly ifname: string;
  readonly address?: string;
  readonly link_type?: string;
  readonly flags?: readonly string[];
}

/**
 * Lists the namespace's non-loopback interfaces (`ip -json link`) and
 * settles their flags (`interfaces`, from interfaces.json) and default-route owners.
 */
export async function everyInterface(interfaces: ReadonlyMap<string, IncusInterfaceConfig>): Promise<EveryInterface> {
  const { stdout } = await execFileAsync("ip", ["-json", "link", "show"]);
  const links = (JSON.parse(stdout) as LinkJson[]).filter((l) => l.link_type !== "loopback" && !(l.flags ?? []).includes("LOOPBACK"));
  const names = links.map((l) => l.ifname).sort();
  const configOf = (name: string): IncusInterfaceConfig => interfaces.get(name) ?? FULLY_DYNAMIC;
  const mac = links.find((l) => l.address !== undefined && l.address.split(":").length >= 4)?.address;
  return {
    names,
    configOf,
    owners: { ipv4: defaultRouteOwner(names, configOf, "ipv4"), ipv6: defaultRouteOwner(names, configOf, "ipv6") },
    ...(mac === undefined ? {} : { mac }),
  };
}

// `ip` is spawned by the main thread, the one in the namespace.
async function deleteIpv6Defaults(iface: string): Promise<void> {
  const { stdout } = await execFileAsync("ip", ["-6", "-json", "route", "show", "default", "dev", iface]);
  const routes = (stdout.trim() === "" ? [] : JSON.parse(stdout)) as { gateway?: string; metric?: number }[];
  for (const route of routes) {
    const via = route.gateway === undefined ? [] : ["via", route.gateway];
    const metric = route.metric === undefined ? [] : ["metric", String(route.metric)];
    await execFileAsync("ip", ["-6", "route", "del", "default", ...via, "dev", iface, ...metric]);
  }
}

/**
 * Sets every interface up for its runners, as Incus's forknet does: an
 * interface whose IPv6 gateway is `none` gets `accept_ra_defrtr=0` and
 * loses the IPv6 default routes it holds; each is brought up. Returns the
 * runs: the families of `families` (enabled, with a runner) its flags
 * allow; an interface with none, or that cannot be brought up, is logged
 * and left out.
 */
export async function prepareInterfaces(every: EveryInterface, families: readonly IpFamily[], log: InterfaceLog): Promise<InterfaceRun[]> {
  const runs: InterfaceRun[] = [];
  for (const name of every.names) {
    const config = every.configOf(name);
    if (!config.route6) {
      // As Incus: router advertisements must not give this interface a default route.
      // Synchronous on purpose: only the main thread entered the namespace, and
      // /proc/sys/net answers for the namespace of the thread that opens it.
      try {
        writeFileSync(`/proc/sys/net/ipv6/conf/${name}/accept_ra_defrtr`, "0");
        // And, as Incus, the IPv6 default routes it holds already go.
        await deleteIpv6Defaults(name);
      } catch (error) {
        log("warning", `Couldn't disable the IPv6 default gateway: ${(error as Error).message}`, { interface: name });
      }
    }
    const wanted = families.filter((f) => (f === "ipv4" ? config.dhcp4 : config.dhcp6));
    if (wanted.length === 0) {
      log("info", "skipping dhcp on statically configured interface", { interface: name });
      continue;
    }
    try {
      await execFileAsync("ip", ["link", "set", "dev", name, "up"]);
    } catch (error) {
      log("error", `Giving up on DHCP for this interface, couldn't bring up interface: ${(error as Error).message}`, { interface: name });
      continue;
    }
    log("info", "running dhcp on interface", { interface: name, families: wanted });
    runs.push({ iface: name, families: wanted });
  }
  return runs;
}

/**
 * The flags of `--interfaces-json FILE`, or an Error naming the file and
 * the fault: a file named on the command line that is missing or malformed
 * is a mistake to report, where Incus's own (in the instance directory)
 * falls back to "every interface fully dynamic".
 */
export async function readInterfacesJsonFile(path: string): Promise<Map<string, IncusInterfaceConfig> | Error> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    return new Error(`Invalid value for "--interfaces-json": cannot read "${path}": ${(error as Error).message}`);
  }
  try {
    return parseInterfacesJson(text);
  } catch (error) {
    return new Error(`Invalid value for "--interfaces-json": "${path}" is not Incus's interfaces.json: ${(error as Error).message}`);
  }
}
