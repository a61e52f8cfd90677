import { isIP } from "node:net";
import type { IpFamily } from "../lease.js";
import type { LinkAddress, LinkConfigurator, LinkRoute, LinkSnapshot } from "../services.js";

/** One mutating call made on a {@link RecordingLinkConfigurator}, in call order. */
export type LinkCall =
  | { readonly op: "addAddress"; readonly interface: string; readonly address: LinkAddress }
  | { readonly op: "removeAddress"; readonly interface: string; readonly address: LinkAddress }
  | { readonly op: "addRoute"; readonly interface: string; readonly route: LinkRoute }
  | { readonly op: "removeRoute"; readonly interface: string; readonly route: LinkRoute }
  | { readonly op: "setMtu"; readonly interface: string; readonly mtu: number };

/** The name of a mutating {@link LinkConfigurator} method. */
export type LinkOp = LinkCall["op"];

/** Options of a {@link RecordingLinkConfigurator}. */
export interface RecordingLinkConfiguratorOptions {
  /**
   * Interfaces that exist. Calls on any other interface reject, like the real
   * configurator does for a missing link. Default: every name exists.
   */
  readonly interfaces?: readonly string[];
  /** MTU every interface starts with; default 1500. */
  readonly mtu?: number;
}

type FamilyAddress = LinkAddress & { readonly family: IpFamily };
type FamilyRoute = LinkRoute & { readonly family: IpFamily };

interface LinkState {
  mtu: number;
  readonly addresses: Map<string, FamilyAddress>;
  readonly routes: Map<string, FamilyRoute>;
}

/**
 * A {@link LinkConfigurator} that changes nothing on the system: it keeps
 * per-interface state (addresses, routes, MTU) so `snapshot()` shows what was
 * applied, and records every mutating call in `calls`. Like the real one it
 * is idempotent: adding an address twice keeps one (with the newer
 * lifetimes), a route is replaced by destination and metric, and removing
 * something absent is harmless.
 *
 * @example
 * const link = new RecordingLinkConfigurator();
 * await applier.apply(lease);
 * expect((await link.snapshot("eth0")).addresses).toContainEqual(
 *   expect.objectContaining({ address: "192.0.2.10", prefixLength: 24 }),
 * );
 */
export class RecordingLinkConfigurator implements LinkConfigurator {
  /** Every mutating call, in order (reads through `snapshot` are not recorded). */
  readonly calls: LinkCall[] = [];
  readonly #links = new Map<string, LinkState>();
  readonly #known: ReadonlySet<string> | undefined;
  readonly #defaultMtu: number;
  readonly #failures = new Map<LinkOp, Error[]>();

  constructor(options: RecordingLinkConfiguratorOptions = {}) {
    this.#known = options.interfaces === undefined ? undefined : new Set(options.interfaces);
    this.#defaultMtu = options.mtu ?? 1500;
  }

  async addAddress(iface: string, address: LinkAddress): Promise<void> {
    const link = this.#record({ op: "addAddress", interface: iface, address: { ...address } });
    link.addresses.set(addressKey(address), { ...address, family: familyOf(address.address) });
  }

  async removeAddress(iface: string, address: LinkAddress): Promise<void> {
    const link = this.#record({ op: "removeAddress", interface: iface, address: { ...address } });
    link.addresses.delete(addressKey(address));
  }

  async addRoute(iface: string, route: LinkRoute): Promise<void> {
    const link = this.#record({ op: "addRoute", interface: iface, route: { ...route } });
    link.routes.set(routeKey(route), { ...route, family: familyOf(route.destination.split("/")[0] ?? "") });
  }

  async removeRoute(iface: string, route: LinkRoute): Promise<void> {
    const link = this.#record({ op: "removeRoute", interface: iface, route: { ...route } });
    link.routes.delete(routeKey(route));
  }

  async setMtu(iface: string, mtu: number): Promise<void> {
    const link = this.#record({ op: "setMtu", interface: iface, mtu });
    link.mtu = mtu;
  }

  async snapshot(iface: string): Promise<LinkSnapshot> {
    const link = this.#link(iface);
    return {
      interface: iface,
      mtu: link.mtu,
      addresses: [...link.addresses.values()].map((a) => ({ ...a })),
      routes: [...link.routes.values()].map((r) => ({ ...r })),
    };
  }

  /** The recorded calls on one interface. */
  callsFor(iface: string): LinkCall[] {
    return this.calls.filter((c) => c.interface === iface);
  }

  /** Forgets the recorded calls; the link state stays. */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /**
   * Makes the next call of `op` reject with `error` (after being recorded,
   * changing nothing), to test how code copes with a failing kernel.
   *
   * @example
   * link.failNext("addRoute", new Error("RTNETLINK answers: Network is unreachable"));
   */
  failNext(op: LinkOp, error: Error): void {
    const queue = this.#failures.get(op) ?? [];
    queue.push(error);
    this.#failures.set(op, queue);
  }

  #record(call: LinkCall): LinkState {
    this.calls.push(call);
    const failure = this.#failures.get(call.op)?.shift();
    if (failure !== undefined) throw failure;
    return this.#link(call.interface);
  }

  #link(iface: string): LinkState {
    if (this.#known !== undefined && !this.#known.has(iface)) {
      throw new Error(`Interface "${iface}" does not exist`);
    }
    let link = this.#links.get(iface);
    if (link === undefined) {
      link = { mtu: this.#defaultMtu, addresses: new Map(), routes: new Map() };
      this.#links.set(iface, link);
    }
    return link;
  }
}

function familyOf(address: string): IpFamily {
  const version = isIP(address.split("%")[0] ?? "");
  if (version === 0) throw new Error(`Invalid IP address "${address}"`);
  return version === 4 ? "ipv4" : "ipv6";
}

// The kernel identifies an address by its local address and prefix length.
function addressKey(a: LinkAddress): string {
  return `${a.address}/${a.prefixLength}`;
}

// `ip route replace` identifies a route by destination and metric.
function routeKey(r: LinkRoute): string {
  return `${r.destination} metric ${r.metric ?? 0}`;
}
