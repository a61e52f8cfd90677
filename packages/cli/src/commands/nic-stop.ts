import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK } from "../errors.js";
import type { CliIo } from "../io.js";
import { defineNicCommand, EXIT_STATUS_HELP, NIC_TARGET_OPTIONS, nicName, nicTarget, ruleText, withNicHost, type NicHostDeps } from "./nic-host.js";

const NAME = "incusx nic stop";

/**
 * `incusx nic stop`: removes the outbound NAT rules one NIC owns, and only
 * those: another NIC sharing the external address keeps its rule.
 */
export const nicStopCommand = defineNicCommand({
  name: NAME,
  summary: "Remove the outbound NAT rules a NIC owns (others' rules stay)",
  description: [
    "Removes every NAT rule owned by NIC --device of instance --instance from the",
    "OVN northbound database. Rules of other NICs stay, also when they share the",
    "same external address. A NIC no longer in the host state is stopped too.",
    "Only this member's rules are removed (--member, default the host name): a",
    "row another member took over when the instance moved there stays.",
    "",
    "With --json, prints { owner, removed } on stdout.",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: NIC_TARGET_OPTIONS,
  run: stopNic,
});

/** The command the CLI runs. */
export const nicStop: Command = nicStopCommand();

async function stopNic(args: ParsedArgs, io: CliIo, deps: NicHostDeps): Promise<number> {
  const { source, northbound, member, instance, device } = nicTarget(args, NAME);
  return withNicHost({ ...source, northbound, member }, io, async ({ lifecycle }) => {
    const result = await lifecycle.stop(instance, device);
    if (args.values.json) {
      io.stdout.write(JSON.stringify(result, null, 2) + "\n");
      return EXIT_OK;
    }
    const name = nicName(result.owner);
    if (result.removed.length === 0) io.stdout.write(`NIC "${name}": owned no NAT rule\n`);
    for (const rule of result.removed) io.stdout.write(`NIC "${name}": snat ${ruleText(rule)} removed\n`);
    return EXIT_OK;
  }, deps);
}
