import { addressFamily, addressScope, canonicalAddress, InvalidConfigError, isInterfaceName, type StaticDns, type ValidationIssue } from "@incusx/sdk";
import { checkDnsName } from "./dns-name.js";
import type { DnsPluginConfig, DnsPluginConfigInput } from "./generated/config.js";

// The config type and its defaults are generated from the manifest's configSchema.
export { DEFAULT_DNS_PLUGIN_CONFIG } from "./generated/config.js";
export type { DnsPluginConfig, DnsPluginConfigInput } from "./generated/config.js";

/** How the resolv.conf sink replaces the file (`auto`: in place on a mount point, else `rename`). */
export type WriteMode = DnsPluginConfig["writeMode"];

const OPTION = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * The static settings of `config`, checked and spelled canonically
 * (addresses as {@link canonicalAddress}, names without trailing dot).
 * Throws {@link InvalidConfigError} listing every bad entry. The host has
 * checked a plugin's config against the manifest's schema already; this
 * checks what a pattern cannot (that an address parses, where a zone goes)
 * and a config that did not come through the host.
 */
export function staticDnsFromConfig(config: DnsPluginConfigInput, pluginId = "incusx.dns"): StaticDns {
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
