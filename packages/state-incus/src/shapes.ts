// The parts of Incus's API objects the host uses, checked as they arrive:
// a field of the wrong type is a `malformed` IncusStateError naming the
// request and the JSON pointer, never a crash later. Fields the host does
// not use are ignored, so Incus-only additions (a forward port's "snat")
// and LXD's omissions of them both read.

import type { HostStateForward, HostStateLoadBalancer } from "@incusx/sdk/host";
import { IncusStateError } from "./errors.js";

/** A managed network as the server lists it. */
export interface ServerNetwork {
  readonly name: string;
  readonly project: string;
  readonly type: string;
  readonly managed: boolean;
  readonly description: string;
  readonly config: Readonly<Record<string, string>>;
}

/** An instance as the server lists it, with its expanded devices. */
export interface ServerInstance {
  readonly name: string;
  readonly project: string;
  /** Cluster member; absent when not clustered (Incus and LXD say "none" or ""). */
  readonly location: string | undefined;
  /** `volatile.uuid`, when set. */
  readonly uuid: string | undefined;
  readonly devices: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** One lifecycle event: what happened to which API object. */
export interface LifecycleEvent {
  /** `network-forward-created`, `instance-deleted`, ... */
  readonly action: string;
  /** The object's API path, with `?project=` for a project other than default. */
  readonly source: string;
  /** The event's project, when the server says. */
  readonly project: string | undefined;
}

/** Where a value came from, for messages: the request and the pointer into its answer. */
class Reader {
  constructor(readonly where: string, readonly path: string) {}

  fail(pointer: string, expected: string, value: unknown): never {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new IncusStateError("malformed", `${this.where}: ${pointer || "/"}: expected ${expected}, got ${got}`, { path: this.path });
  }

  record(value: unknown, pointer: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(pointer, "an object", value);
    return value as Record<string, unknown>;
  }

  array(value: unknown, pointer: string): unknown[] {
    if (!Array.isArray(value)) this.fail(pointer, "an array", value);
    return value;
  }

  string(value: unknown, pointer: string): string {
    if (typeof value !== "string") this.fail(pointer, "a string", value);
    return value;
  }

  optionalString(value: unknown, pointer: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, pointer);
  }

  name(value: unknown, pointer: string): string {
    const text = this.string(value, pointer);
    if (text === "") this.fail(pointer, "a non-empty name", value);
    return text;
  }

  stringMap(value: unknown, pointer: string): Record<string, string> {
    if (value === undefined || value === null) return {};
    const map = this.record(value, pointer);
    for (const [key, entry] of Object.entries(map)) this.string(entry, `${pointer}/${token(key)}`);
    return map as Record<string, string>;
  }
}

/** A request's reader, for messages that name it. */
export function reader(where: string, path: string): Reader {
  return new Reader(where, path);
}
export type { Reader };

/** The networks of `GET /1.0/networks?recursion=1`. */
export function parseNetworks(r: Reader, value: unknown): ServerNetwork[] {
  return r.array(value, "").map((entry, i) => parseNetwork(r, entry, `/${i}`));
}

/** One network (`GET /1.0/networks/NAME`). */
export function parseNetwork(r: Reader, value: unknown, at = ""): ServerNetwork {
  const n = r.record(value, at);
  return {
    name: r.name(n.name, `${at}/name`),
    project: r.optionalString(n.project, `${at}/project`) || "default",
    type: r.name(n.type, `${at}/type`),
    managed: n.managed === undefined ? true : n.managed === true || (n.managed === false ? false : r.fail(`${at}/managed`, "a boolean", n.managed)),
    description: r.optionalString(n.description, `${at}/description`) ?? "",
    config: r.stringMap(n.config, `${at}/config`),
  };
}

/** The OVN logical router of `GET /1.0/networks/NAME/state` (`ovn.logical_router`), when the server says. */
export function parseRouter(r: Reader, value: unknown): string | undefined {
  const state = r.record(value, "");
  if (state.ovn === undefined || state.ovn === null) return undefined;
  const ovn = r.record(state.ovn, "/ovn");
  return r.optionalString(ovn.logical_router, "/ovn/logical_router") || undefined;
}

/** The forwards of `GET /1.0/networks/NAME/forwards?recursion=1`, as the state file has them. */
export function parseForwards(r: Reader, value: unknown): HostStateForward[] {
  return r.array(value, "").map((entry, i) => {
    const at = `/${i}`;
    const f = r.record(entry, at);
    const ports = f.ports === undefined || f.ports === null ? [] : r.array(f.ports, `${at}/ports`);
    return {
      listen_address: r.name(f.listen_address, `${at}/listen_address`),
      ...text("description", r.optionalString(f.description, `${at}/description`)),
      config: r.stringMap(f.config, `${at}/config`),
      ports: ports.map((entry, j) => {
        const p = r.record(entry, `${at}/ports/${j}`);
        const pat = `${at}/ports/${j}`;
        return {
          protocol: protocol(r, p.protocol, `${pat}/protocol`),
          listen_port: r.name(p.listen_port, `${pat}/listen_port`),
          target_address: r.name(p.target_address, `${pat}/target_address`),
          ...text("target_port", r.optionalString(p.target_port, `${pat}/target_port`)),
          ...text("description", r.optionalString(p.description, `${pat}/description`)),
        };
      }),
    };
  });
}

