import type WebSocket from "ws";
import type { Network, NetworkForward, NetworkState, NicDevice } from "@incusx/sdk";
import { hostStateModel, type HostState, type HostStateModel } from "@incusx/sdk/host";
import { DEFAULT_LIMITS, IncusClient, type IncusLimits } from "./client.js";
import { DEFAULT_SOCKETS, findSocket, type IncusEndpoint } from "./endpoint.js";
import { IncusStateError, isNotFound } from "./errors.js";
import { refreshFor, type Refresh } from "./events.js";
import {
  parseCluster,
  parseEvent,
  parseForwards,
  parseInstance,
  parseInstances,
  parseLoadBalancers,
  parseNetwork,
  parseNetworks,
  parseRouter,
  reader,
  type ServerNetwork,
} from "./shapes.js";
import { key, qualifiedName, toHostState, type NetworkEntry, type Snapshot } from "./snapshot.js";

/** How an {@link IncusNetworkState} reaches its server and how patient it is. */
export interface IncusNetworkStateOptions {
  /** Unix socket of the server. Default: the first of {@link DEFAULT_SOCKETS} that exists. */
  readonly socket?: string;
  /** HTTPS address instead of a socket (`https://incus.example:8443`); needs `clientCert` and `clientKey`. */
  readonly url?: string;
  /** PEM text of the client certificate (HTTPS). */
  readonly clientCert?: string;
  /** PEM text of the client certificate's key (HTTPS). */
  readonly clientKey?: string;
  /** PEM text of the server's certificate or CA (HTTPS); default the system's CAs. */
  readonly serverCert?: string;
  /** Size and time limits on answers; default {@link DEFAULT_LIMITS}. */
  readonly limits?: Partial<IncusLimits>;
  /** First wait before reconnecting a lost event stream, doubled per failed try. Default 100 ms. */
  readonly initialBackoffMs?: number;
  /** Longest wait between reconnect tries. Default 5000 ms. */
  readonly maxBackoffMs?: number;
  /** How often the event stream is pinged; no pong by the next ping counts as a dead stream. Default 10000 ms. */
  readonly heartbeatMs?: number;
  /**
   * OVN logical routers by (project-qualified) network name, for servers
   * whose network state does not name it (`ovn.logical_router`, Incus's
   * `network_state_ovn_lr` extension).
   */
  readonly ovnRouters?: Readonly<Record<string, string>>;
  /** Hears what went wrong in the background (a lost stream, a failed re-read); the state keeps working. */
  readonly onError?: (error: IncusStateError) => void;
}

/** An instance as the server has it: project, cluster member, `volatile.uuid`. */
export interface IncusInstance {
  /** Name as NICs carry it: project-qualified (`tenant_c2`) outside the default project. */
  readonly name: string;
  /** The instance's own name in its project. */
  readonly instance: string;
  /** Its project. */
  readonly project: string;
  /** Cluster member it runs on; absent when the server is not clustered. */
  readonly location?: string;
  /** Its `volatile.uuid`. */
  readonly uuid?: string;
}

/**
 * The host's {@link NetworkState} read from a live Incus-compatible server
 * (Incus, LXD): managed networks with their OVN router, forwards and load
 * balancers, and instances with their expanded devices, `volatile.uuid` and
 * cluster `location`, in every project (names outside the default project
 * are qualified as `PROJECT_NAME`).
 *
 * Without `start()`, the first call reads everything once and later calls
 * answer from that read. `start()` (or a first `watch`) subscribes to the
 * server's lifecycle events: each one re-reads only what it changed (one
 * network, its forwards, one instance, ...) and tells the watchers; a lost
 * stream is reconnected with backoff and everything is read again, so no
 * change is missed. Every answer is bounded ({@link IncusLimits}); failures
 * are {@link IncusStateError}s (`STATE_UNAVAILABLE`).
 *
 * @example
 * const state = new IncusNetworkState({ socket: "/var/lib/incus/unix.socket" });
 * await state.start();
 * const stop = state.watch(() => keeper.poke());
 */
export class IncusNetworkState implements NetworkState {
  readonly #client: IncusClient;
  readonly #options: IncusNetworkStateOptions;
  readonly #listeners = new Set<() => void>();
  #snapshot: Snapshot | undefined;
  #document: HostState | undefined;
  #text = "";
  #model: HostStateModel | undefined;
  #member: Promise<string | undefined> | undefined;
  #failed: IncusStateError | undefined;
  #pending: Refresh[] = [];
  #drain: Promise<void> | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #ws: WebSocket | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #backoffMs: number;

