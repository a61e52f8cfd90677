import { ErrorCode, IncusxError, canonicalAddress } from "@incusx/sdk";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK, UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { defineNicCommand, EXIT_STATUS_HELP, NIC_OPTIONS, required, withNicHost, type NicHostDeps } from "./nic-host.js";

const NAME = "incusx network forward";

/**
 * `incusx network forward delete ADDRESS`: removes a network forward from
 * the host state file, refusing while a NIC still uses its listen address
 * (as `ipv4.address.external`, say) and naming each such NIC.
 */
export const networkForwardCommand = defineNicCommand({
  name: NAME,
  summary: "Delete a network forward from the host state (refused while a NIC uses it)",
  description: [
    "delete ADDRESS: removes the forward of --network listening on ADDRESS from the",
    "host state file (compared as addresses, so any spelling of an IPv6 address",
    "works). Refused, naming every instance and device, while a NIC still uses it",
    "as its external address: stop the NIC and unset the key first. The file is",
    "rewritten atomically (a temporary file renamed over it).",
    "",
    "With --json, prints the removed forward { network, listenAddress, description? }.",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: {
    state: NIC_OPTIONS.state,
    network: { type: "string", valueName: "NAME", description: "Network of the forward" },
    json: NIC_OPTIONS.json,
  },
  positionals: { name: "delete ADDRESS", description: "Delete the forward listening on ADDRESS" },
  run: forwardCommand,
});

/** The command the CLI runs. */
export const networkForward: Command = networkForwardCommand();

async function forwardCommand(args: ParsedArgs, io: CliIo, deps: NicHostDeps): Promise<number> {
  const [action, address, ...extra] = args.positionals;
  if (action !== "delete") {
    throw new UsageError(action === undefined ? `Missing action "delete"` : `Unknown action "${action}"`, NAME);
  }
  if (address === undefined) throw new UsageError(`Missing ADDRESS of the forward to delete`, NAME);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`, NAME);
  const state = required(args, "state", NAME);
  const network = required(args, "network", NAME);
  return withNicHost({ state }, io, async ({ lifecycle, state: file }) => {
    const wanted = canonicalOrUndefined(address);
    const forward = (await file!.forwards(network)).find((f) => wanted !== undefined && canonicalOrUndefined(f.listenAddress) === wanted);
    if (forward === undefined) {
      throw new IncusxError(ErrorCode.NotFound, `Network forward "${address}" not found on network "${network}"`);
    }
    const uses = await lifecycle.checkForwardRemoval(forward);
    if (uses.length > 0) {
      throw new IncusxError(ErrorCode.InUse, uses.map((use) => use.message).join("\n"));
    }
    const removed = await file!.removeForward(network, forward.listenAddress);
    io.stdout.write(
      args.values.json
        ? JSON.stringify(removed, null, 2) + "\n"
        : `Network forward "${removed.listenAddress}" deleted from network "${network}"\n`,
    );
    return EXIT_OK;
  }, deps);
}

function canonicalOrUndefined(text: string): string | undefined {
  try {
    return canonicalAddress(text);
  } catch {
    return undefined;
  }
}
