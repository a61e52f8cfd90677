import { AdmissionQueue, DEFAULT_ADMISSION_HOLD_MS, closeQuietly, decodeSharedDuid, reportStartFailure, runnerConfig } from "@incusx/dhcp-client";
import type { Duid } from "@incusx/dhcp-wire";
import { openArpSocket, openUdp4DeviceSocket, readLinkInfo } from "@incusx/linux-net";
import {
  ClockToken,
  LoggerToken,
  PluginConfigToken,
  StateStoreToken,
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
import type { ArpTransport } from "./acd.js";
import { Dhcpv4Client } from "./client.js";
import { clientIdentifier, duidFromHex, iaidFor, leaseKey, loadOrCreateDuid, macBytes } from "./identity.js";
import type { SavedLease } from "./lease.js";
import { DEFAULT_DHCPV4_CONFIG, type Dhcpv4Config } from "./options.js";
import type { Dhcpv4Transport } from "./transport.js";

/** DHCPv4 client port. */
export const DHCPV4_CLIENT_PORT = 68;
/** DHCPv4 server port. */
export const DHCPV4_SERVER_PORT = 67;
/** The limited broadcast address DISCOVER and most REQUESTs go to. */
export const LIMITED_BROADCAST = "255.255.255.255";

/** The socket the runner needs: the shape of `@incusx/linux-net`'s `Udp4DeviceSocket`. */
export interface Dhcpv4Socket {
  send(bytes: Uint8Array, address: string, port: number): Promise<void>;
  onMessage(listener: (bytes: Uint8Array, from: { address: string; port: number }) => void): { close(): void };
  /** Called once when the kernel fails the socket (POLLERR); the socket is dead from then on. */
  onError?(listener: (error: Error) => void): { close(): void };
  close(): Promise<void>;
}

/**
 * The link operations the runner uses, from `@incusx/linux-net`. Internal
 * seam: the plugin provides the real ones under {@link Dhcpv4LinkAccessToken},
 * tests inject fakes instead of mocking the module.
 */
export interface LinkAccess {
  /** Reads the link, in `netns` when given (else the process's namespace). */
  readLinkInfo(iface: string, netns?: NetworkNamespace): Promise<{ readonly mac: string }>;
  /**
   * Opens the socket, made in `options.netns` when given, delivering only
   * the BOOTP messages whose chaddr is `options.chaddr` when given.
   */
  openUdp4DeviceSocket(options: { iface: string; port: number; chaddr?: Uint8Array; netns?: NetworkNamespace }): Promise<Dhcpv4Socket>;
  /**
   * Opens an ARP socket on `options.iface`, made in `options.netns` when
   * given; only with `addressConflictDetection`. Absent: the option fails
   * the start.
   */
  openArpSocket?(options: { iface: string; netns?: NetworkNamespace }): Promise<Dhcpv4ArpSocket>;
}

/** The ARP socket the runner needs: the shape of `@incusx/linux-net`'s `ArpSocket`. */
export interface Dhcpv4ArpSocket extends ArpTransport {
  /** Called once when the socket fails for good. */
  onError?(listener: (error: Error) => void): { close(): void };
  close(): Promise<void>;
}

/**
 * The runner's link operations: `@incusx/linux-net`'s. Without the native
 * addon, openUdp4DeviceSocket throws ADDON_UNAVAILABLE saying why; the
 * runner reports it as a failed event and IPv6 runs on.
 */
export const LINUX_NET_LINK_ACCESS: LinkAccess = {
  readLinkInfo: (iface, netns) => readLinkInfo(iface, netns === undefined ? {} : { netns }),
  openUdp4DeviceSocket: (options) => openUdp4DeviceSocket(options),
  openArpSocket: async (options) => {
    const socket = await openArpSocket(options);
    return { send: (packet) => socket.send(packet), onPacket: (listener) => socket.onPacket((packet) => listener(packet)), onError: (listener) => socket.onError(listener), close: () => socket.close() };
  },
};

/**
 * Token of the {@link LinkAccess} the plugin's runner uses, private to the
 * plugin: the plugin provides {@link LINUX_NET_LINK_ACCESS}; a test provides
 * a fake after it. Not exported from the package.
 */
export const Dhcpv4LinkAccessToken = defineToken<LinkAccess>("incusx.dhcpv4.link-access");

/**
 * A {@link Dhcpv4Transport} over a device-bound UDP socket: broadcasts to
 * 255.255.255.255, unicasts to the server, port 67 either way.
 */
export function socketTransport(socket: Dhcpv4Socket): Dhcpv4Transport {
  return {
    send: (bytes, to) => socket.send(bytes, to === "broadcast" ? LIMITED_BROADCAST : to.unicast, DHCPV4_SERVER_PORT),
    onMessage: (listener) => socket.onMessage((bytes) => listener(bytes)),
    close: () => socket.close(),
  };
}

/** Error codes the runner reports itself (others come from `@incusx/linux-net`). */
export const Dhcpv4RunnerErrorCode = Object.freeze({
  /** The interface has no usable MAC address for chaddr. */
  NoMac: "DHCPV4_NO_MAC",
  /** Anything without a code of its own. */
  Failed: "DHCPV4_FAILED",
});

/**
 * The DHCPv4 {@link DhcpRunner}: reads the interface's MAC address, opens a
 * device-bound socket on port 68 (no IPv4 address needed), picks the client
 * identity (the config's pinned DUID, else the runtime's, else its own
 * persisted `dhcp4.duid`), and runs a {@link Dhcpv4Client} until stopped,
 * keeping the lease in `dhcp4.lease.<leaseKey>` (default the interface
 * name) for INIT-REBOOT. With `netns` it reads the link and makes the
 * socket in that namespace; the process stays in its own.
 *
 * @example
 * // Contributed by the plugin; the host injects clock, state, logger and config.
 * await runner.run({ interface: "eth0", hostname: "c1", signal, emit: (event) => events.publish(event) });
 */
export class Dhcpv4Runner implements DhcpRunner {
  /** Family served. */
  readonly family = "ipv4" as const;
  readonly #config: Dhcpv4Config;
  /** Shared by every interface this runner serves: one runner per host process. */
  readonly #admission: AdmissionQueue;

  constructor(
    @inject(ClockToken) private readonly clock: Clock,
    @inject(StateStoreToken) private readonly store: StateStore,
    @inject(LoggerToken) private readonly logger: Logger,
    @inject(PluginConfigToken) config: unknown,
    @inject(Dhcpv4LinkAccessToken) private readonly net: LinkAccess = LINUX_NET_LINK_ACCESS,
  ) {
    // The host validated the config against the manifest's schema and filled in defaults.
    this.#config = runnerConfig(DEFAULT_DHCPV4_CONFIG, config);
    this.#admission = new AdmissionQueue({ clock, limit: this.#config.maxConcurrentDiscovers, holdMs: DEFAULT_ADMISSION_HOLD_MS });
  }

  async run(options: DhcpRunOptions): Promise<void> {
    const { signal } = options;
    const iface = options.interface;
    const { netns } = options;
    if (signal.aborted) return;
    const net = this.net;
    const log = this.logger.child({ interface: iface, family: "ipv4" });

    let socket: Dhcpv4Socket | undefined;
    let arp: Dhcpv4ArpSocket | undefined;
    let client: Dhcpv4Client;
    try {
      const info = await net.readLinkInfo(iface, netns);
      const mac = macBytes(info.mac);
      if (mac === undefined) {
        throw Object.assign(new Error(`Interface "${iface}" has no MAC address for DHCPv4 (found "${info.mac}")`), {
          code: Dhcpv4RunnerErrorCode.NoMac,
        });
      }
      const duid = await this.#duid(options, info.mac, log);
      const key = leaseKey(options.leaseKey ?? iface);
      const savedLease = await this.#savedLease(key, log);
      if (signal.aborted) return;
      // chaddr: on a bridge every reply is broadcast to every client; the kernel drops those for other clients.
      socket = await net.openUdp4DeviceSocket({ iface, port: DHCPV4_CLIENT_PORT, chaddr: mac, ...(netns === undefined ? {} : { netns }) });
      if (this.#config.addressConflictDetection) {
        if (net.openArpSocket === undefined) throw new Error(`Cannot check addresses on interface "${iface}": the link access has no ARP socket`);
        arp = await net.openArpSocket({ iface, ...(netns === undefined ? {} : { netns }) });
      }
      log.debug("DHCPv4 client socket open", { savedLease: savedLease?.address, conflictDetection: arp !== undefined });
      client = new Dhcpv4Client({
        clock: this.clock,
        transport: socketTransport(socket),
        mac,
        clientIdentifier: clientIdentifier(this.#config.clientIdentifier, { duid, iaid: iaidFor(iface, info.mac), mac }),
        interface: iface,
        ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
        ...(options.fqdn === undefined ? {} : { fqdn: options.fqdn }),
        requestBroadcast: this.#config.requestBroadcast,
        applyMtu: this.#config.applyMtu,
        ...(arp === undefined ? {} : { arp }),
        admission: this.#admission,
        // Read when the client stops: a runtime's detach decides whether to release.
        get releaseOnStop() {
          return options.releaseOnStop === true;
        },
        ...(savedLease === undefined ? {} : { savedLease }),
        persist: (lease) => (lease === undefined ? this.store.delete(key) : this.store.set(key, { ...lease } as JsonValue)),
        emit: (event) => options.emit(event),
        ...(options.attemptFailed === undefined ? {} : { attemptFailed: (failure: DhcpAttemptFailure) => options.attemptFailed?.(failure) }),
        logger: log,
      });
    } catch (error) {
      if (socket !== undefined) await closeQuietly(socket, log, "DHCPv4 socket");
      if (signal.aborted) return;
      const failure = { family: "ipv4", interface: iface, protocol: "DHCPv4", fallbackCode: Dhcpv4RunnerErrorCode.Failed } as const;
      reportStartFailure(error, { ...failure, clock: this.clock, log, emit: (event) => options.emit(event) });
      throw error;
    }

    // A failed socket receives nothing more: end the run with its error, so
    // the runtime reports it and restarts the runner on a new socket.
    let socketError: Error | undefined;
    const socketFailed = new AbortController();
    const failedWith = (what: string) => (error: Error) => {
      socketError ??= error;
      log.error(`The ${what} failed`, { error: error.message });
      socketFailed.abort(error);
    };
    const errors = socket.onError?.(failedWith("DHCPv4 socket"));
    const arpErrors = arp?.onError?.(failedWith("ARP socket"));
    try {
      await client.run(signal, socketFailed.signal);
    } finally {
      errors?.close();
      arpErrors?.close();
      await closeQuietly(socket, log, "DHCPv4 socket");
      if (arp !== undefined) await closeQuietly(arp, log, "ARP socket");
    }
    if (socketError !== undefined && !signal.aborted) throw socketError;
  }

  /** The config's pinned DUID, else the runtime's shared one, else the plugin's own. */
  async #duid(options: DhcpRunOptions, mac: string, log: Logger): Promise<Duid> {
    if (this.#config.duid !== undefined) {
      const pinned = duidFromHex(this.#config.duid);
      if (pinned !== undefined) return pinned;
      log.warn(`Ignoring the configured DUID "${this.#config.duid}": it is not a valid DUID`);
    }
    const shared = decodeSharedDuid(options.duid, () => log.warn("Ignoring the unreadable DUID given by the runtime"));
    return shared ?? loadOrCreateDuid(this.store, mac, this.clock.now(), log);
  }

  async #savedLease(key: string, log: Logger): Promise<SavedLease | undefined> {
    const stored = await this.store.get(key);
    if (stored === undefined) return undefined;
    const s = stored as Partial<Record<keyof SavedLease, unknown>>;
    if (
      typeof s === "object" &&
      s !== null &&
      typeof s.address === "string" &&
      /^\d{1,3}(\.\d{1,3}){3}$/.test(s.address) &&
      typeof s.server === "string" &&
      (s.expiresAt === null || typeof s.expiresAt === "number") &&
      (s.prefixLength === undefined || (Number.isInteger(s.prefixLength) && (s.prefixLength as number) >= 0 && (s.prefixLength as number) <= 32))
    ) {
      const prefix = s.prefixLength === undefined ? {} : { prefixLength: s.prefixLength as number };
      return { address: s.address, server: s.server, expiresAt: s.expiresAt, ...prefix };
    }
    log.warn(`Ignoring the unreadable saved DHCPv4 lease ${JSON.stringify(stored)}`);
    return undefined;
  }
}
