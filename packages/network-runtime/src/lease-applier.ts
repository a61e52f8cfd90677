import { INFINITE_LIFETIME, type Clock, type Lease, type LeaseAddress, type LeaseRoute, type LinkAddress, type LinkConfigurator, type LinkRoute } from "@incusx/sdk";

/** One change the applier could not make, with the error the link configurator gave. */
export interface LinkProblem {
  /** What was being done (`add address 2001:db8::10/128`). */
  readonly action: string;
  /** The error. */
  readonly error: unknown;
}

/**
 * Keeps one interface in step with one runner's lease: applies a lease
 * (addresses with the lifetimes still left, routes, MTU), takes away what a
 * renewed lease no longer grants, and removes everything when the lease
 * ends. Each change is made independently, so one refused route does not
 * keep an address off the link; every refusal is returned.
 *
 * @example
 * const applier = new LeaseApplier("eth0", link, clock);
 * const problems = await applier.apply(lease);
 */
export class LeaseApplier {
  private addresses = new Map<string, LinkAddress>();
  private routes = new Map<string, LinkRoute>();
  private mtu: number | undefined;

  constructor(
    private readonly iface: string,
    private readonly link: LinkConfigurator,
    private readonly clock: Clock,
  ) {}

  /**
   * Makes the link carry `lease` and nothing more of this runner's earlier
   * leases. When `signal` aborts it stops between two changes (what was
   * changed is remembered, so a later `clear` removes it).
   */
  async apply(lease: Lease, signal?: AbortSignal): Promise<LinkProblem[]> {
    const problems: LinkProblem[] = [];
    const attempt = async (action: string, work: () => Promise<void>): Promise<boolean> => {
      if (signal?.aborted === true) return false;
      try {
        await work();
        return true;
      } catch (error) {
        problems.push({ action, error });
        return false;
      }
    };

    if (lease.mtu !== undefined && lease.mtu !== this.mtu) {
      const mtu = lease.mtu;
      if (await attempt(`set MTU ${mtu}`, () => this.link.setMtu(this.iface, mtu))) this.mtu = mtu;
    }

    const wantedAddresses = new Map<string, LinkAddress>();
    for (const granted of lease.addresses) {
      const address = remaining(granted, lease.obtainedAt, this.clock.now());
      // Already past its valid lifetime: the kernel would refuse it, and it must go anyway.
      if (address === undefined) continue;
      wantedAddresses.set(addressKey(address), address);
    }
    for (const [key, address] of wantedAddresses) {
      if (await attempt(`add address ${key}`, () => this.link.addAddress(this.iface, address))) {
        this.addresses.set(key, address);
      }
    }

    const wantedRoutes = new Map(lease.routes.map((r) => [routeKey(r), toLinkRoute(r)] as const));
    for (const [key, route] of wantedRoutes) {
      if (await attempt(`add route ${key}`, () => this.link.addRoute(this.iface, route))) this.routes.set(key, route);
    }

    // Stale routes before stale addresses: a gateway may only be reachable through an old address.
    for (const [key, route] of [...this.routes]) {
      if (wantedRoutes.has(key)) continue;
      if (await attempt(`remove route ${key}`, () => this.link.removeRoute(this.iface, route))) this.routes.delete(key);
    }
    for (const [key, address] of [...this.addresses]) {
      if (wantedAddresses.has(key)) continue;
      if (await attempt(`remove address ${key}`, () => this.link.removeAddress(this.iface, address))) {
        this.addresses.delete(key);
      }
    }
    return problems;
  }

  /**
   * Removes every address and route this applier put on the link (and those
   * of `lease`, which a runner may report without having bound it here). The
   * MTU stays: the link's earlier MTU is not known.
   */
  async clear(lease?: Lease): Promise<LinkProblem[]> {
    const problems: LinkProblem[] = [];
    const routes = new Map(this.routes);
    const addresses = new Map(this.addresses);
    for (const r of lease?.routes ?? []) routes.set(routeKey(r), toLinkRoute(r));
    for (const a of lease?.addresses ?? []) addresses.set(addressKey(a), { address: a.address, prefixLength: a.prefixLength });
    for (const [key, route] of routes) {
      try {
        await this.link.removeRoute(this.iface, route);
        this.routes.delete(key);
      } catch (error) {
        problems.push({ action: `remove route ${key}`, error });
      }
    }
    for (const [key, address] of addresses) {
      try {
        await this.link.removeAddress(this.iface, address);
        this.addresses.delete(key);
      } catch (error) {
        problems.push({ action: `remove address ${key}`, error });
      }
    }
    return problems;
  }

  /** Addresses this applier believes are on the link. */
  get applied(): readonly LinkAddress[] {
    return [...this.addresses.values()];
  }
}

/**
 * `granted` with lifetimes counted from now instead of from `obtainedAt`,
 * in whole seconds (rounded down, so the kernel never keeps an address
 * longer than the server allowed); `undefined` once it is no longer valid.
 */
export function remaining(granted: LeaseAddress, obtainedAt: number, now: number): LinkAddress | undefined {
  const elapsed = Math.max(0, (now - obtainedAt) / 1000);
  const base = { address: granted.address, prefixLength: granted.prefixLength };
  if (granted.validLifetime >= INFINITE_LIFETIME) {
    if (granted.preferredLifetime >= INFINITE_LIFETIME) return base;
    return { ...base, preferredLifetime: Math.max(0, Math.floor(granted.preferredLifetime - elapsed)) };
  }
  const valid = Math.floor(granted.validLifetime - elapsed);
  if (valid <= 0) return undefined;
  const preferred =
    granted.preferredLifetime >= INFINITE_LIFETIME ? valid : Math.max(0, Math.floor(granted.preferredLifetime - elapsed));
  return { ...base, preferredLifetime: Math.min(preferred, valid), validLifetime: valid };
}

function toLinkRoute(route: LeaseRoute): LinkRoute {
  return {
    destination: route.destination,
    ...(route.gateway === undefined ? {} : { gateway: route.gateway }),
    ...(route.metric === undefined ? {} : { metric: route.metric }),
  };
}

// The kernel identifies an address by its local address and prefix length.
function addressKey(a: { address: string; prefixLength: number }): string {
  return `${a.address}/${a.prefixLength}`;
}

// As `ip route replace` does: a new gateway for the same destination replaces the route.
function routeKey(r: LeaseRoute): string {
  return `${r.destination}${r.metric === undefined ? "" : ` metric ${r.metric}`}`;
}
