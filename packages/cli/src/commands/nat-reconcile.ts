import type { NatReconcileReport } from "@incusx/nic";
import { ErrorCode, type NatRule } from "@incusx/sdk";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, writeError } from "../errors.js";
import type { CliIo } from "../io.js";
import {
  defineNicCommand,
  memberOption,
  northboundOption,
  EXIT_STATUS_HELP,
  NIC_OPTIONS,
  nicName,
  ruleText,
  stateSource,
  stateSourceName,
  withNicHost,
  type NicHostDeps,
  type StateSource,
} from "./nic-host.js";
import { commandProgress, type Progress } from "./progress.js";

const NAME = "incusx nat reconcile";

/**
 * `incusx nat reconcile`: makes the NAT rules incusx owns match the host
 * state; `--dry-run` only says what would change.
 */
export const natReconcileCommand = defineNicCommand({
  name: NAME,
  summary: "Make the owned NAT rules match the host state (--dry-run: show what would change)",
  description: [
    "Works out the rules every valid NIC of the host state file asks for and makes",
    "the rules incusx owns in the OVN northbound database equal them: missing or",
    "changed rules are ensured, owned rules nothing asks for are removed, rows of",
    "other writers are never touched. Running it again changes nothing. With",
    "--dry-run, the backend plans exactly as a real run would (the same reads and",
    "decisions: rules a network forward refuses, port ranges kept clear of a",
    "forward's ports, conflicts) and the command prints what would change, with",
    "the same errors and exit status, writing nothing.",
    "",
    "Only the rows of this cluster member (--member, default the host name) are",
    "changed or removed; rows of other members never are. A NIC whose row another",
    "member holds is reported (NAT_CONFLICT; `incusx nic start` takes it over).",
    "Rows written before members were recorded are adopted when this member's",
    "state wants them (`= ... adopted`), otherwise left alone and listed",
    "(`? ... left alone`).",
    "",
    "NICs whose config is invalid get no rule (their old rules are removed) and",
    "are reported on stderr as warnings; NICs without an address of a family are",
    "listed as skipped. A rule blocked by a row incusx does not own (that row is",
    "left alone; error code NAT_CONFLICT) or one that failed (a missing router) is",
    "reported on stderr, and the command exits 1 after applying everything else.",
    "",
    "With --json, prints { dryRun, stateReadAt, backends: [{ networkType, desired,",
    "ensured, removed, skipped, invalid, result? }] }; result is the backend's own",
    "answer, on a dry run its plan (for OVN: conflicts, failed, transactions,",
    "spared). On a terminal, progress is shown",
    "on stderr (not with --json).",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: {
    state: NIC_OPTIONS.state,
    "incus-socket": NIC_OPTIONS["incus-socket"],
    "ovn-nb": NIC_OPTIONS["ovn-nb"],
    member: NIC_OPTIONS.member,
    "dry-run": { type: "boolean", description: "Compare and print the changes; write nothing" },
    json: NIC_OPTIONS.json,
  },
  run: reconcileNat,
});

/** The command the CLI runs. */
export const natReconcile: Command = natReconcileCommand();

async function reconcileNat(args: ParsedArgs, io: CliIo, deps: NicHostDeps): Promise<number> {
  const state = stateSource(args, NAME, true);
  const northbound = northboundOption(args, NAME, true)!;
  const progress = commandProgress(io, args);
  progress.step("Starting the host with the OVN external-address plugin");
  try {
    return await reconcileWithHost(args, io, deps, state, northbound, progress);
  } finally {
    progress.done();
  }
}

async function reconcileWithHost(args: ParsedArgs, io: CliIo, deps: NicHostDeps, state: StateSource, northbound: string, progress: Progress): Promise<number> {
  const member = memberOption(args, NAME);
  return withNicHost({ ...state, northbound, member }, io, async ({ lifecycle }) => {
    progress.step(`Comparing the owned NAT rules with ${stateSourceName(state)}${args.values["dry-run"] === true ? "" : " and applying the changes"}`);
    let report: NatReconcileReport;
    try {
      report = await lifecycle.reconcile({ dryRun: args.values["dry-run"] === true });
    } finally {
      progress.done();
    }
    for (const backend of report.backends) {
      for (const nic of backend.invalid) {
        for (const problem of nic.problems) io.stderr.write(`incusx: warning: NIC "${nicName(nic)}" left out: ${problem.message}\n`);
      }
    }
    io.stdout.write(args.values.json ? JSON.stringify(report, null, 2) + "\n" : formatReconcile(report));
    let trouble = false;
    for (const backend of report.backends) {
      const { conflicts, failed } = (backend.result ?? {}) as BackendTrouble;
      for (const c of conflicts ?? []) {
        trouble = true;
        const holder =
          c.ownedBy === undefined
            ? "a row incusx does not own"
            : `the row of NIC "${c.ownedBy}"${c.member === undefined ? "" : ` of member "${c.member}"`}`;
        writeError(io.stderr, ErrorCode.NatConflict, `NIC "${nicName(c.rule.owner)}": snat ${ruleText(c.rule)} not applied: ${holder} (${c.uuid}, ${c.logicalIp} -> ${c.externalIp}) already translates it on router "${c.router}"`);
      }
      for (const f of failed ?? []) {
        trouble = true;
        writeError(io.stderr, f.error.code ?? "PLUGIN_FAILED", `NIC "${nicName(f.rule.owner)}": ${f.error.message}`);
      }
    }
    return trouble ? EXIT_FAILURE : EXIT_OK;
  }, deps);
}

// What a backend's reconcile result may add beyond the SDK's (the OVN backend does).
interface BackendTrouble {
  readonly conflicts?: readonly {
    readonly rule: NatRule;
    readonly router: string;
    readonly uuid: string;
    readonly logicalIp: string;
    readonly externalIp: string;
    readonly ownedBy?: string;
    readonly member?: string;
  }[];
  readonly adopted?: readonly NatRule[];
  readonly legacy?: readonly NatRule[];
  readonly failed?: readonly { readonly rule: NatRule; readonly error: { readonly code?: string; readonly message: string } }[];
}

/** The reconcile report as lines: one per change and skipped family, then a summary per backend. */
export function formatReconcile(report: NatReconcileReport): string {
  const lines: string[] = [];
  const would = report.dryRun ? "would be " : "";
  for (const b of report.backends) {
    for (const rule of b.ensured) lines.push(`+ ${nicName(rule.owner)}: snat ${ruleText(rule)} ${would}ensured`);
    for (const rule of b.removed) lines.push(`- ${nicName(rule.owner)}: snat ${ruleText(rule)} ${would}removed`);
    const { adopted, legacy } = (b.result ?? {}) as BackendTrouble;
    for (const rule of adopted ?? []) lines.push(`= ${nicName(rule.owner)}: snat ${ruleText(rule)} ${would}adopted (written before members were recorded)`);
    for (const rule of legacy ?? []) {
      lines.push(`? ${nicName(rule.owner)}: snat ${ruleText(rule)} left alone: written before members were recorded, and no NIC of this member asks for it`);
    }
    for (const skip of b.skipped) lines.push(`  ${nicName(skip)}: no ${skip.family} rule: ${skip.reason}`);
    for (const nic of b.elsewhere ?? []) lines.push(`  ${nicName(nic)}: runs on member "${nic.location}", left to it`);
    lines.push(
      `${b.networkType}: ${b.desired.length} desired, ${b.ensured.length} ${would}ensured, ${b.removed.length} ${would}removed` +
        (b.invalid.length > 0 ? `, ${b.invalid.length} invalid NIC${b.invalid.length === 1 ? "" : "s"} left out` : "") +
        (report.dryRun ? " (dry run)" : ""),
    );
  }
  if (report.backends.length === 0) lines.push("No NAT backend is loaded; nothing to reconcile.");
  return lines.join("\n") + "\n";
}