/** The load balancers of `GET /1.0/networks/NAME/load-balancers?recursion=1`, as the state file has them. */
export function parseLoadBalancers(r: Reader, value: unknown): HostStateLoadBalancer[] {
  return r.array(value, "").map((entry, i) => {
    const at = `/${i}`;
    const lb = r.record(entry, at);
    const backends = lb.backends === undefined || lb.backends === null ? [] : r.array(lb.backends, `${at}/backends`);
    const ports = lb.ports === undefined || lb.ports === null ? [] : r.array(lb.ports, `${at}/ports`);
    return {
      listen_address: r.name(lb.listen_address, `${at}/listen_address`),
      ...text("description", r.optionalString(lb.description, `${at}/description`)),
      config: r.stringMap(lb.config, `${at}/config`),
      backends: backends.map((entry, j) => {
        const bat = `${at}/backends/${j}`;
        const b = r.record(entry, bat);
        return {
          name: r.name(b.name, `${bat}/name`),
          target_address: r.name(b.target_address, `${bat}/target_address`),
          ...text("target_port", r.optionalString(b.target_port, `${bat}/target_port`)),
          ...text("description", r.optionalString(b.description, `${bat}/description`)),
        };
      }),
      ports: ports.map((entry, j) => {
        const pat = `${at}/ports/${j}`;
        const p = r.record(entry, pat);
        const targets = p.target_backend === undefined || p.target_backend === null ? [] : r.array(p.target_backend, `${pat}/target_backend`);
        return {
          protocol: protocol(r, p.protocol, `${pat}/protocol`),
          listen_port: r.name(p.listen_port, `${pat}/listen_port`),
          target_backend: targets.map((t, k) => r.name(t, `${pat}/target_backend/${k}`)),
          ...text("description", r.optionalString(p.description, `${pat}/description`)),
        };
      }),
    };
  });
}

/** The instances of `GET /1.0/instances?recursion=1`. */
export function parseInstances(r: Reader, value: unknown): ServerInstance[] {
  return r.array(value, "").map((entry, i) => parseInstance(r, entry, `/${i}`));
}

/** One instance (`GET /1.0/instances/NAME`): expanded devices, `volatile.uuid`, location. */
export function parseInstance(r: Reader, value: unknown, at = ""): ServerInstance {
  const inst = r.record(value, at);
  const devices = inst.expanded_devices === undefined || inst.expanded_devices === null ? {} : r.record(inst.expanded_devices, `${at}/expanded_devices`);
  const config = r.stringMap(inst.expanded_config, `${at}/expanded_config`);
  const location = r.optionalString(inst.location, `${at}/location`);
  return {
    name: r.name(inst.name, `${at}/name`),
    project: r.optionalString(inst.project, `${at}/project`) || "default",
    location: location === undefined || location === "" || location === "none" ? undefined : location,
    uuid: config["volatile.uuid"] || undefined,
    devices: Object.fromEntries(
      Object.entries(devices).map(([name, device]) => {
        const dat = `${at}/expanded_devices/${token(name)}`;
        const map = r.stringMap(device, dat);
        if (typeof map.type !== "string" || map.type === "") r.fail(`${dat}/type`, "a device type", map.type);
        return [name, map];
      }),
    ),
  };
}

/** The member answering, from `GET /1.0/cluster`: `server_name` when clustering is enabled. */
export function parseCluster(r: Reader, value: unknown): string | undefined {
  const cluster = r.record(value, "");
  if (cluster.enabled !== true) return undefined;
  const name = r.optionalString(cluster.server_name, "/server_name");
  return name === undefined || name === "" || name === "none" ? undefined : name;
}

/**
 * One message of the event stream: a lifecycle event, or `undefined` for
 * another type (the stream asks for lifecycle events only, but a server may
 * send more). Anything that is not an event throws `events`.
 */
export function parseEvent(text: string): LifecycleEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new IncusStateError("events", `Event stream sent a message that is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const r = new Reader("Event stream", "/1.0/events");
  try {
    const event = r.record(value, "");
    const type = r.string(event.type, "/type");
    if (type !== "lifecycle") return undefined;
    const metadata = r.record(event.metadata, "/metadata");
    return {
      action: r.string(metadata.action, "/metadata/action"),
      source: r.string(metadata.source, "/metadata/source"),
      project: r.optionalString(event.project, "/project") || undefined,
    };
  } catch (error) {
    throw new IncusStateError("events", (error as Error).message, { path: "/1.0/events", cause: error });
  }
}

function protocol(r: Reader, value: unknown, pointer: string): "tcp" | "udp" {
  if (value !== "tcp" && value !== "udp") r.fail(pointer, `"tcp" or "udp"`, value);
  return value as "tcp" | "udp";
}

// Empty strings are how Go's API omits a field; the state file leaves them out.
function text<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined || value === "" ? {} : ({ [key]: value } as { [P in K]?: string });
}

function token(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
