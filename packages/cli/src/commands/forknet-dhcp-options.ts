import { statfsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NETNS_RUN_DIR, netnsPath } from "@incusx/linux-net";
import { ErrorCode, IncusxError, InvalidConfigError, type IpFamily } from "@incusx/sdk";
import type { ParsedArgs } from "../command.js";
import { UsageError } from "../errors.js";

/** Command name, for usage errors. */
export const FORKNET_DHCP = "incusx forknet dhcp";

/** Where `incusx forknet dhcp` keeps state (the DUID) when neither `--state-dir` nor `--config` says. */
export const DEFAULT_STATE_ROOT = "/var/lib/incusx/forknet";

/** The command line of `incusx forknet dhcp`, checked, with paths made absolute. */
export interface ForknetDhcpOptions {
  /** `--netns` as given: a name under /run/netns or a path. */
  readonly netns: string;
  /** `--interface`; absent: every non-loopback interface of the namespace, as Incus's form. */
  readonly interface?: string;
  /** `--interfaces-json`: Incus's per-interface flags, for every interface (without `--interface`). */
  readonly interfacesJson?: string;
  /** Families left enabled by `--no-ipv4`/`--no-ipv6`. */
  readonly families: readonly IpFamily[];
  readonly hostname?: string;
  readonly stateDir?: string;
  readonly resolvConf?: string;
  readonly config?: string;
  readonly exitWhenConfigured: boolean;
  /** `--timeout` in milliseconds. */
  readonly timeoutMs?: number;
  readonly json: boolean;
  readonly release: boolean;
  /** The hidden `--in-netns`: this process is the child already inside the namespace. */
  readonly inNetns: boolean;
  /** `--daemon`: the socket of the `incusx daemon` to hand the NIC to. */
  readonly daemon?: string;
}

/** Checks the parsed command line; throws {@link UsageError} naming the offending option. */
export function forknetDhcpOptions(args: ParsedArgs, cwd: string): ForknetDhcpOptions {
  const v = args.values;
  const text = (name: string): string | undefined => v[name] as string | undefined;
  const netns = text("netns");
  const iface = text("interface");
  if (netns === undefined) throw new UsageError('Option "--netns" is required', FORKNET_DHCP);
  if (iface !== undefined && !/^[^\s/]{1,15}$/.test(iface)) throw new UsageError(`Invalid interface name "${iface}"`, FORKNET_DHCP);
  if (iface === undefined && v.daemon !== undefined) {
    throw new UsageError('Option "--daemon" needs "--interface": the daemon serves one NIC per attach', FORKNET_DHCP);
  }
  if (iface !== undefined && v["interfaces-json"] !== undefined) {
    throw new UsageError('Option "--interfaces-json" applies only without "--interface" (every interface of the namespace)', FORKNET_DHCP);
  }
  const families = (["ipv4", "ipv6"] as const).filter((f) => v[`no-${f}`] !== true);
  if (families.length === 0) throw new UsageError('Options "--no-ipv4" and "--no-ipv6" leave nothing to do', FORKNET_DHCP);

  let timeoutMs: number | undefined;
  const timeout = text("timeout");
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!/^\d+(\.\d+)?$/.test(timeout) || !(seconds > 0)) {
      throw new UsageError(`Invalid value for "--timeout": "${timeout}" is not a positive number of seconds`, FORKNET_DHCP);
    }
    if (v["exit-when-configured"] !== true && v.daemon === undefined) {
      throw new UsageError('Option "--timeout" only applies with "--exit-when-configured" or "--daemon"', FORKNET_DHCP);
    }
    timeoutMs = Math.round(seconds * 1000);
  }
  const daemon = text("daemon");
  if (daemon !== undefined) {
    for (const name of ["state-dir", "config", "in-netns"]) {
      if (v[name] !== undefined) throw new UsageError(`Option "--${name}" does not apply with "--daemon": the daemon's own config and state decide`, FORKNET_DHCP);
    }
  }
  if (v.release === true && v["exit-when-configured"] === true && daemon === undefined) {
    throw new UsageError('Options "--release" and "--exit-when-configured" cannot be combined: the lease would be released at once', FORKNET_DHCP);
  }
  const path = (name: string): string | undefined => {
    const value = text(name);
    return value === undefined ? undefined : resolve(cwd, value);
  };
  const hostname = text("hostname");
  const stateDir = path("state-dir");
  const resolvConf = path("resolv-conf");
  const config = path("config");
  const interfacesJson = path("interfaces-json");
  return {
    netns,
    ...(iface === undefined ? {} : { interface: iface }),
    ...(interfacesJson === undefined ? {} : { interfacesJson }),
    families,
    ...(hostname === undefined ? {} : { hostname }),
    ...(stateDir === undefined ? {} : { stateDir }),
    ...(resolvConf === undefined ? {} : { resolvConf }),
    ...(config === undefined ? {} : { config }),
    exitWhenConfigured: v["exit-when-configured"] === true,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    json: v.json === true,
    release: v.release === true,
    inNetns: v["in-netns"] === true,
    ...(daemon === undefined ? {} : { daemon: resolve(cwd, daemon) }),
  };
}

