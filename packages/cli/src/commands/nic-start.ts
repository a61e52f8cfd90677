import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK } from "../errors.js";
import type { CliIo } from "../io.js";
import { defineNicCommand, EXIT_STATUS_HELP, NIC_TARGET_OPTIONS, nicName, nicTarget, ruleText, withNicHost, type NicHostDeps } from "./nic-host.js";

const NAME = "incusx nic start";

/**
 * `incusx nic start`: validates one NIC and applies the outbound NAT its
 * network's backend plans for it (an OVN snat row per family with an
 * external address), removing its own rules of families it no longer has.
 */
export const nicStartCommand = defineNicCommand({
  name: NAME,
  summary: "Validate a NIC and apply its outbound NAT (snat to its external address)",
  description: [
    "Validates NIC --device of instance --instance from the host state file and",
    "refuses with every problem when it is invalid. Otherwise applies its outbound",
    "NAT in the OVN northbound database: one snat row per family that sets",
    "ipvN.address.external, from the NIC's static ipvN.address or the address OVN",
    "assigned it. A family without an address gets no rule, and the command says",
    "why. Rules of families the NIC no longer asks for are removed. Re-running",
    "changes nothing.",
    "",
    "Rows record the cluster member (--member, default the host name). A row of",
    "the NIC another member holds (the instance moved here) is taken over in",
    "place, in one transaction: the NIC keeps its SNAT throughout. Use the same",
    "--member for nic start, nic stop and nat reconcile on one host.",
    "",
    "With --json, prints { nic, backend, applied, skipped } on stdout.",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: NIC_TARGET_OPTIONS,
  run: startNic,
});

/** The command the CLI runs. */
export const nicStart: Command = nicStartCommand();

async function startNic(args: ParsedArgs, io: CliIo, deps: NicHostDeps): Promise<number> {
  const { source, northbound, member, instance, device } = nicTarget(args, NAME);
  return withNicHost({ ...source, northbound, member }, io, async ({ lifecycle }) => {
    const result = await lifecycle.start(instance, device);
    if (args.values.json) {
      io.stdout.write(JSON.stringify(result, null, 2) + "\n");
      return EXIT_OK;
    }
    const name = nicName(result.nic);
    if (result.backend === undefined) {
      io.stdout.write(`NIC "${name}": no NAT backend serves its network; nothing to do\n`);
      return EXIT_OK;
    }
    for (const rule of result.applied) io.stdout.write(`NIC "${name}": snat ${ruleText(rule)} applied\n`);
    for (const skip of result.skipped) io.stdout.write(`NIC "${name}": no ${skip.family} rule: ${skip.reason}\n`);
    if (result.applied.length === 0 && result.skipped.length === 0) io.stdout.write(`NIC "${name}": no external address set; no rule\n`);
    return EXIT_OK;
  }, deps);
}