  constructor(options: IncusNetworkStateOptions = {}) {
    this.#options = options;
    this.#client = new IncusClient(endpointOf(options), { ...DEFAULT_LIMITS, ...options.limits });
    this.#backoffMs = options.initialBackoffMs ?? 100;
  }

  /** The socket path or URL read. */
  get endpoint(): string {
    return this.#client.name;
  }

  /**
   * Subscribes to the server's lifecycle events, then reads everything.
   * Resolves once the first read is done; throws {@link IncusStateError}
   * when the server cannot be reached or read, and keeps trying in the
   * background (with backoff) as it does after any later loss. Calling it
   * again returns the first call's promise.
   */
  async start(): Promise<void> {
    if (this.#closed) throw new IncusStateError("connect", `${this.endpoint}: the state was closed`);
    this.#running ??= (async () => {
      await this.#connect();
      await this.refresh();
    })().catch((error: unknown) => {
      this.#ws?.terminate();
      if (!this.#closed) this.#scheduleReconnect();
      throw error;
    });
    return this.#running;
  }

  /** Stops listening for events and closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#running = undefined;
    clearTimeout(this.#reconnect);
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.terminate();
    await this.#drain?.catch(() => undefined);
    await this.#client.close();
  }

  /**
   * Calls `listener` after every change read from the server (an event's
   * re-read, a full re-read after a reconnect) that changed what the host
   * sees. Starts the event stream when it is not running. Returns the
   * function that stops it.
   */
  watch(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#running === undefined && !this.#closed) this.start().catch((error: unknown) => this.#report(error));
    return () => this.#listeners.delete(listener);
  }

  /** Reads everything again. Throws {@link IncusStateError} when that fails. */
  async refresh(): Promise<void> {
    await this.#request({ kind: "all" });
    if (this.#failed !== undefined) throw this.#failed;
  }

  /** The cluster member name of the server answering (`/1.0/cluster`), or `undefined` when it is not clustered. */
  async member(): Promise<string | undefined> {
    this.#member ??= this.#client.get("/1.0/cluster").then(
      (value) => parseCluster(reader(`GET /1.0/cluster on ${this.endpoint}`, "/1.0/cluster"), value),
      (error: unknown) => {
        this.#member = undefined;
        throw error;
      },
    );
    return this.#member;
  }

  /** Every instance with its project, location and `volatile.uuid`. */
  async instances(): Promise<readonly IncusInstance[]> {
    const snapshot = await this.#current();
    return [...snapshot.instances.values()].map((i) => ({
      name: qualifiedName(i.project, i.name),
      instance: i.name,
      project: i.project,
      ...(i.location === undefined ? {} : { location: i.location }),
      ...(i.uuid === undefined ? {} : { uuid: i.uuid }),
    }));
  }

