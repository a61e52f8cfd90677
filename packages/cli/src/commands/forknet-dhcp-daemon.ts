import { createHash } from "node:crypto";
import { basename } from "node:path";
import { DaemonClient, DaemonRequestError, type DaemonEvent } from "@incusx/daemon";
import { NETNS_RUN_DIR } from "@incusx/linux-net";
import type { IpFamily, LeaseEvent } from "@incusx/sdk";
import { EXIT_FAILURE, EXIT_OK, writeError } from "../errors.js";
import type { CliIo } from "../io.js";
import { EXIT_NONE_CONFIGURED, EXIT_SOME_CONFIGURED, formatEvent, type SignalSource } from "./forknet-dhcp-child.js";
import type { ForknetDhcpOptions } from "./forknet-dhcp-options.js";

/** How long `forknet dhcp --daemon` waits for the families to be configured when no `--timeout` says. */
export const DAEMON_WAIT_MS = 30_000;

/**
 * The instance name a NIC handed over by `forknet dhcp --daemon` gets in
 * the daemon: the namespace's name for `/run/netns/NAME`, `pid-PID` for
 * `/proc/PID/ns/net`, else a hash of the path (the API's names are plain).
 *
 * @example
 * daemonInstanceName("/run/netns/c1") // "c1"
 */
export function daemonInstanceName(netnsPath: string): string {
  const plain = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
  const name = netnsPath.startsWith(`${NETNS_RUN_DIR}/`) ? basename(netnsPath) : undefined;
  if (name !== undefined && plain.test(name)) return name;
  const pid = /^\/proc\/(\d+)\/ns\/net$/.exec(netnsPath)?.[1];
  if (pid !== undefined) return `pid-${pid}`;
  return `netns-${createHash("sha256").update(netnsPath).digest("hex").slice(0, 16)}`;
}

/**
 * `incusx forknet dhcp --daemon SOCKET`: attaches the NIC to the running
 * daemon instead of running runners here, prints its lease events as the
 * command does, and exits once every family the daemon serves of those
 * asked for is configured (0), or at the timeout or a signal with 3 (some)
 * or 4 (none); the NIC stays attached either way. A refused attach exits 1.
 */
export async function delegateToDaemon(options: ForknetDhcpOptions, netnsPath: string, io: CliIo, signals: SignalSource): Promise<number> {
  const client = new DaemonClient(options.daemon!);
  const instance = daemonInstanceName(netnsPath);
  // forknetDhcpOptions refuses --daemon without --interface.
  const device = options.interface!;
  const configured = new Set<IpFamily>();
  let active: IpFamily[] = [];
  let finish!: (status: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const partial = (): number => (configured.size === active.length ? EXIT_OK : configured.size === 0 ? EXIT_NONE_CONFIGURED : EXIT_SOME_CONFIGURED);

  const onEvent = (event: DaemonEvent): void => {
    const m = event.metadata;
    if (m.instance !== instance || m.device !== device) {
      const context = m.context as { instance?: string; device?: string } | undefined;
      if (event.type === "lifecycle" && m.action === "nic-detached" && context?.instance === instance && context.device === device) {
        writeError(io.stderr, "NOT_FOUND", `NIC "${instance}/${device}" was detached from the daemon before it was configured`);
        finish(partial());
      }
      return;
    }
    const { instance: _i, device: _d, ...rest } = m;
    const lease = rest as unknown as LeaseEvent;
    io.stdout.write(options.json ? JSON.stringify(lease) + "\n" : formatEvent(lease));
    if (lease.kind === "bound" || lease.kind === "renewed" || lease.kind === "rebound") configured.add(lease.family);
    else if (lease.kind === "expired" || lease.kind === "released") configured.delete(lease.family);
    else if (lease.kind === "failed") {
      configured.delete(lease.family);
      if (lease.error !== undefined) writeError(io.stderr, lease.error.code, `${lease.family}: ${lease.error.message}`);
    }
    // A link failure comes right after the lease event it is about.
    queueMicrotask(() => active.length > 0 && configured.size === active.length && finish(EXIT_OK));
  };

  let stream: { close(): void } | undefined;
  const onSignal = (): void => finish(partial());
  signals.on("SIGTERM", onSignal);
  signals.on("SIGINT", onSignal);
  const timer = setTimeout(() => finish(partial()), options.timeoutMs ?? DAEMON_WAIT_MS);
  try {
    const served = ((await client.server()).environment as { families?: IpFamily[] } | undefined)?.families ?? [];
    active = options.families.filter((f) => served.includes(f));
    for (const family of options.families) {
      if (!active.includes(family)) io.stderr.write(`incusx: note: the daemon runs no DHCP runner for "${family}"; ${family} is left alone\n`);
    }
    if (active.length === 0) {
      writeError(io.stderr, "NO_RUNNER", `The daemon serves neither of ${options.families.map((f) => `"${f}"`).join(" and ")}`);
      return EXIT_FAILURE;
    }
    // Subscribed before the attach, so no lease event of the NIC is missed.
    stream = await client.events(onEvent);
    await client.attach({
      instance,
      device,
      netns: netnsPath,
      interface: device,
      families: active,
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      // --resolv-conf names a file as this process sees it: inside the root "/".
      ...(options.resolvConf === undefined ? {} : { resolv_conf: { root: "/", path: options.resolvConf } }),
      ...(options.release ? { release_on_stop: true } : {}),
    });
    const status = await finished;
    if (status !== EXIT_OK) {
      io.stderr.write(`incusx: note: NIC "${instance}/${device}" stays attached to the daemon, which keeps trying\n`);
    }
    return status;
  } catch (error) {
    if (!(error instanceof DaemonRequestError)) throw error;
    writeError(io.stderr, error.code, error.message);
    return EXIT_FAILURE;
  } finally {
    clearTimeout(timer);
    signals.off("SIGTERM", onSignal);
    signals.off("SIGINT", onSignal);
    stream?.close();
  }
}
