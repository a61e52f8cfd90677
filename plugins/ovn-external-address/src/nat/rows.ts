// How a NatRule maps to an NB NAT row and back, and who owns a row: every
// row we write carries the plugin id, the cluster member, instance, device,
// network and family in external_ids; rows without our owner key are
// foreign, rows of another member are that member's, and owned rows without
// a member key are legacy (written before members were recorded).

import { addressFamily, canonicalAddress, type IpFamily, type NatOwner, type NatRule } from "@incusx/sdk";
import { mapRecord, ovsMap, uuidOf, type OvsdbRow, type OvsdbValue } from "@incusx/ovsdb";
import { OvnNatError, PLUGIN_ID } from "./errors.js";

/** The OVN northbound database's name. */
export const OVN_NORTHBOUND = "OVN_Northbound";

/** `external_ids` keys of an owned NAT row. */
export const EXTERNAL_ID_KEYS = Object.freeze({
  owner: "incusx:owner",
  instance: "incusx:instance",
  device: "incusx:device",
  network: "incusx:network",
  family: "incusx:family",
  member: "incusx:member",
  /** When the row was last written by this plugin (ms since the epoch, the writing host's clock): a reconcile planned from an older state read leaves it. */
  written: "incusx:written",
});

/** Columns read from NAT rows. */
export const NAT_COLUMNS = ["_uuid", "type", "logical_ip", "external_ip", "external_port_range", "gateway_port", "external_ids"] as const;

/** A NAT row as the backend reads it. */
export interface NatRowView {
  readonly uuid: string;
  readonly type: string;
  /** logical_ip as stored (may carry a prefix). */
  readonly logicalIpRaw: string;
  /** The plain canonical address when logical_ip is one host (no prefix, /32, /128), else undefined. */
  readonly logicalIp: string | undefined;
  readonly externalIp: string;
  /** external_port_range ("" when none). */
  readonly externalPortRange: string;
  /** gateway_port: the distributed gateway port's `_uuid`; "" or absent when none. */
  readonly gatewayPort?: string;
  readonly externalIds: Readonly<Record<string, string>>;
}

/** Reads a selected NAT row. */
export function natRowView(row: OvsdbRow): NatRowView {
  const raw = String(row.logical_ip ?? "");
  return {
    uuid: uuidOf(row._uuid) ?? "",
    type: String(row.type ?? ""),
    logicalIpRaw: raw,
    logicalIp: hostAddress(raw),
    externalIp: String(row.external_ip ?? ""),
    externalPortRange: String(row.external_port_range ?? ""),
    gatewayPort: uuidOf(row.gateway_port) ?? "",
    externalIds: mapRecord(row.external_ids),
  };
}

const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * The canonical spelling and family of an address; throws for anything
 * else. Plain dotted-quad IPv4 (already canonical) skips the general parser:
 * rules come by the thousand in a reconcile.
 */
export function canonicalWithFamily(text: string): { canonical: string; family: IpFamily } {
  if (CANONICAL_IPV4.test(text)) return { canonical: text, family: "ipv4" };
  const canonical = canonicalAddress(text);
  return { canonical, family: addressFamily(canonical) };
}

/** The canonical address of a one-host logical_ip (`10.0.0.5`, `10.0.0.5/32`, `fd00::5/128`), or undefined. */
export function hostAddress(text: string): string | undefined {
  const [address, prefix, extra] = text.split("/");
  if (address === undefined || extra !== undefined) return undefined;
  try {
    const { canonical, family } = canonicalWithFamily(address);
    // OVN parses `::ffff:10.0.0.5` as IPv6: it translates no IPv4 address.
    if (family === "ipv4" && address.includes(":")) return undefined;
    if (prefix === undefined) return canonical;
    return prefix === (family === "ipv4" ? "32" : "128") ? canonical : undefined;
  } catch {
    return undefined;
  }
}

/** The owner key of a rule or row: instance, device, family. */
export function ownerKey(owner: NatOwner, family: IpFamily): string {
  return `${owner.instance}\u0000${owner.device}\u0000${family}`;
}

// Plans look a row's owner and rule up many times; rows are immutable views.
const ownerKeys = new WeakMap<NatRowView, string | null>();
const rowRules = new WeakMap<NatRowView, NatRule | null>();

