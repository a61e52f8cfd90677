import { DaemonClient, DaemonRequestError, type DaemonNic } from "@incusx/daemon";
import type { DaemonNicAttach } from "@incusx/sdk/host";
import type { Command, OptionSpec, ParsedArgs } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, UsageError, writeError } from "../errors.js";
import type { CliIo } from "../io.js";
import { formatTable } from "../table.js";
import { nicName, optional, required } from "./nic-host.js";

/** `--daemon SOCKET`, shared by the commands that talk to `incusx daemon`. */
export const DAEMON_OPTION: OptionSpec = {
  type: "string",
  valueName: "SOCKET",
  description: "Socket of the running `incusx daemon` (e.g. /run/incusx/daemon.sock)",
};

const EXIT_HELP = [
  "Exit status: 0 on success; 1 when the daemon refused the request or cannot be",
  "reached, with `incusx: error[CODE]: message` on stderr; 2 for a wrong command line.",
].join("\n");

/** Runs `work` with a client of `--daemon`; a refusal is printed with the daemon's code. */
export async function withDaemon(args: ParsedArgs, io: CliIo, command: string, work: (client: DaemonClient) => Promise<number>): Promise<number> {
  const client = new DaemonClient(required(args, "daemon", command));
  try {
    return await work(client);
  } catch (error) {
    if (!(error instanceof DaemonRequestError)) throw error;
    writeError(io.stderr, error.code, error.message);
    return EXIT_FAILURE;
  }
}

// Which NIC, in the daemon's words: an instance's device.
const NIC_KEY_OPTIONS = {
  instance: { type: "string", valueName: "NAME", description: "Instance of the NIC (required)" },
  device: { type: "string", valueName: "NAME", description: "NIC device name, e.g. eth0 (required)" },
} as const satisfies Record<string, OptionSpec>;

const ATTACH = "incusx nic attach";

/** `incusx nic attach --daemon SOCKET`: hands one NIC to the running daemon. */
export const nicAttach: Command = {
  name: ATTACH,
  summary: "Have the running daemon configure a NIC of a network namespace by DHCP",
  description: [
    "Asks the daemon on --daemon to attach NIC --device of instance --instance: its",
    "DHCP runners start on --interface inside --netns (a name under /run/netns or a",
    "path such as /proc/PID/ns/net) and keep it configured until detached. Returns",
    "once the runners started; `incusx nic list` shows when each family is bound.",
    "",
    "With --json, prints the attached NIC as the API returns it.",
    "",
    EXIT_HELP,
  ].join("\n"),
  options: {
    daemon: DAEMON_OPTION,
    ...NIC_KEY_OPTIONS,
    netns: { type: "string", valueName: "NAME|PATH", description: "Network namespace of the NIC (required)" },
    interface: { type: "string", valueName: "IF", description: "Interface inside the namespace (required)" },
    hostname: { type: "string", valueName: "H", description: "Hostname to announce to the servers" },
    "no-ipv4": { type: "boolean", description: "Do not run DHCPv4" },
    "no-ipv6": { type: "boolean", description: "Do not run DHCPv6" },
    "release-on-stop": { type: "boolean", description: "Release the leases when detached or when the daemon stops" },
    json: { type: "boolean", description: "Print the result as JSON" },
  },
  run: (args, io) =>
    withDaemon(args, io, ATTACH, async (client) => {
      const nic = await client.attach(attachRequest(args));
      if (args.values.json) io.stdout.write(JSON.stringify(nic, null, 2) + "\n");
      else io.stdout.write(`NIC "${nicName(nic)}" attached on ${nic.interface} in ${nic.netns ?? "the daemon's namespace"}\n`);
      return EXIT_OK;
    }),
};

