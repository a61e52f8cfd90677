// Generated from schemas/host-state.schema.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * The host's network state file (network-state.json): networks with their forwards and load balancers, and instances with their devices, shaped as Incus's API returns them.
 */
export interface HostState {
  /**
   * URL or path of this schema, for editors. Ignored by the host.
   */
  $schema?: string;
  /**
   * Every network the host knows. Names are unique.
   */
  networks?: HostStateNetwork[];
  /**
   * Every instance the host knows, with its devices. Names are unique.
   */
  instances?: HostStateInstance[];
}
/**
 * One network, as `incus network show` prints it, plus the OVN logical router of an `ovn` network.
 */
export interface HostStateNetwork {
  /**
   * Network name ("ovn0"), as instance devices name it in "network".
   */
  name: string;
  /**
   * Network type: "ovn", "bridge", "macvlan", "sriov" or "physical". A NIC device naming this network gets its NIC type from it (ovn -> ovn, bridge -> bridged, others the same).
   */
  type: string;
  /**
   * Free text.
   */
  description?: string;
  /**
   * Incus project the network belongs to, as the server said (informational: `incusx state dump` writes it). A network of a project other than "default" is named "PROJECT_NAME" here, as Incus names it on the host.
   */
  project?: string;
  /**
   * Incus network config ("ipv4.address": "10.0.0.1/24", "network": "UPLINK", ...). Values are strings, as in Incus.
   */
  config?: {
    [k: string]: string | undefined;
  };
  /**
   * Name of the network's OVN logical router in the northbound database ("incus-net1-lr"). Required for "ovn" networks.
   */
  ovn_router?: string;
  /**
   * Incus's network ID (its database's networks.id): Incus names the network's OVN objects after it ("incus-net<id>-lr", NIC ports "incus-net<id>-instance-<instance UUID>-<device>"). Optional: when absent it is read from an "ovn_router" of the form "incus-net<id>-lr".
   */
  id?: number;
  /**
   * Network forwards of this network. Listen addresses are unique per network (compared as addresses, so "2001:db8::9" and "2001:DB8:0::9" are the same).
   */
  forwards?: HostStateForward[];
  /**
   * Network load balancers of this network. Their listen addresses are NOT forwards: a NIC cannot use one as its external address.
   */
  load_balancers?: HostStateLoadBalancer[];
}
/**
 * One network forward, as `incus network forward show` prints it.
 */
export interface HostStateForward {
  /**
   * The forward's listen address (an IPv4 or IPv6 address without prefix).
   */
  listen_address: string;
  /**
   * Free text.
   */
  description?: string;
  /**
   * Incus forward config ("target_address": default target).
   */
  config?: {
    [k: string]: string | undefined;
  };
  /**
   * Port forwards; optional.
   */
  ports?: HostStateForwardPort[];
}
/**
 * One port forward of a network forward.
 */
export interface HostStateForwardPort {
  /**
   * "tcp" or "udp".
   */
  protocol: "tcp" | "udp";
  /**
   * Port or ranges ("80", "8000-8010,9000").
   */
  listen_port: string;
  /**
   * Address traffic goes to.
   */
  target_address: string;
  /**
   * Target port or ranges; default: the listen port.
   */
  target_port?: string;
  /**
   * Free text.
   */
  description?: string;
}
/**
 * One network load balancer, as `incus network load-balancer show` prints it.
 */
export interface HostStateLoadBalancer {
  /**
   * The load balancer's listen address.
   */
  listen_address: string;
  /**
   * Free text.
   */
  description?: string;
  /**
   * Incus load balancer config.
   */
  config?: {
    [k: string]: string | undefined;
  };
  /**
   * Backends: named targets the ports send traffic to. Names are unique per load balancer.
   */
  backends?: HostStateLoadBalancerBackend[];
  /**
   * Ports: listen ports and the backends they balance over.
   */
  ports?: HostStateLoadBalancerPort[];
}
/**
 * One backend of a network load balancer.
 */
export interface HostStateLoadBalancerBackend {
  /**
   * Backend name ("c1-http"), as ports name it in "target_backend".
   */
  name: string;
  /**
   * Free text.
   */
  description?: string;
  /**
   * Address traffic goes to (an IPv4 or IPv6 address without prefix).
   */
  target_address: string;
  /**
   * Target port or ranges ("80,8080-8090"); default: the listen port.
   */
  target_port?: string;
}
/**
 * One port of a network load balancer.
 */
export interface HostStateLoadBalancerPort {
  /**
   * Free text.
   */
  description?: string;
  /**
   * "tcp" or "udp".
   */
  protocol: "tcp" | "udp";
  /**
   * Port or ranges ("80", "8000-8010,9000").
   */
  listen_port: string;
  /**
   * Names of the backends (of this load balancer) traffic is balanced over.
   */
  target_backend?: string[];
}
/**
 * One instance (container or VM) and its expanded devices.
 */
export interface HostStateInstance {
  /**
   * Instance name ("c1"). An instance of a project other than "default" is named "PROJECT_NAME", as Incus names it on the host.
   */
  name: string;
  /**
   * Incus project the instance belongs to (informational: `incusx state dump` writes it).
   */
  project?: string;
  /**
   * Cluster member the instance runs on (Incus's instance "location"); absent when the server is not clustered. NICs of the instance carry it, so member-scoped NAT acts only on its own member's instances.
   */
  location?: string;
  /**
   * Instance config, as in `incus config show`. Only "volatile.uuid" is read: Incus names the instance's OVN NIC ports after it ("incus-net<network ID>-instance-<volatile.uuid>-<device>"). Values are strings, as in Incus.
   */
  config?: {
    [k: string]: string | undefined;
  };
  /**
   * Devices by name, as in `incus config show --expanded`: each a string map with a "type". Devices of type "nic" are the instance's NICs; others are kept and ignored.
   */
  devices?: {
    [k: string]: HostStateDevice | undefined;
  };
}
/**
 * One device's config map ("type": "nic", "network": "ovn0", "ipv4.address.external": ...). A NIC's type is "nictype" when set, else derived from the type of the network it names.
 */
export interface HostStateDevice {
  /**
   * Device type ("nic", "disk", ...).
   */
  type: string;
  [k: string]: string | undefined;
}