/** The owner key of an owned row, or undefined for a foreign (or malformed) row. */
export function rowOwnerKey(row: NatRowView): string | undefined {
  let key = ownerKeys.get(row);
  if (key === undefined) ownerKeys.set(row, (key = computeOwnerKey(row) ?? null));
  return key ?? undefined;
}

function computeOwnerKey(row: NatRowView): string | undefined {
  const ids = row.externalIds;
  if (ids[EXTERNAL_ID_KEYS.owner] !== PLUGIN_ID) return undefined;
  const instance = ids[EXTERNAL_ID_KEYS.instance];
  const device = ids[EXTERNAL_ID_KEYS.device];
  const family = ids[EXTERNAL_ID_KEYS.family];
  if (!instance || !device || (family !== "ipv4" && family !== "ipv6")) return undefined;
  return ownerKey({ instance, device }, family);
}

/** Whether the plugin wrote `row`. */
export function isOwned(row: NatRowView): boolean {
  return row.externalIds[EXTERNAL_ID_KEYS.owner] === PLUGIN_ID;
}

/** The rule an owned row stands for, or undefined when it is not a well-formed owned snat row. */
export function ruleOfRow(row: NatRowView): NatRule | undefined {
  let rule = rowRules.get(row);
  if (rule === undefined) rowRules.set(row, (rule = computeRuleOfRow(row) ?? null));
  return rule ?? undefined;
}

function computeRuleOfRow(row: NatRowView): NatRule | undefined {
  if (row.type !== "snat" || rowOwnerKey(row) === undefined || row.logicalIp === undefined) return undefined;
  const ids = row.externalIds;
  let externalIp: string;
  try {
    externalIp = canonicalWithFamily(row.externalIp).canonical;
  } catch {
    return undefined;
  }
  const rule: { -readonly [K in keyof NatRule]: NatRule[K] } = {
    owner: { instance: ids[EXTERNAL_ID_KEYS.instance]!, device: ids[EXTERNAL_ID_KEYS.device]! },
    network: ids[EXTERNAL_ID_KEYS.network] ?? "",
    family: ids[EXTERNAL_ID_KEYS.family] as IpFamily,
    logicalIp: row.logicalIp,
    externalIp,
  };
  const member = rowMember(row);
  if (member !== undefined) rule.member = member;
  if (row.externalPortRange !== "") rule.externalPortRange = row.externalPortRange;
  return rule;
}

/** The cluster member an owned row records, or undefined (a legacy row, or not ours). */
export function rowMember(row: NatRowView): string | undefined {
  return row.externalIds[EXTERNAL_ID_KEYS.member] || undefined;
}

