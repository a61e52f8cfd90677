import {
  ALL_DHCP_SERVERS,
  DHCPV6_CLIENT_PORT,
  DHCPV6_SERVER_PORT,
  openUdp6Socket,
  IpRoute2LinkConfigurator,
  linkLocalBlocker,
  readLinkInfo,
  waitForLinkLocal,
  type LinkLocalBlocker,
  watchAddressFlags,
  watchCarrier,
} from "@incusx/linux-net";
import {
  ClockToken,
  LoggerToken,
  PluginConfigToken,
  StateStoreToken,
  canonicalAddress,
  defineToken,
  inject,
  type Clock,
  type DhcpAttemptFailure,
  type DhcpRunOptions,
  type DhcpRunner,
  type JsonValue,
  type Logger,
  type NetworkNamespace,
  type StateStore,
} from "@incusx/sdk";
import { AdmissionQueue, DEFAULT_ADMISSION_HOLD_MS, closeQuietly, decodeSharedDuid, reportStartFailure, runnerConfig } from "@incusx/dhcp-client";
import type { Duid } from "@incusx/dhcp-wire";
import { Dhcpv6Client } from "./client.js";
import { DEFAULT_DHCPV6_CONFIG, type Dhcpv6Config } from "./options.js";
import { bindingKey, loadOrCreateDuid, loadOrCreateIaid } from "./identity.js";
import type { Binding } from "./lease.js";
import { bindingFromSaved } from "./saved-binding.js";
import { loadOrCreateStableSecret, stableLinkLocalAddress } from "./stable-link-local.js";
import type { Dhcpv6Transport } from "./transport.js";

/** The socket the runner needs: the shape of `@incusx/linux-net`'s `Udp6Socket`. */
export interface Dhcpv6Socket {
  send(bytes: Uint8Array, address: string, port: number): Promise<void>;
  onMessage(listener: (bytes: Uint8Array, from: { address: string; port: number }) => void): { close(): void };
  close(): Promise<void>;
}

/**
 * The link operations the runner uses, from `@incusx/linux-net`. Internal
 * seam: the plugin provides the real ones under {@link Dhcpv6LinkAccessToken},
 * tests inject fakes instead of mocking the module.
 */
export interface LinkAccess {
  /** Each works in `netns` when given (else the process's namespace). */
  waitForLinkLocal(iface: string, signal: AbortSignal, netns?: NetworkNamespace): Promise<string>;
  readLinkInfo(iface: string, netns?: NetworkNamespace): Promise<{ readonly mac: string }>;
  openUdp6Socket(options: { iface: string; localAddress: string; port: number; netns?: NetworkNamespace }): Promise<Dhcpv6Socket>;
  watchAddressFlags(
    iface: string,
    onChange: (addresses: { address: string; flags: readonly string[] }[]) => void,
    onError: (error: unknown) => void,
    netns?: NetworkNamespace,
  ): { close(): void };
  /** Why the interface will never get a link-local address by itself, if so; absent: never reported. */
  linkLocalBlocker?(iface: string, netns?: NetworkNamespace): LinkLocalBlocker | undefined;
  /** Adds an IPv6 link-local address (/64, no lifetime limit), for the `stableLinkLocal` option. */
  addLinkLocal?(iface: string, address: string, netns?: NetworkNamespace): Promise<void>;
  /** Removes a link-local address {@link LinkAccess.addLinkLocal} added, after it failed DAD. */
  removeLinkLocal?(iface: string, address: string, netns?: NetworkNamespace): Promise<void>;
  /** Reports whether the link is up with carrier, at start and on change; absent: no Confirm after a flap. */
  watchCarrier?(iface: string, onChange: (usable: boolean) => void, onError: (error: unknown) => void, netns?: NetworkNamespace): { close(): void };
}

