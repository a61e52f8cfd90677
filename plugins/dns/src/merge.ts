// The merge: static settings and the DNS of every lease in force become
// one resolver configuration. Pure: no I/O, no clock, no logger; problems
// come back as warnings for the caller to log.
import { addressFamily, addressScope, canonicalAddress, type AddressScope, type IpFamily, type LeaseDns, type LinkDns, type ResolverConfig, type StaticDns } from "@incusx/sdk";
import { checkDnsName, nameKey } from "./dns-name.js";

/** glibc reads at most this many `nameserver` lines (MAXNS). */
export const MAX_NAMESERVERS = 3;

/**
 * Longest search list written (the domains joined by spaces): what a
 * server sends is cut here, with a warning, so that with the marker, 3
 * name servers and options the file stays within one page and can always
 * be written in place (a longer one would be refused at every write).
 */
export const MAX_SEARCH_LENGTH = 2048;

/** The DNS of one lease in force. */
export interface LeaseDnsInput {
  /** Interface the lease is on. */
  readonly interface: string;
  /** Family of the lease. */
  readonly family: IpFamily;
  /** What the server sent, unchecked. */
  readonly dns: LeaseDns;
}

/** A problem the merge worked around, for the log. */
export interface MergeWarning {
  /** Human message naming what was dropped and why. */
  readonly message: string;
  /** Structured fields (`interface`, `family`, `dropped`). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** What {@link mergeDns} returns. */
export interface MergeResult {
  /** The configuration to hand to the sinks. */
  readonly config: ResolverConfig;
  /** What was dropped, in the order found. */
  readonly warnings: readonly MergeWarning[];
}

/** A name server checked and spelled once: `text` for resolv.conf, `key` to compare, `plain` without zone. */
interface Server {
  readonly text: string;
  readonly plain: string;
  readonly key: string;
}

const FAMILY_ORDER: Record<IpFamily, number> = { ipv4: 0, ipv6: 1 };
const UNUSABLE_SCOPES: ReadonlySet<AddressScope> = new Set(["unspecified", "multicast", "broadcast"]);

/**
 * Merges `statics` and `leases` the Incus way, made complete:
 * - a non-empty static field (`nameservers`, `search`, `options`) replaces
 *   what leases give for that field;
 * - lease order: IPv4 leases, then IPv6 leases, each by interface name;
 * - every name from a lease is checked first ({@link checkDnsName}, strict
 *   address syntax); bad ones are dropped with a warning;
 * - name servers are compared as parsed addresses (`2001:DB8::53` equals
 *   `2001:db8:0::53`, `::ffff:192.0.2.53` equals `192.0.2.53`); a link-local
 *   IPv6 server is written with its lease's interface (`fe80::1%eth0`);
 * - at most {@link MAX_NAMESERVERS} name servers, with a warning naming the rest;
 * - search domains from option 119 (IPv4) and 24 (IPv6); when none, the
 *   option-15 domain becomes `domain` (several different ones become `search`);
 *   at most {@link MAX_SEARCH_LENGTH} characters, with a warning naming the rest.
 *
 * `statics` must already be checked ({@link staticDnsFromConfig}).
 */
export function mergeDns(statics: StaticDns, leases: readonly LeaseDnsInput[]): MergeResult {
  const warnings: MergeWarning[] = [];
  const ordered = [...leases].sort(
    (a, b) => FAMILY_ORDER[a.family] - FAMILY_ORDER[b.family] || compare(a.interface, b.interface),
  );
  const checked = ordered.map((lease) => checkLease(lease, warnings));

  const links: LinkDns[] = [];
  for (const iface of [...new Set(checked.map((c) => c.interface))].sort(compare)) {
    const own = checked.filter((c) => c.interface === iface);
    const domain = own.find((c) => c.domain !== undefined)?.domain;
    links.push({
      interface: iface,
      families: own.map((c) => c.family),
      nameservers: unique(own.flatMap((c) => c.servers.map((s) => ({ ...s, key: s.plain })))).map((s) => s.plain),
      search: uniqueNames(own.flatMap((c) => c.search)),
      ...(domain === undefined ? {} : { domain }),
    });
  }

  const candidates =
    statics.nameservers.length > 0 ? statics.nameservers.map(staticServer) : unique(checked.flatMap((c) => c.servers));
  const nameservers = candidates.slice(0, MAX_NAMESERVERS).map((s) => s.text);
  if (candidates.length > MAX_NAMESERVERS) {
    const dropped = candidates.slice(MAX_NAMESERVERS).map((s) => s.text);
    warnings.push({
      message: `glibc reads only ${MAX_NAMESERVERS} name servers; dropped ${dropped.join(", ")}`,
      fields: { dropped },
    });
  }

  let search: string[];
  let domain: string | undefined;
  if (statics.search.length > 0) {
    search = [...statics.search];
  } else {
    search = uniqueNames(checked.flatMap((c) => c.search));
    if (search.length === 0) {
      const domains = uniqueNames(checked.flatMap((c) => (c.domain === undefined ? [] : [c.domain])));
      if (domains.length === 1) domain = domains[0];
      else search = domains;
    }
  }

  search = limitSearch(search, warnings);

  const config: ResolverConfig = {
    nameservers,
    search,
    ...(domain === undefined ? {} : { domain }),
    options: [...statics.options],
    links,
    static: { nameservers: [...statics.nameservers], search: [...statics.search], options: [...statics.options] },
  };
  return { config, warnings };
}

interface CheckedLease {
  readonly interface: string;
  readonly family: IpFamily;
  readonly servers: Server[];
  readonly search: string[];
  readonly domain?: string;
}

function checkLease(lease: LeaseDnsInput, warnings: MergeWarning[]): CheckedLease {
  const where = `the ${lease.family} lease on ${lease.interface}`;
  const fields = { interface: lease.interface, family: lease.family };
  const drop = (what: string, value: unknown, why: string): void => {
    warnings.push({ message: `Dropped ${what} ${JSON.stringify(value)} from ${where}: ${why}`, fields: { ...fields, dropped: value } });
  };

  // A runner is a plugin: what it hands over is checked like what a server sent.
  const list = (what: string, value: unknown): unknown[] => {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    drop(what, value, "is not a list");
    return [];
  };
  const servers: Server[] = [];
  for (const text of list("the name servers", lease.dns?.servers)) {
    const server = typeof text === "string" ? leaseServer(text, lease.interface) : "is not text";
    if (typeof server === "string") drop("the name server", text, server);
    else servers.push(server);
  }
  const search: string[] = [];
  for (const text of list("the search domains", lease.dns?.search)) {
    const name = typeof text === "string" ? checkDnsName(text) : { problem: "is not text" };
    if ("problem" in name) drop("the search domain", text, name.problem);
    else search.push(name.name);
  }
  let domain: string | undefined;
  const domainText: unknown = lease.dns?.domain;
  if (domainText !== undefined && domainText !== null) {
    const name = typeof domainText === "string" ? checkDnsName(domainText) : { problem: "is not text" };
    if ("problem" in name) drop("the domain name", domainText, name.problem);
    else domain = name.name;
  }
  return { interface: lease.interface, family: lease.family, servers, search, ...(domain === undefined ? {} : { domain }) };
}

// A server from a lease: strict address syntax, no zone of its own (the
// lease's interface is the zone), and an address one can send queries to.
function leaseServer(text: string, iface: string): Server | string {
  let plain: string;
  try {
    plain = canonicalAddress(text);
  } catch {
    return "is not an IP address";
  }
  const scope = addressScope(plain);
  if (UNUSABLE_SCOPES.has(scope)) return `is a ${scope} address`;
  if (scope === "link-local" && addressFamily(plain) === "ipv6") return { text: `${plain}%${iface}`, plain, key: `${plain}%${iface}` };
  return { text: plain, plain, key: plain };
}

// Static servers are checked and spelled canonically by staticDnsFromConfig.
function staticServer(text: string): Server {
  const plain = text.replace(/%.*$/, "");
  return { text, plain, key: text };
}

// The longest prefix of `search` within MAX_SEARCH_LENGTH, the rest named in a warning.
function limitSearch(search: string[], warnings: MergeWarning[]): string[] {
  let length = -1;
  const kept = search.findIndex((name) => (length += name.length + 1) > MAX_SEARCH_LENGTH);
  if (kept < 0) return search;
  const dropped = search.slice(kept);
  warnings.push({
    message: `The search list is limited to ${MAX_SEARCH_LENGTH} characters; dropped ${dropped.join(", ")}`,
    fields: { dropped },
  });
  return search.slice(0, kept);
}

function unique(servers: readonly Server[]): Server[] {
  const seen = new Set<string>();
  return servers.filter((s) => !seen.has(s.key) && (seen.add(s.key), true));
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => !seen.has(nameKey(n)) && (seen.add(nameKey(n)), true));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
