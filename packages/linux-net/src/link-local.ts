import { LinkError } from "./errors.js";
import { assertInterfaceName, runIpJson, type IpOptions } from "./ip-command.js";
import { usableLinkLocalFromJson, type IpLinkJson } from "./ip-json.js";
import { LinkWatch } from "./link-watch.js";

/**
 * Resolves with the IPv6 link-local address of `iface` once it exists and
 * has finished duplicate address detection (not `tentative`, not
 * `dadfailed`), which is when a DHCPv6 client may bind to it. Works while
 * the interface is down, has no address yet or does not exist yet: it
 * re-reads on every `ip monitor` address/link event (plus a slow safety
 * poll), not on fixed sleeps. Rejects with `signal.reason` when aborted, and
 * with a {@link LinkError} when `ip` cannot run (`EPERM`, `IP_NOT_FOUND`).
 *
 * @example
 * const local = await waitForLinkLocal("eth0", AbortSignal.timeout(10_000));
 * const socket = await openUdp6Socket({ iface: "eth0", localAddress: local, port: DHCPV6_CLIENT_PORT });
 */
export function waitForLinkLocal(iface: string, signal: AbortSignal, options: IpOptions = {}): Promise<string> {
  assertInterfaceName(iface);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      watch.close();
      signal.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(signal.reason));
    const check = async (): Promise<void> => {
      let links: IpLinkJson[];
      try {
        links = await runIpJson<IpLinkJson>(["-6", "addr", "show", "dev", iface, "scope", "link"], options);
      } catch (error) {
        // Not there yet (a NIC moved in later): wait for the next event.
        if (error instanceof LinkError && error.code === "ENODEV") return;
        throw error;
      }
      const address = usableLinkLocalFromJson(links);
      if (address !== undefined) finish(() => resolve(address));
    };
    const watch = new LinkWatch(options, check, (error) => finish(() => reject(error)));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
