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
  /**
   * Absolute path of the resolv.conf (in the host's mount namespace) to keep up to date from this NIC's leases.
   */
  resolv_conf?: string;
  /**
   * Release the leases (and remove the addresses) when the NIC is detached, unless the detach says otherwise. Default false: a detached or stopped daemon leaves the addresses to their lifetimes.
   */
  release_on_stop?: boolean;
}