/** The runner's link operations: `@incusx/linux-net`'s (a namespace goes in-process through its addon). */
export const LINUX_NET_LINK_ACCESS: LinkAccess = {
  waitForLinkLocal: (iface, signal, netns) => waitForLinkLocal(iface, signal, netns === undefined ? {} : { netns }),
  readLinkInfo: (iface, netns) => readLinkInfo(iface, netns === undefined ? {} : { netns }),
  openUdp6Socket: (options) => openUdp6Socket(options),
  watchAddressFlags: (iface, onChange, onError, netns) => watchAddressFlags(iface, onChange, { onError, ...(netns === undefined ? {} : { netns }) }),
  linkLocalBlocker: (iface, netns) => linkLocalBlocker(iface, netns === undefined ? {} : { netns }),
  addLinkLocal: (iface, address, netns) => new IpRoute2LinkConfigurator(netns === undefined ? {} : { netns }).addAddress(iface, { address, prefixLength: 64 }),
  removeLinkLocal: (iface, address, netns) => new IpRoute2LinkConfigurator(netns === undefined ? {} : { netns }).removeAddress(iface, { address, prefixLength: 64 }),
  watchCarrier: (iface, onChange, onError, netns) => watchCarrier(iface, onChange, { onError, ...(netns === undefined ? {} : { netns }) }),
};

/**
 * Token of the {@link LinkAccess} the plugin's runner uses, private to the
 * plugin: the plugin provides {@link LINUX_NET_LINK_ACCESS}; a test provides
 * a fake after it. Not exported from the package.
 */
export const Dhcpv6LinkAccessToken = defineToken<LinkAccess>("incusx.dhcpv6.link-access");

/**
 * A {@link Dhcpv6Transport} over an interface-bound UDP socket: multicast to
 * ff02::1:2 (the socket adds the zone) or unicast, server port 547.
 */
export function socketTransport(socket: Dhcpv6Socket): Dhcpv6Transport {
  return {
    send: (bytes, to) => socket.send(bytes, to === "all-servers" ? ALL_DHCP_SERVERS : to.unicast, DHCPV6_SERVER_PORT),
    onMessage: (listener) => socket.onMessage((bytes) => listener(bytes)),
    close: () => socket.close(),
  };
}

/**
 * The DHCPv6 {@link DhcpRunner}: waits for the interface's link-local
 * address to finish DAD (or takes it at once when the kernel made it
 * optimistic, RFC 4429), opens the client socket on it, loads (or creates
 * and persists) the DUID and the interface's IAID, and runs a
 * {@link Dhcpv6Client} until stopped, declining addresses the kernel marks
 * `dadfailed`. With `netns` all of that happens in the NIC's namespace (the
 * process stays in its own), and the IAID is kept under `leaseKey`
 * (default the interface name). The binding is kept in
 * `dhcp6.lease.<leaseKey ?? iface>`, so a restarted runner renews it
 * instead of soliciting.
 *
 * @example
 * // Contributed by the plugin; the host injects clock, state, logger and config.
 * await runner.run({ interface: "eth0", hostname: "c1", signal, emit: (event) => events.publish(event) });
 */
export class Dhcpv6Runner implements DhcpRunner {
  /** Family served. */
  readonly family = "ipv6" as const;
  readonly #config: Dhcpv6Config;
  /** Shared by every interface this runner serves: one runner per host process. */
  readonly #admission: AdmissionQueue;

  constructor(
    @inject(ClockToken) private readonly clock: Clock,
    @inject(StateStoreToken) private readonly store: StateStore,
    @inject(LoggerToken) private readonly logger: Logger,
    @inject(PluginConfigToken) config: unknown,
    @inject(Dhcpv6LinkAccessToken) private readonly net: LinkAccess = LINUX_NET_LINK_ACCESS,
  ) {
    // The host validated the config against the manifest's schema and filled in defaults.
    this.#config = runnerConfig(DEFAULT_DHCPV6_CONFIG, config);
    this.#admission = new AdmissionQueue({ clock, limit: this.#config.maxConcurrentSolicits, holdMs: DEFAULT_ADMISSION_HOLD_MS });
  }

