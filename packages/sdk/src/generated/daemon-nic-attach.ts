// Generated from schemas/daemon-nic-attach.schema.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * The body of `POST /1.0/nics` on the `incusx daemon` API: one NIC of one instance for the daemon's network runtime to configure by DHCP inside its network namespace.
 */
export interface DaemonNicAttach {
  /**
   * Instance (container) name; with `device`, names the NIC in the API (`/1.0/nics/INSTANCE/DEVICE`).
   */
  instance: string;
  /**
   * Device name of the NIC in the instance's config (`eth0`, `net1`).
   */
  device: string;
  /**
   * The NIC's network namespace: an absolute path (`/run/netns/NAME`, `/proc/PID/ns/net`) or a name under /run/netns. The daemon holds it open by fd while the NIC is attached.
   */
  netns: string;
  /**
   * Interface to configure, as named inside the namespace.
   */
  interface: string;
  /**
   * Families to configure; default every family a loaded runner serves.
   *
   * @minItems 1
   */
  families?: ("ipv4" | "ipv6")[];
  /**
   * Hostname the runners announce to the DHCP servers.
   */
  hostname?: string;
  resolv_conf?: DaemonNicResolvConf;
  /**
   * Release the leases (and remove the addresses) when the NIC is detached, unless the detach says otherwise. Default false: a detached or stopped daemon leaves the addresses to their lifetimes.
   */
  release_on_stop?: boolean;
  /**
   * Turn on optimistic DAD (RFC 4429) on the interface before the runners start, so DHCPv6 leaves from an optimistic link-local address at once; takes effect when attached before the link is up. Default false.
   */
  optimistic_dad?: boolean;
}
/**
 * The container's resolv.conf to keep up to date from this NIC's leases (merged with the other NICs naming the same one): `path` inside the container's root directory `root`.
 */
export interface DaemonNicResolvConf {
  /**
   * Absolute host path of the container's root directory (`/proc/PID/root` or the rootfs).
   */
  root: string;
  /**
   * Absolute path inside `root`; default `/etc/resolv.conf`.
   */
  path?: string;
}
