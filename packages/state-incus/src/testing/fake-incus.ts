// A fake Incus-compatible server for tests: node's HTTP server on a unix
// socket answering the GETs the state reads, and a `ws` server for
// /1.0/events. It serves the fixtures recorded from Incus's API
// documentation (test/fixtures/incus-api.json); tests change them and send
// the lifecycle events Incus would, or replace a route with a hostile answer.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { HostState } from "@incusx/sdk/host";

/** The recorded API objects, as Incus's documentation shapes them. */
export interface IncusFixture {
  cluster: Record<string, unknown>;
  networks: Record<string, unknown>[];
  states: { project: string; network: string; state: Record<string, unknown> }[];
  forwards: { project: string; network: string; forwards: Record<string, unknown>[] }[];
  load_balancers: { project: string; network: string; load_balancers: Record<string, unknown>[] }[];
  instances: Record<string, unknown>[];
  event: Record<string, unknown>;
}

/** The fixtures recorded from Incus's rest-api.yaml (a fresh copy per call). */
export function incusFixture(): IncusFixture {
  return JSON.parse(readFileSync(new URL("../../test/fixtures/incus-api.json", import.meta.url), "utf8")) as IncusFixture;
}

/**
 * What a server holding `state` (a host state file's document, default
 * project, not clustered) would answer, for running the same tests over a
 * state file and over a server. Instances get LXD's `location: "none"`;
 * an instance's `location` in the document makes a clustered answer.
 *
 * @example
 * const fake = await FakeIncus.start(incusDataFromHostState(document));
 */
export function incusDataFromHostState(state: HostState): IncusFixture {
  const base = incusFixture();
  const networks = state.networks ?? [];
  const at = (name: string) => ({ project: "default", network: name });
  return {
    ...base,
    cluster: { server_name: "", enabled: false, member_config: [] },
    networks: networks.map((n) => ({
      name: n.name,
      type: n.type,
      project: "default",
      managed: true,
      description: n.description ?? "",
      config: n.config ?? {},
      status: "Created",
      locations: ["none"],
      used_by: [],
    })),
    states: networks.map((n) => ({ ...at(n.name), state: { ovn: n.ovn_router === undefined ? null : { logical_router: n.ovn_router } } })),
    forwards: networks.map((n) => ({
      ...at(n.name),
      forwards: (n.forwards ?? []).map((f) => ({ description: "", config: {}, ports: [], location: "", ...f })),
    })),
    load_balancers: networks.map((n) => ({
      ...at(n.name),
      load_balancers: (n.load_balancers ?? []).map((lb) => ({ description: "", config: {}, backends: [], ports: [], location: "", ...lb })),
    })),
    instances: (state.instances ?? []).map((i, k) => ({
      name: i.name,
      project: "default",
      location: i.location ?? "none",
      status: "Stopped",
      config: {},
      devices: {},
      expanded_config: { "volatile.uuid": i.config?.["volatile.uuid"] ?? `00000000-0000-4000-8000-${String(k).padStart(12, "0")}` },
      expanded_devices: i.devices ?? {},
    })),
  };
}

/** A route a test takes over: called with the request instead of the fixture answer. */
export type Override = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * TLS of a fake server on HTTPS (`https://127.0.0.1:PORT`, as Incus's
 * `core.https_address`): its key and certificate, and the CA (or
 * certificate) a client's certificate must chain to.
 */
export interface FakeIncusTls {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

/** A running fake server. */
export class FakeIncus {
  /** Its unix socket. */
  readonly socket: string;
  /** What it serves; tests change it (then call `emit` as Incus would). */
  readonly data: IncusFixture;
  /** Every GET path asked, in order. */
  readonly requests: string[] = [];
  /** Routes taken over, by path without query (`/1.0/networks`). */
  readonly overrides = new Map<string, Override>();
  /** How an events upgrade is answered: normally, never (the handshake hangs), or with a stream that never answers pings. */
  eventsMode: "normal" | "hang" | "no-pong" = "normal";
  readonly #dir: string;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #silentWss: WebSocketServer;
  readonly #hung = new Set<Duplex>();

