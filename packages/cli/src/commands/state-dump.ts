import { resolve } from "node:path";
import { FileNetworkState, hostStateDocument } from "@incusx/host";
import type { HostState } from "@incusx/sdk/host";
import { IncusNetworkState, findSocket } from "@incusx/state-incus";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK, UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { DAEMON_OPTION, withDaemon } from "./nic-daemon.js";
import { EXIT_STATUS_HELP, NIC_OPTIONS, optional, stateSource } from "./nic-host.js";

const NAME = "incusx state dump";

/**
 * `incusx state dump`: prints what the host sees, in the state-file format
 * (schemas/host-state.schema.json), from a state file or a live server, so
 * an operator can compare the two or seed a file from a server.
 */
export const stateDump: Command = {
  name: NAME,
  summary: "Print the host state from a state file or a live Incus/LXD server, in the state-file format",
  description: [
    "Prints the networks (with their OVN router, forwards and load balancers) and",
    "instances (with their expanded devices) the host sees, as a host state file",
    "(schemas/host-state.schema.json) that `--state` reads back to the same NICs.",
    "",
    "With --incus-socket, reads a live Incus or LXD server: managed networks and",
    "instances of every project, names outside the default project qualified as",
    "PROJECT_NAME, each instance with its project, cluster member (location) and",
    "volatile.uuid. Without --state or --incus-socket, the first of Incus's and",
    "LXD's usual sockets that exists is read. With --state, the file is checked",
    "and printed as the host reads it. With --daemon, the running `incusx daemon`",
    "on that socket prints what its host sees (`GET /1.0/state`), from whichever",
    "source its config names.",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: {
    state: NIC_OPTIONS.state,
    "incus-socket": NIC_OPTIONS["incus-socket"],
    daemon: DAEMON_OPTION,
    json: { type: "boolean", description: "Print JSON (what this command always prints: a host state file)" },
  },
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    if (args.positionals.length > 0) throw new UsageError(`Unexpected argument "${args.positionals[0]}"`, NAME);
    const print = (document: HostState): number => {
      io.stdout.write(JSON.stringify(document, null, 2) + "\n");
      return EXIT_OK;
    };
    if (optional(args, "daemon") !== undefined) {
      if (optional(args, "state") !== undefined || optional(args, "incus-socket") !== undefined) {
        throw new UsageError(`Option "--daemon" names a state source of its own; give it without "--state" or "--incus-socket"`, NAME);
      }
      return withDaemon(args, io, NAME, async (client) => print(await client.state()));
    }
    const source = stateSource(args, NAME, false);
    if (source.state !== undefined) return print(await hostStateDocument(new FileNetworkState(resolve(io.cwd, source.state))));
    const state = new IncusNetworkState({ socket: source.incusSocket === undefined ? findSocket() : resolve(io.cwd, source.incusSocket) });
    try {
      return print(await hostStateDocument(state));
    } finally {
      await state.close();
    }
  },
};