function attachRequest(args: ParsedArgs): DaemonNicAttach {
  const families = (["ipv4", "ipv6"] as const).filter((f) => args.values[`no-${f}`] !== true);
  if (families.length === 0) throw new UsageError('Options "--no-ipv4" and "--no-ipv6" leave nothing to do', ATTACH);
  const hostname = optional(args, "hostname");
  return {
    instance: required(args, "instance", ATTACH),
    device: required(args, "device", ATTACH),
    netns: required(args, "netns", ATTACH),
    interface: required(args, "interface", ATTACH),
    ...(families.length === 2 ? {} : { families }),
    ...(hostname === undefined ? {} : { hostname }),
    ...(args.values["release-on-stop"] === true ? { release_on_stop: true } : {}),
  };
}

const DETACH = "incusx nic detach";

/** `incusx nic detach --daemon SOCKET`: stops the daemon's runners of one NIC. */
export const nicDetach: Command = {
  name: DETACH,
  summary: "Have the running daemon stop configuring a NIC (--release: release its leases)",
  description: [
    "Asks the daemon on --daemon to detach NIC --device of instance --instance: its",
    "runners stop. The addresses stay for their lifetimes, unless --release (or the",
    "NIC was attached with --release-on-stop and --no-release is not given).",
    "With --json, prints { instance, device, release }.",
    "",
    EXIT_HELP,
  ].join("\n"),
  options: {
    daemon: DAEMON_OPTION,
    ...NIC_KEY_OPTIONS,
    release: { type: "boolean", description: "Release the leases and remove the addresses" },
    "no-release": { type: "boolean", description: "Keep the leases even if the NIC was attached with --release-on-stop" },
    json: { type: "boolean", description: "Print { instance, device, release } as JSON" },
  },
  run: (args, io) => {
    if (args.values.release === true && args.values["no-release"] === true) {
      throw new UsageError('Options "--release" and "--no-release" cannot be combined', DETACH);
    }
    const release = args.values.release === true ? true : args.values["no-release"] === true ? false : undefined;
    return withDaemon(args, io, DETACH, async (client) => {
      const instance = required(args, "instance", DETACH);
      const device = required(args, "device", DETACH);
      await client.detach(instance, device, release === undefined ? {} : { release });
      if (args.values.json) io.stdout.write(JSON.stringify({ instance, device, release: release ?? "as attached" }) + "\n");
      else io.stdout.write(`NIC "${instance}/${device}" detached${release === true ? ", leases released" : ""}\n`);
      return EXIT_OK;
    });
  },
};

const LIST = "incusx nic list";

/** `incusx nic list --daemon SOCKET`: the daemon's attached NICs with their state and addresses. */
export const nicList: Command = {
  name: LIST,
  summary: "List the NICs the running daemon configures, with state and addresses",
  description: [
    "Lists every NIC attached to the daemon on --daemon: one row per NIC and family",
    "with its state (starting, bound, failed, stopping) and leased addresses. With",
    "--json, prints the NICs as the API returns them (leases in full).",
    "",
    EXIT_HELP,
  ].join("\n"),
  options: { daemon: DAEMON_OPTION, json: { type: "boolean", description: "Print the NICs as JSON" } },
  run: (args, io) =>
    withDaemon(args, io, LIST, async (client) => {
      const nics = await client.list();
      if (args.values.json) {
        io.stdout.write(JSON.stringify(nics, null, 2) + "\n");
        return EXIT_OK;
      }
      if (nics.length === 0) {
        io.stdout.write("No NIC attached\n");
        return EXIT_OK;
      }
      io.stdout.write(formatTable(["NIC", "INTERFACE", "FAMILY", "STATE", "ADDRESSES"], nics.flatMap(rows)));
      return EXIT_OK;
    }),
};

function rows(nic: DaemonNic): string[][] {
  const families = nic.families.length === 0 ? [{ family: "-", state: "starting", lease: undefined, error: undefined }] : nic.families;
  return families.map((f) => [
    nicName(nic),
    nic.interface,
    f.family,
    f.error === undefined ? f.state : `${f.state} (${f.error.code})`,
    (f.lease?.addresses ?? []).map((a) => `${a.address}/${a.prefixLength}`).join(",") || "-",
  ]);
}
