import { addressFamily, addressScope, canonicalAddress, InvalidConfigError, isInterfaceName, type StaticDns, type ValidationIssue } from "@incusx/sdk";
import { checkDnsName } from "./dns-name.js";

/** How the resolv.conf sink replaces the file. */
export type WriteMode = "auto" | "rename" | "in-place";

/**
 * The config of the `incusx.dns` plugin (manifest `configSchema`; the host
 * fills in the defaults). Every field is optional.
 *
 * @example
 * { "resolvConf": "/etc/resolv.conf", "nameservers": ["192.0.2.53"], "options": ["ndots:2"] }
 */
export interface DnsPluginConfig {
  /** Absolute path of the resolv.conf to manage; without it, the plugin writes no file (other sinks still run). */
  readonly resolvConf?: string;
  /** Static name servers; when set, replace every lease's. Link-local IPv6 ones need a zone (`fe80::1%eth0`). */
  readonly nameservers?: readonly string[];
  /** Static search domains; when set, replace every lease's search list and domain. */
  readonly search?: readonly string[];
  /** resolv.conf options (`ndots:2`, `edns0`, `timeout:1`). */
  readonly options?: readonly string[];
  /** `auto` (default): in place when the file is a mount point (a bind mount), else `rename`. */
  readonly writeMode?: WriteMode;
  /** Overwrite an existing resolv.conf this plugin did not write (default `false`: leave it alone, with a warning). */
  readonly takeOver?: boolean;
}

const OPTION = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * The static settings of `config`, checked and spelled canonically
 * (addresses as {@link canonicalAddress}, names without trailing dot).
 * Throws {@link InvalidConfigError} listing every bad entry.
 */
export function staticDnsFromConfig(config: DnsPluginConfig, pluginId = "incusx.dns"): StaticDns {
  const issues: ValidationIssue[] = [];
  const nameservers: string[] = [];
  (config.nameservers ?? []).forEach((text, i) => {
    const [address = "", zone, ...rest] = text.split("%");
    try {
      const plain = canonicalAddress(address);
      if (zone !== undefined) isInterfaceName(zone);
      // A link-local server is reachable only through its interface; no other takes one.
      const linkLocal = addressFamily(plain) === "ipv6" && addressScope(plain) === "link-local";
      if (linkLocal && zone === undefined) throw new Error("a link-local address needs its interface as zone (fe80::1%eth0)");
      if (!linkLocal && zone !== undefined) throw new Error("only a link-local IPv6 address takes a zone");
      if (rest.length > 0) throw new Error("more than one zone");
      const spelled = zone === undefined ? plain : `${plain}%${zone}`;
      if (!nameservers.includes(spelled)) nameservers.push(spelled);
    } catch (error) {
      issues.push({ path: `/nameservers/${i}`, message: `Invalid name server ${JSON.stringify(text)}: ${(error as Error).message}` });
    }
  });
  const search: string[] = [];
  (config.search ?? []).forEach((text, i) => {
    const name = checkDnsName(text);
    if ("problem" in name) issues.push({ path: `/search/${i}`, message: `Invalid search domain ${JSON.stringify(text)}: ${name.problem}` });
    else if (!search.some((s) => s.toLowerCase() === name.name.toLowerCase())) search.push(name.name);
  });
  const options: string[] = [];
  (config.options ?? []).forEach((text, i) => {
    if (!OPTION.test(text)) issues.push({ path: `/options/${i}`, message: `Invalid resolv.conf option ${JSON.stringify(text)}` });
    else options.push(text);
  });
  if (config.resolvConf !== undefined && !config.resolvConf.startsWith("/")) {
    issues.push({ path: "/resolvConf", message: `"resolvConf" must be an absolute path, got ${JSON.stringify(config.resolvConf)}` });
  }
  if (issues.length > 0) {
    throw new InvalidConfigError(`Invalid config of plugin "${pluginId}": ${issues.map((i) => i.message).join("; ")}`, issues, { pluginId });
  }
  return { nameservers, search, options };
}
