import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { InvalidConfigError } from "@incusx/sdk";
import { parseHostState } from "@incusx/host";
import { IncusNetworkState, findSocket } from "@incusx/state-incus";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK, UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { EXIT_STATUS_HELP, NIC_OPTIONS, stateSource } from "./nic-host.js";

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
    "and printed as the host reads it.",
    "",
    EXIT_STATUS_HELP,
  ].join("\n"),
  options: {
    state: NIC_OPTIONS.state,
    "incus-socket": NIC_OPTIONS["incus-socket"],
    json: { type: "boolean", description: "Print JSON (what this command always prints: a host state file)" },
  },
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    if (args.positionals.length > 0) throw new UsageError(`Unexpected argument "${args.positionals[0]}"`, NAME);
    const source = stateSource(args, NAME, false);
    const document = source.state !== undefined ? await readStateFile(resolve(io.cwd, source.state)) : await readServer(source.incusSocket, io);
    io.stdout.write(JSON.stringify(document, null, 2) + "\n");
    return EXIT_OK;
  },
};

async function readStateFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new InvalidConfigError(`${file}: cannot read: ${(error as Error).message}`, [], { cause: error });
  }
  return parseHostState(text, file);
}

async function readServer(socket: string | undefined, io: CliIo): Promise<unknown> {
  const state = new IncusNetworkState({ socket: socket === undefined ? findSocket() : resolve(io.cwd, socket) });
  try {
    return await state.document();
  } finally {
    await state.close();
  }
}
