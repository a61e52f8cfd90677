import type { NatListEntry } from "@incusx/nic";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK, UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { formatTable } from "../table.js";
import { defineNicCommand, memberOption, northboundOption, EXIT_STATUS_HELP, NIC_OPTIONS, optional, stateSource, withNicHost, type NicHostDeps } from "./nic-host.js";

const NAME = "incusx nat list";

/**
 * `incusx nat list`: the outbound NAT rules incusx owns in the OVN
 * northbound database, of every cluster member or of one (rows of other
 * writers are not listed).
 */
export const natListCommand = defineNicCommand({
  name: NAME,
  summary: "List the outbound NAT rules incusx owns, optionally of one router or network",
  description: [
    "Lists the snat rules incusx owns in the OVN northbound database: cluster",
    "member, owner (instance and device), network, family, the NIC's address and",
    "the external address. Rows of every member are listed; --member NAME keeps",
    "the rows of member NAME. A row written before members were recorded shows",
    "the member as \"(none)\". Rows written by others (Incus, ovn-nbctl) are not",
    "listed.",
    "",
    "--network keeps the rules of one network. --router keeps the rules of the",
    "networks whose logical router it is, which the host state file says, so it",
    "needs --state; with --state the ROUTER column is filled in too.",
    "",
    "With --json, prints an array of { owner, network, family, logicalIp,",
    "externalIp, member?, networkType, router? }.",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: {
    "ovn-nb": NIC_OPTIONS["ovn-nb"],
    state: { ...NIC_OPTIONS.state, description: "Host state file, to know each network's router" },
    "incus-socket": { ...NIC_OPTIONS["incus-socket"], description: "Or a live Incus or LXD server's unix socket, to know each network's router" },
    member: { ...NIC_OPTIONS.member, description: "Only the rules of this cluster member" },
    router: { type: "string", valueName: "NAME", description: "Only rules of networks on this OVN logical router (needs --state)" },
    network: { type: "string", valueName: "NAME", description: "Only rules of this network" },
    json: NIC_OPTIONS.json,
  },
  run: listNat,
});

/** The command the CLI runs. */
export const natList: Command = natListCommand();

async function listNat(args: ParsedArgs, io: CliIo, deps: NicHostDeps): Promise<number> {
  const northbound = northboundOption(args, NAME, true)!;
  const state = stateSource(args, NAME, false);
  const router = optional(args, "router");
  const network = optional(args, "network");
  const member = memberOption(args, NAME);
  if (router !== undefined && state.state === undefined && state.incusSocket === undefined) {
    throw new UsageError(`Option "--router" needs "--state" (or "--incus-socket"): the host state says which network uses which router`, NAME);
  }
  return withNicHost({ northbound, ...state }, io, async ({ lifecycle }) => {
    const rules = await lifecycle.listNat({
      ...(router === undefined ? {} : { router }),
      ...(network === undefined ? {} : { network }),
      ...(member === undefined ? {} : { member }),
    });
    io.stdout.write(args.values.json ? JSON.stringify(rules, null, 2) + "\n" : formatRules(rules));
    return EXIT_OK;
  }, deps);
}

/** Rules as a table, or a line saying there are none. */
export function formatRules(rules: readonly NatListEntry[]): string {
  if (rules.length === 0) return "No NAT rules owned by incusx.\n";
  const rows = rules.map((r) => [r.member ?? "(none)", r.owner.instance, r.owner.device, r.network, r.router ?? "", r.family, r.logicalIp, r.externalIp]);
  return formatTable(["MEMBER", "INSTANCE", "DEVICE", "NETWORK", "ROUTER", "FAMILY", "LOGICAL IP", "EXTERNAL IP"], rows);
}