  private constructor(dir: string, data: IncusFixture, tls: FakeIncusTls | undefined) {
    this.#dir = dir;
    this.socket = join(dir, "unix.socket");
    this.data = data;
    this.#wss = new WebSocketServer({ noServer: true });
    this.#silentWss = new WebSocketServer({ noServer: true, autoPong: false });
    const answer = (request: IncomingMessage, response: ServerResponse) => this.#answer(request, response);
    this.#server = tls === undefined ? createServer(answer) : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, answer);
    this.#server.on("upgrade", (request, socket, head) => {
      if (this.eventsMode === "hang") {
        this.#hung.add(socket);
        return;
      }
      const wss = this.eventsMode === "no-pong" ? this.#silentWss : this.#wss;
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
    });
  }

  /**
   * Starts a fake server on a new socket in a temporary directory, or, with
   * `tls`, on HTTPS on a free port of 127.0.0.1 that asks for a client certificate.
   */
  static async start(data: IncusFixture = incusFixture(), options: { readonly tls?: FakeIncusTls } = {}): Promise<FakeIncus> {
    const fake = new FakeIncus(mkdtempSync(join(tmpdir(), "incusx-fake-incus-")), data, options.tls);
    await new Promise<void>((resolve) => (options.tls === undefined ? fake.#server.listen(fake.socket, resolve) : fake.#server.listen(0, "127.0.0.1", resolve)));
    return fake;
  }

  /** Its HTTPS address, when started with `tls`. */
  get url(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Event streams open now. */
  get streams(): number {
    return this.#wss.clients.size + this.#silentWss.clients.size;
  }

  /** Sends a lifecycle event to every open stream, shaped as Incus sends it. */
  emit(action: string, source: string, project = "default"): void {
    this.send(JSON.stringify({ ...this.data.event, type: "lifecycle", project, metadata: { action, source, context: {} } }));
  }

  /** Sends raw text (or bytes) to every open stream. */
  send(message: string | Buffer): void {
    for (const ws of this.#wss.clients) ws.send(message);
  }

  /** Drops every open stream, as a restarting server does. */
  dropStreams(): void {
    for (const ws of [...this.#wss.clients, ...this.#silentWss.clients]) ws.terminate();
  }

  /** The first open stream's socket, for tests that need it. */
  firstStream(): WebSocket | undefined {
    return [...this.#wss.clients][0];
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    this.dropStreams();
    for (const socket of this.#hung) socket.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #answer(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://unix.socket");
    this.requests.push(url.pathname + url.search);
    const override = this.overrides.get(url.pathname);
    if (override !== undefined) return override(request, response);
    const project = url.searchParams.get("project") ?? "default";
    const parts = url.pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
    const found = this.#route(parts, project, url.searchParams.get("all-projects") === "true");
    if (found === undefined) return error(response, 404, "Not found");
    sync(response, found);
  }

  #route(parts: string[], project: string, allProjects: boolean): unknown {
    const [version, collection, name, sub] = parts;
    if (version !== "1.0") return undefined;
    const inProject = (o: Record<string, unknown>) => allProjects || (o.project ?? "default") === project;
    if (collection === "cluster" && name === undefined) return this.data.cluster;
    if (collection === "networks") {
      if (name === undefined) return this.data.networks.filter(inProject);
      const network = this.data.networks.find((n) => n.name === name && n.project === project);
      if (network === undefined) return undefined;
      if (sub === undefined) return network;
      const at = (e: { project: string; network: string }) => e.project === project && e.network === name;
      if (sub === "state") return this.data.states.find(at)?.state;
      if (sub === "forwards") return this.data.forwards.find(at)?.forwards ?? [];
      if (sub === "load-balancers") return this.data.load_balancers.find(at)?.load_balancers ?? [];
      return undefined;
    }
    if (collection === "instances") {
      if (name === undefined) return this.data.instances.filter(inProject);
      return this.data.instances.find((i) => i.name === name && i.project === project);
    }
    return undefined;
  }
}

/** Answers with Incus's sync envelope around `metadata`. */
export function sync(response: ServerResponse, metadata: unknown): void {
  const body = JSON.stringify({ type: "sync", status: "Success", status_code: 200, operation: "", error_code: 0, error: "", metadata });
  response.writeHead(200, { "content-type": "application/json" }).end(body);
}

/** Answers with Incus's error envelope. */
export function error(response: ServerResponse, code: number, message: string): void {
  response.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify({ type: "error", error: message, error_code: code, metadata: null }));
}