/** The arguments that make the child see the same command line (paths already absolute). */
export function childArgv(options: ForknetDhcpOptions): string[] {
  const argv = ["forknet", "dhcp", "--in-netns", "--netns", options.netns];
  const add = (name: string, value: string | undefined) => value !== undefined && argv.push(`--${name}`, value);
  const flag = (name: string, on: boolean) => on && argv.push(`--${name}`);
  add("interface", options.interface);
  add("interfaces-json", options.interfacesJson);
  add("hostname", options.hostname);
  add("state-dir", options.stateDir);
  add("resolv-conf", options.resolvConf);
  add("config", options.config);
  flag("no-ipv4", !options.families.includes("ipv4"));
  flag("no-ipv6", !options.families.includes("ipv6"));
  flag("exit-when-configured", options.exitWhenConfigured);
  add("timeout", options.timeoutMs === undefined ? undefined : String(options.timeoutMs / 1000));
  flag("json", options.json);
  flag("release", options.release);
  return argv;
}

/** `statfs` f_type of nsfs, the filesystem of namespace files (`/proc/PID/ns/net` and their bind mounts under /run/netns). */
export const NSFS_MAGIC = 0x6e736673;

/** The filesystem type (`statfs` f_type) of what `path` names, or `undefined` when nothing is there. */
export function fsTypeOf(path: string): number | undefined {
  try {
    return statfsSync(path).type;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * The namespace file `--netns` names (`/run/netns/NAME` for a name),
 * checked before anything enters it: {@link UsageError} for an invalid
 * name, `NOT_FOUND` when nothing is there, `INVALID_CONFIG` when it is not
 * a namespace file (on nsfs) or cannot be inspected (EACCES), so a plain
 * file or a directory such as `/run/netns/..` is refused by name rather
 * than handed to setns. A namespace of another kind (`/proc/PID/ns/mnt`)
 * is refused by `enterNetns`, which names its kind.
 * `fsType` replaces the `statfs` (tests).
 *
 * @example
 * resolveNetns("ctr1") // "/run/netns/ctr1", when that is a namespace
 */
export function resolveNetns(netns: string, fsType: (path: string) => number | undefined = fsTypeOf): string {
  let path: string;
  try {
    path = netnsPath(netns);
  } catch (error) {
    throw new UsageError((error as Error).message, FORKNET_DHCP);
  }
  let type: number | undefined;
  try {
    type = fsType(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new InvalidConfigError(`Invalid value for "--netns": "${path}" cannot be inspected: ${reason}`, [
      { path: "--netns", message: `"${path}" cannot be inspected: ${reason}` },
    ]);
  }
  if (type === undefined) throw new IncusxError(ErrorCode.NotFound, `Network namespace "${netns}" not found: "${path}" does not exist`);
  if (type !== NSFS_MAGIC) {
    throw new InvalidConfigError(
      `Invalid value for "--netns": "${path}" is not a network namespace (not a namespace file such as /run/netns/NAME or /proc/PID/ns/net)`,
      [{ path: "--netns", message: `"${path}" is not on nsfs` }],
    );
  }
  return path;
}

/**
 * The state directory for namespace `netns` when none is configured:
 * `/var/lib/incusx/forknet/NAME` for a named namespace (also given as
 * `/run/netns/NAME`), else the path with `/` turned into `_`. A
 * `/proc/PID/ns/net` path changes with every container start, so pass
 * `--state-dir` to keep the DUID across restarts. Throws
 * `INVALID_CONFIG` when that name would not be a directory of its own
 * under the root (`/run/netns/..`, `.`, an empty name): the state of every
 * namespace, or more, would be shared or overwritten.
 *
 * @example
 * defaultStateDir("ctr1") // "/var/lib/incusx/forknet/ctr1"
 */
export function defaultStateDir(netns: string): string {
  const prefix = `${NETNS_RUN_DIR}/`;
  const named = netns.startsWith(prefix) && !netns.slice(prefix.length).includes("/");
  const name = named ? netns.slice(prefix.length) : netns.includes("/") ? netns.replace(/^\/+/, "").replace(/\//g, "_") : netns;
  const dir = join(DEFAULT_STATE_ROOT, name);
  if (name === "" || dirname(dir) !== DEFAULT_STATE_ROOT) {
    throw new InvalidConfigError(
      `Cannot derive a state directory from "--netns" "${netns}": "${dir}" is not a directory of its own under ${DEFAULT_STATE_ROOT}; pass "--state-dir"`,
      [{ path: "--netns", message: `"${netns}" gives no state directory name` }],
    );
  }
  return dir;
}

/**
 * The Node.js arguments that run this command again, before `forknet dhcp
 * ...` (the nsenter fallback's child, the worker of Incus's form): the
 * one-shot files' own (`selfArgv`), else `[binPath]`, else this package's
 * `dist/bin.js`.
 */
export function selfArgvOf(deps: { readonly selfArgv?: readonly string[]; readonly binPath?: string }): readonly string[] {
  return deps.selfArgv ?? [deps.binPath ?? fileURLToPath(new URL("../bin.js", import.meta.url))];
}