  async run(options: DhcpRunOptions): Promise<void> {
    const { signal } = options;
    const iface = options.interface;
    const { netns } = options;
    if (signal.aborted) return;
    const net = this.net;
    const log = this.logger.child({ interface: iface, family: "ipv6" });

    let socket: Dhcpv6Socket;
    let client: Dhcpv6Client;
    // The flag watch starts `ip` twice (monitor and first read); it is
    // started once the first Solicit has been handed to the kernel, so it
    // does not delay that Solicit. Nothing is missed: its first read reports
    // every address's flags, and the client holds no address before a Reply.
    let watch: { close(): void } | undefined;
    let carrierWatch: { close(): void } | undefined;
    let stopped = false;
    const startWatch = (): void => {
      if (watch !== undefined || stopped) return;
      const onChange = (addresses: { address: string; flags: readonly string[] }[]): void => {
        for (const a of addresses) if (a.flags.includes("dadfailed")) client.reportDadFailure(a.address);
      };
      // Without the watch only DAD failures go unnoticed; the lease itself carries on.
      const onError = (error: unknown): void => log.warn("Failed to read address flags", { error: error instanceof Error ? error.message : String(error) });
      watch = net.watchAddressFlags(iface, onChange, onError, netns);
      // Carrier down, then up: the client confirms its binding (RFC 8415 section 18.2.3).
      let wasDown = false;
      const onCarrier = (usable: boolean): void => {
        if (usable && wasDown) client.linkReturned();
        wasDown = !usable;
      };
      const onCarrierError = (error: unknown): void => log.warn("Failed to read the link state", { error: error instanceof Error ? error.message : String(error) });
      try {
        carrierWatch = net.watchCarrier?.(iface, onCarrier, onCarrierError, netns);
      } catch (error) {
        onCarrierError(error);
      }
    };
    try {
      // The identity (MAC, DUID, IAID) is read while the kernel is still
      // doing DAD on the link-local address (~1-2 s after link up), so the
      // first Solicit follows DAD at once. An interface that does not exist
      // yet makes this first try fail: read it again once the link-local
      // address is there.
      const early = this.#identity(net, options, log);
      early.catch(() => undefined);
      const blocker = net.linkLocalBlocker?.(iface, netns);
      let cause: NoLinkLocalCause | undefined = blocker;
      if (blocker === "addr-gen-mode-none" && this.#config.stableLinkLocal && net.addLinkLocal !== undefined) {
        cause = await this.#addStableLinkLocal(net, iface, signal, log, netns);
        if (signal.aborted) return;
      }
      if (cause !== undefined) {
        const error = new NoLinkLocalError(iface, cause);
        options.attemptFailed?.({ code: "NO_LINK_LOCAL", message: error.message });
        throw error;
      }
      const linkLocal = await net.waitForLinkLocal(iface, signal, netns);
      const { duid, iaid } = await early.catch(() => this.#identity(net, options, log));
      const key = bindingKey(options.leaseKey ?? iface);
      const savedBinding = await this.#savedBinding(key, iaid, log);
      if (signal.aborted) return;
      socket = await net.openUdp6Socket({ iface, localAddress: linkLocal, port: DHCPV6_CLIENT_PORT, ...(netns === undefined ? {} : { netns }) });
      log.debug("DHCPv6 client socket open", { localAddress: linkLocal, iaid });
      client = new Dhcpv6Client({
        clock: this.clock,
        transport: afterFirstSend(socketTransport(socket), () => startWatch()),
        duid,
        iaid,
        interface: iface,
        ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
        ...(options.fqdn === undefined ? {} : { fqdn: options.fqdn }),
        config: this.#config,
        admission: this.#admission,
        // Read when the client stops: a runtime's detach decides whether to release.
        get releaseOnStop() {
          return options.releaseOnStop === true;
        },
        ...(savedBinding === undefined ? {} : { savedBinding }),
        // A SavedBinding is plain JSON (numbers, strings, null, arrays); read back through bindingFromSaved.
        persist: (binding) => (binding === undefined ? this.store.delete(key) : this.store.set(key, binding as unknown as JsonValue)),
        emit: (event) => options.emit(event),
        ...(options.attemptFailed === undefined ? {} : { attemptFailed: (failure: DhcpAttemptFailure) => options.attemptFailed?.(failure) }),
        logger: log,
      });
    } catch (error) {
      if (signal.aborted) return;
      const failure = { family: "ipv6", interface: iface, protocol: "DHCPv6", fallbackCode: "DHCPV6_FAILED" } as const;
      reportStartFailure(error, { ...failure, clock: this.clock, log, emit: (event) => options.emit(event) });
      throw error;
    }

    try {
      await client.run(signal);
    } finally {
      stopped = true;
      watch?.close();
      carrierWatch?.close();
      await closeQuietly(socket, log, "DHCPv6 socket");
    }
  }

  /**
   * Adds the RFC 7217 link-local address and waits for its DAD. A duplicate
   * (another host holds it) is removed and the next DAD_Counter tried, up
   * to IDGEN_RETRIES (3) more times (RFC 7217 section 6); then the cause is
   * returned instead of an address that would never work.
   */
  async #addStableLinkLocal(
    net: LinkAccess,
    iface: string,
    signal: AbortSignal,
    log: Logger,
    netns: NetworkNamespace | undefined,
  ): Promise<"stable-dad-failed" | undefined> {
    const { mac } = await net.readLinkInfo(iface, netns);
    const secret = await loadOrCreateStableSecret(this.store);
    for (let counter = 0; counter <= IDGEN_RETRIES; counter++) {
      const address = stableLinkLocalAddress(mac, secret, counter);
      log.info("The interface has no link-local address (addr_gen_mode none); adding a stable one (RFC 7217)", { address, dadCounter: counter });
      await net.addLinkLocal!(iface, address, netns);
      if ((await dadOutcome(net, iface, address, signal, netns)) !== "duplicate") return undefined;
      log.warn("The stable link-local address is a duplicate on the link; trying the next DAD_Counter (RFC 7217 section 6)", { address, dadCounter: counter });
      await net.removeLinkLocal?.(iface, address, netns);
    }
    return "stable-dad-failed";
  }

