import type { Command, ParsedArgs } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../errors.js";
import type { CliIo } from "../io.js";
import {
  defineNicCommand,
  northboundOption,
  EXIT_STATUS_HELP,
  NIC_OPTIONS,
  nicName,
  required,
  stateSource,
  withNicHost,
  writeProblems,
  type NicHostDeps,
} from "./nic-host.js";

const NAME = "incusx nic validate";

/**
 * `incusx nic validate`: checks one NIC of the host state file as the host
 * would before starting it (common NIC keys, every validator, unknown
 * keys). Exits 1 and prints every problem when it is invalid.
 */
export const nicValidateCommand = defineNicCommand({
  name: NAME,
  summary: "Check one NIC's config against the host state (external addresses, unknown keys)",
  description: [
    "Validates NIC --device of instance --instance from the host state file: the",
    "NIC keys every type knows, and each plugin's keys (ipv4.address.external and",
    "ipv6.address.external must be network forwards of the NIC's network).",
    "Prints every problem in Incus's words and exits 1 when there is one.",
    "",
    "With --json, prints { instance, device, type, valid, problems } on stdout.",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: {
    state: NIC_OPTIONS.state,
    "incus-socket": NIC_OPTIONS["incus-socket"],
    instance: NIC_OPTIONS.instance,
    device: NIC_OPTIONS.device,
    "ovn-nb": { ...NIC_OPTIONS["ovn-nb"], description: "OVN northbound database (optional: validation reads only the state file)" },
    json: NIC_OPTIONS.json,
  },
  run: validateNic,
});

/** The command the CLI runs. */
export const nicValidate: Command = nicValidateCommand();

async function validateNic(args: ParsedArgs, io: CliIo, deps: NicHostDeps): Promise<number> {
  const source = stateSource(args, NAME, true);
  const instance = required(args, "instance", NAME);
  const device = required(args, "device", NAME);
  const northbound = northboundOption(args, NAME, false);
  return withNicHost({ ...source, ...(northbound === undefined ? {} : { northbound }) }, io, async ({ lifecycle }) => {
    const nic = await lifecycle.nic(instance, device);
    const problems = await lifecycle.validate(nic);
    if (args.values.json) {
      const result = { instance, device, type: nic.type, valid: problems.length === 0, problems };
      io.stdout.write(JSON.stringify(result, null, 2) + "\n");
    } else if (problems.length === 0) {
      io.stdout.write(`NIC "${nicName(nic)}" (${nic.type}) is valid\n`);
    } else {
      writeProblems(io, problems);
    }
    return problems.length === 0 ? EXIT_OK : EXIT_FAILURE;
  }, deps);
}