  /** What the host sees, in the state-file format (schemas/host-state.schema.json); `incusx state dump` prints it. */
  async document(): Promise<HostState> {
    await this.#current();
    return structuredClone(this.#document!);
  }

  async networks(): Promise<readonly Network[]> {
    return (await this.#currentModel()).networks;
  }

  async network(name: string): Promise<Network | undefined> {
    return (await this.#currentModel()).networks.find((n) => n.name === name);
  }

  async forwards(network: string): Promise<readonly NetworkForward[]> {
    return (await this.#currentModel()).forwards.filter((f) => f.network === network);
  }

  async nics(): Promise<readonly NicDevice[]> {
    return (await this.#currentModel()).nics;
  }

  async #currentModel(): Promise<HostStateModel> {
    await this.#current();
    return this.#model!;
  }

  async #current(): Promise<Snapshot> {
    if (this.#snapshot === undefined) await this.refresh();
    return this.#snapshot!;
  }

  // Refreshes run one at a time, in order; what queues up while one runs
  // is done as one batch (a full read covers every event before it).
  #request(refresh: Refresh): Promise<void> {
    this.#pending.push(refresh);
    this.#drain ??= this.#drainQueue().finally(() => {
      this.#drain = undefined;
    });
    return this.#drain;
  }

  async #drainQueue(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      const full = batch.some((r) => r.kind === "all");
      try {
        if (full) {
          this.#member = undefined;
          this.#commit(await this.#readAll());
          this.#failed = undefined;
          this.#backoffMs = this.#options.initialBackoffMs ?? 100;
        } else if (this.#snapshot !== undefined) {
          let snapshot = this.#snapshot;
          for (const refresh of unique(batch)) snapshot = await this.#apply(snapshot, refresh);
          this.#commit(snapshot);
        }
      } catch (error) {
        const failure = asStateError(error);
        if (full) this.#failed = failure;
        this.#report(failure);
        // What the host sees may now be stale: a new stream re-reads everything.
        this.#ws?.terminate();
      }
    }
  }

  #commit(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    const document = toHostState(snapshot);
    for (const network of document.networks ?? []) {
      const router = this.#options.ovnRouters?.[network.name];
      if (network.ovn_router === undefined && router !== undefined) network.ovn_router = router;
    }
    const text = JSON.stringify(document);
    if (text === this.#text) return;
    const first = this.#model === undefined;
    this.#text = text;
    this.#document = document;
    this.#model = hostStateModel(document);
    if (!first) this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (error) {
        this.#report(error);
      }
    }
  }

  async #readAll(): Promise<Snapshot> {
    const [networks, instances] = await Promise.all([
      this.#get("/1.0/networks?recursion=1&all-projects=true", parseNetworks),
      this.#get("/1.0/instances?recursion=1&all-projects=true", parseInstances),
    ]);
    const entries = await Promise.all(networks.filter((n) => n.managed).map((n) => this.#readNetwork(n)));
    return {
      networks: new Map(entries.map((e) => [key(e.network.project, e.network.name), e])),
      instances: new Map(instances.map((i) => [key(i.project, i.name), i])),
    };
  }

  async #readNetwork(network: ServerNetwork): Promise<NetworkEntry> {
    const base = networkPath(network.project, network.name);
    const [router, forwards, loadBalancers] = await Promise.all([
      network.type === "ovn" ? this.#get(`${base.path}/state${base.query}`, parseRouter) : undefined,
      network.type === "ovn" || network.type === "bridge" ? this.#get(`${base.path}/forwards${base.query}&recursion=1`, parseForwards) : [],
      // LXD 5.0 has no load balancers (no network_load_balancer extension): its 404 means none.
      network.type === "ovn" ? this.#getOrGone(`${base.path}/load-balancers${base.query}&recursion=1`, parseLoadBalancers).then((lbs) => lbs ?? []) : [],
    ]);
    return { network, router, forwards, loadBalancers };
  }

  // One event's re-read, on top of `snapshot`. An object the server no
  // longer has (404) is dropped.
  async #apply(snapshot: Snapshot, refresh: Refresh): Promise<Snapshot> {
    switch (refresh.kind) {
      case "all":
        return this.#readAll();
      case "instances": {
        const instances = await this.#get("/1.0/instances?recursion=1&all-projects=true", parseInstances);
        return { ...snapshot, instances: new Map(instances.map((i) => [key(i.project, i.name), i])) };
      }
      case "instance": {
        const path = `/1.0/instances/${encodeURIComponent(refresh.name)}?project=${encodeURIComponent(refresh.project)}`;
        const instance = await this.#getOrGone(path, (r, v) => parseInstance(r, v));
        return { ...snapshot, instances: withEntry(snapshot.instances, key(refresh.project, refresh.name), instance) };
      }
      case "network":
        return this.#refreshNetwork(snapshot, refresh.project, refresh.name);
      case "forwards":
      case "load-balancers": {
        const entry = snapshot.networks.get(key(refresh.project, refresh.network));
        if (entry === undefined) return this.#refreshNetwork(snapshot, refresh.project, refresh.network);
        const base = networkPath(refresh.project, refresh.network);
        const part =
          refresh.kind === "forwards"
            ? await this.#getOrGone(`${base.path}/forwards${base.query}&recursion=1`, parseForwards).then((forwards) => forwards && { ...entry, forwards })
            : await this.#getOrGone(`${base.path}/load-balancers${base.query}&recursion=1`, parseLoadBalancers).then(
                (loadBalancers) => loadBalancers && { ...entry, loadBalancers },
              );
        if (part === undefined) return this.#refreshNetwork(snapshot, refresh.project, refresh.network);
        return { ...snapshot, networks: withEntry(snapshot.networks, key(refresh.project, refresh.network), part) };
      }
    }
  }

  async #refreshNetwork(snapshot: Snapshot, project: string, name: string): Promise<Snapshot> {
    const base = networkPath(project, name);
    const network = await this.#getOrGone(`${base.path}${base.query}`, (r, v) => parseNetwork(r, v));
    const entry = network === undefined || !network.managed ? undefined : await this.#readNetwork({ ...network, project });
    return { ...snapshot, networks: withEntry(snapshot.networks, key(project, name), entry) };
  }

  async #get<T>(path: string, parse: (r: ReturnType<typeof reader>, value: unknown) => T): Promise<T> {
    const value = await this.#client.get(path);
    return parse(reader(`GET ${path} on ${this.endpoint}`, path), value);
  }

  async #getOrGone<T>(path: string, parse: (r: ReturnType<typeof reader>, value: unknown) => T): Promise<T | undefined> {
    try {
      return await this.#get(path, parse);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  // Opens the event stream; resolves once it is open. Its loss schedules a
  // reconnect and a full re-read.
  #connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = this.#client.openEvents();
      this.#ws = ws;
      let open = false;
      let alive = true;
      const heartbeat = setInterval(() => {
        // The handshake has its own time limit; ping only an open stream.
        if (ws.readyState !== ws.OPEN) return;
        if (!alive) {
          this.#report(new IncusStateError("events", `Event stream of ${this.endpoint}: no answer to a ping within ${this.#heartbeatMs()} ms`));
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, this.#heartbeatMs());
      heartbeat.unref();
      ws.on("pong", () => {
        alive = true;
      });
      ws.on("open", () => {
        if (this.#closed) {
          ws.terminate();
          return;
        }
        open = true;
        resolve();
      });
      ws.on("message", (data, isBinary) => {
        alive = true;
        try {
          if (isBinary) throw new IncusStateError("events", `Event stream of ${this.endpoint} sent a binary message`);
          const event = parseEvent(data.toString());
          const refresh = event === undefined ? undefined : refreshFor(event);
          if (refresh !== undefined) void this.#request(refresh);
        } catch (error) {
          // A stream that says something else than events cannot be trusted to say every change.
          this.#report(error);
          ws.terminate();
        }
      });
      ws.on("error", (error) => {
        const failure = new IncusStateError("events", `Event stream of ${this.endpoint}: ${error.message}`, { path: "/1.0/events", cause: error });
        if (!open) reject(failure);
        else this.#report(failure);
      });
      ws.on("close", () => {
        clearInterval(heartbeat);
        if (!open) reject(new IncusStateError("events", `Event stream of ${this.endpoint} closed before it opened`, { path: "/1.0/events" }));
        if (this.#ws !== ws) return;
        this.#ws = undefined;
        if (open && this.#running !== undefined && !this.#closed) {
          this.#report(new IncusStateError("events", `Event stream of ${this.endpoint} closed; reconnecting and reading everything again`, { path: "/1.0/events" }));
          this.#scheduleReconnect();
        }
      });
    });
  }

  #scheduleReconnect(): void {
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(delay * 2, this.#options.maxBackoffMs ?? 5000);
    clearTimeout(this.#reconnect);
    this.#reconnect = setTimeout(() => {
      if (this.#closed || this.#running === undefined) return;
      this.#connect().then(
        async () => {
          if (this.#closed) return;
          await this.#request({ kind: "all" });
          // A start() that failed at first is now done.
          if (this.#failed === undefined) this.#running = Promise.resolve();
        },
        (error: unknown) => {
          this.#report(error);
          if (!this.#closed && this.#running !== undefined && this.#ws === undefined) this.#scheduleReconnect();
        },
      );
    }, delay);
    this.#reconnect.unref();
  }

  #heartbeatMs(): number {
    return this.#options.heartbeatMs ?? 10_000;
  }

  #report(error: unknown): void {
    try {
      this.#options.onError?.(asStateError(error));
    } catch {
      // A throwing error listener must not stop the state.
    }
  }
}

function endpointOf(options: IncusNetworkStateOptions): IncusEndpoint {
  if (options.url !== undefined) {
    if (options.clientCert === undefined || options.clientKey === undefined) {
      throw new IncusStateError("connect", `${options.url}: HTTPS needs a client certificate and key`);
    }
    return { url: options.url, cert: options.clientCert, key: options.clientKey, ...(options.serverCert === undefined ? {} : { ca: options.serverCert }) };
  }
  const socket = options.socket ?? findSocket();
  if (socket === undefined) {
    throw new IncusStateError("connect", `No Incus or LXD socket found (tried ${DEFAULT_SOCKETS.join(", ")}); give its path`);
  }
  return { socket };
}

function networkPath(project: string, name: string): { readonly path: string; readonly query: string } {
  return { path: `/1.0/networks/${encodeURIComponent(name)}`, query: `?project=${encodeURIComponent(project)}` };
}

function withEntry<V>(map: ReadonlyMap<string, V>, at: string, value: V | undefined): Map<string, V> {
  const next = new Map(map);
  if (value === undefined) next.delete(at);
  else next.set(at, value);
  return next;
}

function unique(batch: readonly Refresh[]): Refresh[] {
  const seen = new Map<string, Refresh>();
  for (const refresh of batch) seen.set(JSON.stringify(refresh), refresh);
  return [...seen.values()];
}

function asStateError(error: unknown): IncusStateError {
  if (error instanceof IncusStateError) return error;
  return new IncusStateError("malformed", (error as Error)?.message ?? String(error), { cause: error });
}