  /** The binding an earlier run kept under `key`, checked; none (logged) when it is unreadable, expired or unreachable. */
  async #savedBinding(key: string, iaid: number, log: Logger): Promise<Binding | undefined> {
    let stored;
    try {
      stored = await this.store.get(key);
    } catch (error) {
      log.warn(`Cannot read the saved DHCPv6 binding: ${error instanceof Error ? error.message : String(error)}; soliciting`);
      return undefined;
    }
    if (stored === undefined) return undefined;
    const verdict = bindingFromSaved(stored, { iaid, now: this.clock.now() });
    if (verdict.kind === "binding") return verdict.binding;
    if (verdict.kind === "expired") log.info("The saved DHCPv6 binding has expired; soliciting");
    else log.warn(`Ignoring the unreadable saved DHCPv6 binding: ${verdict.reason}; soliciting`);
    return undefined;
  }

  /** The MAC address, the DUID (the runtime's shared one, else this plugin's stored one) and the interface's IAID. */
  async #identity(net: LinkAccess, options: DhcpRunOptions, log: Logger): Promise<{ duid: Duid; iaid: number }> {
    const { mac } = await net.readLinkInfo(options.interface, options.netns);
    // The runtime's DUID, shared with DHCPv4 (RFC 4361), when it gives one that decodes.
    const shared = decodeSharedDuid(options.duid, (error) => log.warn(`Ignoring the unreadable shared DUID: ${String(error)}; using this plugin's own`));
    const duid = shared ?? (await loadOrCreateDuid(this.store, mac, this.clock.now(), log));
    const iaid = await loadOrCreateIaid(this.store, options.interface, mac, options.leaseKey);
    return { duid, iaid };
  }
}