/** When the plugin last wrote `row` (`incusx:written`), or undefined (not recorded, or not a number). */
export function rowWrittenAt(row: NatRowView): number | undefined {
  const text = row.externalIds[EXTERNAL_ID_KEYS.written];
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** Whose an owned row is, seen from `member`: its own, another member's, or legacy (no member recorded). */
export function rowHolder(row: NatRowView, member: string): "own" | "other" | "legacy" {
  const holder = rowMember(row);
  return holder === undefined ? "legacy" : holder === member ? "own" : "other";
}

/** Whether owned `row` is exactly `rule` (same owner, network, family, addresses, type snat). */
export function rowMatches(row: NatRowView, rule: NatRule): boolean {
  const r = ruleOfRow(row);
  return (
    r !== undefined &&
    row.logicalIpRaw === rule.logicalIp &&
    r.externalIp === rule.externalIp &&
    row.externalIp === rule.externalIp &&
    r.network === rule.network &&
    ownerKey(r.owner, r.family) === ownerKey(rule.owner, rule.family)
  );
}

/**
 * The NAT row written for `rule` by `member`: plain logical address (not
 * /32), owner and member in external_ids, and when it is written
 * (`writtenAt`, ms) when given. A row taken over or adopted is updated to
 * this too; keys other writers added to its external_ids stay.
 */
export function ruleRow(rule: NatRule, member: string, keep: Readonly<Record<string, string>> = {}, writtenAt?: number): OvsdbRow {
  const others = Object.fromEntries(Object.entries(keep).filter(([k]) => !OWN_KEYS.has(k)));
  return {
    type: "snat",
    logical_ip: rule.logicalIp,
    external_ip: rule.externalIp,
    external_ids: ovsMap({
      ...others,
      [EXTERNAL_ID_KEYS.owner]: PLUGIN_ID,
      [EXTERNAL_ID_KEYS.member]: member,
      [EXTERNAL_ID_KEYS.instance]: rule.owner.instance,
      [EXTERNAL_ID_KEYS.device]: rule.owner.device,
      [EXTERNAL_ID_KEYS.network]: rule.network,
      [EXTERNAL_ID_KEYS.family]: rule.family,
      ...(writtenAt === undefined ? {} : { [EXTERNAL_ID_KEYS.written]: String(writtenAt) }),
    }),
  };
}

const OWN_KEYS: ReadonlySet<string> = new Set(Object.values(EXTERNAL_ID_KEYS));

/**
 * `external_ids includes` map selecting the rows of one member (of one
 * instance, when given). Another member taking a row over changes its
 * member key, so the row leaves this selection: a guard on it sees that.
 */
export function memberSelector(member: string, instance?: string): OvsdbValue {
  const ids: Record<string, string> = { [EXTERNAL_ID_KEYS.owner]: PLUGIN_ID, [EXTERNAL_ID_KEYS.member]: member };
  if (instance !== undefined) ids[EXTERNAL_ID_KEYS.instance] = instance;
  return ovsMap(ids);
}

/** `external_ids includes` map selecting the rows owned by one NIC (one family, or both), of one member when given. */
export function ownerSelector(owner?: NatOwner, family?: IpFamily, member?: string): OvsdbValue {
  const ids: Record<string, string> = { [EXTERNAL_ID_KEYS.owner]: PLUGIN_ID };
  if (member !== undefined) ids[EXTERNAL_ID_KEYS.member] = member;
  if (owner !== undefined) {
    ids[EXTERNAL_ID_KEYS.instance] = owner.instance;
    ids[EXTERNAL_ID_KEYS.device] = owner.device;
  }
  if (family !== undefined) ids[EXTERNAL_ID_KEYS.family] = family;
  return ovsMap(ids);
}

/**
 * `external_ids includes` map selecting every row owned for one instance.
 * The server tests map pairs in key order and `incusx:instance` sorts
 * before `incusx:owner`, so rows of other instances are rejected after one
 * lookup: the cheapest guard to scan a large NAT table with.
 */
export function instanceSelector(instance: string): OvsdbValue {
  return ovsMap({ [EXTERNAL_ID_KEYS.owner]: PLUGIN_ID, [EXTERNAL_ID_KEYS.instance]: instance });
}

/** `rule` with canonical addresses, checked: both of the rule's family, owner names non-empty. */
export function normalizeRule(rule: NatRule): NatRule {
  const where = `NIC "${rule.owner?.instance}/${rule.owner?.device}" on network "${rule.network}"`;
  if (!rule.owner?.instance || !rule.owner.device) throw new OvnNatError("invalid-rule", `NAT rule of ${where} names no instance or device`);
  if (!rule.network) throw new OvnNatError("invalid-rule", `NAT rule of ${where} names no network`);
  if (rule.family !== "ipv4" && rule.family !== "ipv6") {
    throw new OvnNatError("invalid-rule", `NAT rule of ${where} has an unknown family "${String(rule.family)}"`);
  }
  const check = (what: string, text: string): string => {
    let canonical: string;
    let family: IpFamily;
    try {
      ({ canonical, family } = canonicalWithFamily(text));
    } catch {
      throw new OvnNatError("invalid-rule", `NAT rule of ${where}: ${what} "${text}" is not an IP address`);
    }
    if (family !== rule.family) {
      throw new OvnNatError("invalid-rule", `NAT rule of ${where}: ${what} "${text}" is not an ${rule.family === "ipv4" ? "IPv4" : "IPv6"} address`);
    }
    return canonical;
  };
  return {
    owner: { instance: rule.owner.instance, device: rule.owner.device },
    network: rule.network,
    family: rule.family,
    logicalIp: check("logical address", rule.logicalIp),
    externalIp: check("external address", rule.externalIp),
  };
}

/** `instance/device` of a NIC, for messages. */
export function nicName(owner: NatOwner): string {
  return `${owner.instance}/${owner.device}`;
}
