import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run, spawnProcess, type TestProcess } from "./processes.js";
import { waitFor } from "./wait.js";

/** Which DHCPv6 service the test dnsmasq offers. */
export type DnsmasqV6Mode = "stateful" | "stateless";

/** What the test dnsmasq serves; see {@link dnsmasqArgs}. */
export interface DnsmasqConfig {
  /** Interface dnsmasq serves (in the server namespace). */
  readonly iface: string;
  /** Directory for the lease, log and pid files. */
  readonly dir: string;
  /** Serve DHCPv4 (192.0.2.100-200/24, DNS 192.0.2.53). */
  readonly v4: boolean;
  /** Serve DHCPv6 statefully (2001:db8:1::100-200) or stateless (`ra-stateless`), both with RA and DNS 2001:db8:1::53; `false` for none. */
  readonly v6: DnsmasqV6Mode | false;
  /** Lease time of both ranges (`1h`, `2m`, `infinite`). */
  readonly leaseTime: string;
  /** Extra arguments, appended last. */
  readonly extraArgs: readonly string[];
  /** First and last DHCPv4 address leased (default 192.0.2.100 to 192.0.2.200). */
  readonly v4Range?: readonly [string, string];
  /** First and last stateful DHCPv6 address leased (default 2001:db8:1::100 to 2001:db8:1::200). */
  readonly v6Range?: readonly [string, string];
  /** Log every DHCP exchange in detail (`--log-dhcp`, default `true`); see {@link DnsmasqChoices.logDhcp}. */
  readonly logDhcp?: boolean;
}

/** A test network's dnsmasq choices as its options give them (`TestNetworkOptions`, `BridgedNetworkOptions`). */
export interface DnsmasqChoices {
  /** Serve DHCPv4 (default `true`). */
  readonly v4?: boolean;
  /** `true`/`"stateful"` (default), `"stateless"`, or `false` for no DHCPv6. */
  readonly v6?: boolean | DnsmasqV6Mode;
  /** Default `1h`. */
  readonly leaseTime?: string;
  /** Appended last. */
  readonly dnsmasqArgs?: readonly string[];
  /**
   * `--log-dhcp` (default `true`): tests read the exchanges from the log.
   * Benchmarks turn it off: its ~15 lines per exchange, written as the
   * packet is handled, slow the server, not the client under test.
   */
  readonly logDhcp?: boolean;
}

/**
 * The {@link DnsmasqConfig} of a test network: `choices` with the testkit's
 * defaults (DHCPv4, stateful DHCPv6, 1 h leases), served on `where.iface`
 * from `where.dir`, with `where`'s ranges when it names them. One place,
 * so the two-namespace and the bridged network serve alike.
 */
export function networkDnsmasqConfig(choices: DnsmasqChoices, where: Pick<DnsmasqConfig, "iface" | "dir" | "v4Range" | "v6Range">): DnsmasqConfig {
  return {
    ...where,
    v4: choices.v4 ?? true,
    v6: choices.v6 === undefined || choices.v6 === true ? "stateful" : choices.v6,
    leaseTime: choices.leaseTime ?? "1h",
    extraArgs: [...(choices.dnsmasqArgs ?? [])],
    ...(choices.logDhcp === undefined ? {} : { logDhcp: choices.logDhcp }),
  };
}

/**
 * The dnsmasq command line of the test network (the one in DESIGN.md
 * "Test network"): no config file, no DNS (`--port=0`), no ping before an
 * offer, bound to the server veth only, foreground, logging to a file in
 * `dir`.
 */