/** `transport`, calling `onFirstSend` once after its first send settles (sent or failed). */
function afterFirstSend(transport: Dhcpv6Transport, onFirstSend: () => void): Dhcpv6Transport {
  let first = true;
  return {
    ...transport,
    send: (bytes, to) => {
      const sending = transport.send(bytes, to);
      if (first) {
        first = false;
        void sending.then(onFirstSend, onFirstSend);
      }
      return sending;
    },
  };
}

/**
 * Why an interface has no usable IPv6 link-local address: the kernel's
 * reasons ({@link LinkLocalBlocker}), or every stable (RFC 7217) address
 * the `stableLinkLocal` option tried was a duplicate on the link.
 */
export type NoLinkLocalCause = LinkLocalBlocker | "stable-dad-failed";

const NO_LINK_LOCAL_REASONS: Record<NoLinkLocalCause, (iface: string) => string> = {
  "ipv6-disabled": () => "IPv6 is disabled on it (disable_ipv6 = 1)",
  "addr-gen-mode-none": (iface) =>
    `address generation is off (addr_gen_mode = none; \`ip link set dev ${iface} addrgenmode eui64\` or the stableLinkLocal option makes one)`,
  "stable-dad-failed": () => `every stable (RFC 7217) address tried (${IDGEN_RETRIES + 1}) was a duplicate on the link (DAD failed)`,
};

/** RFC 7217 section 7: how many more DAD_Counter values are tried after a duplicate. */
const IDGEN_RETRIES = 3;

/**
 * Waits until the kernel has finished DAD on `address`: `valid` (or
 * optimistic, which may be used at once), `duplicate` (dadfailed), or
 * `aborted`. Reads flags through `watchAddressFlags`, which reports at
 * start and on every change.
 */
function dadOutcome(
  net: LinkAccess,
  iface: string,
  address: string,
  signal: AbortSignal,
  netns: NetworkNamespace | undefined,
): Promise<"valid" | "duplicate" | "aborted"> {
  const wanted = canonicalIpv6(address);
  return new Promise((resolve) => {
    let outcome: "valid" | "duplicate" | "aborted" | undefined;
    let watch: { close(): void } | undefined;
    const settle = (value: "valid" | "duplicate" | "aborted"): void => {
      if (outcome !== undefined) return;
      outcome = value;
      signal.removeEventListener("abort", onAbort);
      watch?.close();
      resolve(value);
    };
    const onAbort = (): void => settle("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    const onChange = (addresses: { address: string; flags: readonly string[] }[]): void => {
      const entry = addresses.find((a) => canonicalIpv6(a.address) === wanted);
      if (entry === undefined) return;
      if (entry.flags.includes("dadfailed")) settle("duplicate");
      else if (!entry.flags.includes("tentative") || entry.flags.includes("optimistic")) settle("valid");
    };
    // A read error leaves the address to the kernel: waitForLinkLocal then decides.
    watch = net.watchAddressFlags(iface, onChange, () => settle("valid"), netns);
    // Settled during the call, before `watch` was set: close it now.
    if (outcome !== undefined) watch.close();
    else if (signal.aborted) settle("aborted");
  });
}

function canonicalIpv6(address: string): string {
  return canonicalAddress(address.split("%")[0]!);
}

/**
 * The interface has no IPv6 link-local address and the kernel will make
 * none, so DHCPv6 cannot start (code `NO_LINK_LOCAL`): thrown at once, not
 * after a timeout. `blocker` says why; the message says how to fix it.
 */
export class NoLinkLocalError extends Error {
  /** Stable code, as the `failed` lease event carries it. */
  readonly code = "NO_LINK_LOCAL";
  /** What keeps the link-local address away. */
  readonly blocker: NoLinkLocalCause;

  constructor(iface: string, blocker: NoLinkLocalCause) {
    super(`"${iface}" has no IPv6 link-local address: ${NO_LINK_LOCAL_REASONS[blocker](iface)}`);
    this.name = "NoLinkLocalError";
    this.blocker = blocker;
  }
}