export function dnsmasqArgs(config: DnsmasqConfig): string[] {
  const args = [
    "dnsmasq",
    "--conf-file=/dev/null",
    "--no-daemon",
    "--no-ping",
    "--port=0",
    `--interface=${config.iface}`,
    "--bind-interfaces",
  ];
  const [v4First, v4Last] = config.v4Range ?? ["192.0.2.100", "192.0.2.200"];
  const [v6First, v6Last] = config.v6Range ?? ["2001:db8:1::100", "2001:db8:1::200"];
  if (config.v4) args.push(`--dhcp-range=${v4First},${v4Last},255.255.255.0,${config.leaseTime}`);
  if (config.v6 === "stateful") args.push(`--dhcp-range=${v6First},${v6Last},64,${config.leaseTime}`);
  if (config.v6 === "stateless") args.push(`--dhcp-range=2001:db8:1::,ra-stateless,64,${config.leaseTime}`);
  if (config.v6 !== false) args.push("--enable-ra");
  if (config.v4) args.push("--dhcp-option=option:dns-server,192.0.2.53");
  if (config.v6 !== false) args.push("--dhcp-option=option6:dns-server,[2001:db8:1::53]");
  args.push(
    `--dhcp-leasefile=${join(config.dir, "dnsmasq.leases")}`,
    `--pid-file=${join(config.dir, "dnsmasq.pid")}`,
    `--log-facility=${join(config.dir, "dnsmasq.log")}`,
    ...(config.logDhcp === false ? [] : ["--log-dhcp"]),
    ...config.extraArgs,
  );
  return args;
}

/** Controls the dnsmasq of a test network. */
export interface TestDnsmasq {
  /** Starts dnsmasq (if stopped) and resolves once its DHCP sockets are open; rejects with its output when it exits. */
  start(): Promise<void>;
  /** Stops dnsmasq and waits for it to exit; harmless when stopped. */
  stop(): Promise<void>;
  /** Stops and starts again; `args`, when given, replace the extra arguments (`dnsmasqArgs` of the network). */
  restart(args?: readonly string[]): Promise<void>;
  /** The log file so far (`--log-facility`, with `--log-dhcp` detail). */
  log(): string;
  /** The lease file so far. */
  leases(): string;
  /** Whether dnsmasq is running. */
  readonly running: boolean;
  /** The full command line of the current (or next) run. */
  readonly argv: readonly string[];
}

/** A {@link TestDnsmasq} running `dnsmasq` in network namespace `ns` through `ip netns exec`. */
export class NamespacedDnsmasq implements TestDnsmasq {
  readonly #ns: string;
  #config: DnsmasqConfig;
  #process: TestProcess | undefined;

  constructor(ns: string, config: DnsmasqConfig) {
    this.#ns = ns;
    this.#config = config;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  get argv(): readonly string[] {
    return dnsmasqArgs(this.#config);
  }

  async start(): Promise<void> {
    if (this.#process !== undefined) return;
    // `ip netns exec` execs dnsmasq in place, so the child's pid is dnsmasq's.
    const child = spawnProcess(["ip", "netns", "exec", this.#ns, ...this.argv]);
    this.#process = child;
    let exitCode: number | undefined;
    void child.exited().then((code) => {
      exitCode = code;
      if (this.#process === child) this.#process = undefined;
    });
    const ports = [...(this.#config.v4 ? [":67"] : []), ...(this.#config.v6 !== false ? [":547"] : [])];
    try {
      await waitFor(
        async () => {
          if (exitCode !== undefined) {
            throw new Error(`dnsmasq exited with code ${exitCode}: ${child.stderr().trim() || this.log().trim()}`);
          }
          if (ports.length === 0) return this.log().includes("started");
          const sockets = await run(["ip", "netns", "exec", this.#ns, "ss", "-Hulnp"]);
          const own = sockets.stdout.split("\n").filter((line) => line.includes(`pid=${child.child.pid},`));
          return ports.every((port) => own.some((line) => line.includes(`${port} `)));
        },
        { timeoutMs: 10_000, intervalMs: 20, message: "dnsmasq did not open its DHCP sockets" },
      );
    } catch (error) {
      await child.kill();
      if (this.#process === child) this.#process = undefined;
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    await child?.kill();
  }

  async restart(args?: readonly string[]): Promise<void> {
    await this.stop();
    if (args !== undefined) this.#config = { ...this.#config, extraArgs: [...args] };
    await this.start();
  }

  log(): string {
    return readOrEmpty(join(this.#config.dir, "dnsmasq.log"));
  }

  leases(): string {
    return readOrEmpty(join(this.#config.dir, "dnsmasq.leases"));
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
