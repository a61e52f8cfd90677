import { request, type Agent } from "node:http";
import type { NicFamilyStatus } from "@incusx/network-runtime";
import type { DaemonNicAttach, HostState } from "@incusx/sdk/host";
import type { DaemonEvent, DaemonEventType } from "./event-hub.js";

/** An attached NIC as the daemon API shows it (`GET /1.0/nics`). */
export interface DaemonNic {
  readonly instance: string;
  readonly device: string;
  readonly interface: string;
  readonly netns?: string;
  /** The container's resolv.conf this NIC's leases keep up to date, as attached. */
  readonly resolv_conf?: { readonly root: string; readonly path?: string };
  readonly families: readonly NicFamilyStatus[];
}

/**
 * A request the daemon refused, or a daemon that could not be reached.
 * `code` is the daemon's incusx error code (`NOT_FOUND`, `IN_USE`,
 * `INVALID_CONFIG`), `HTTP_<status>` when it gave none, or
 * `DAEMON_UNREACHABLE` when no answer came.
 */
export class DaemonRequestError extends Error {
  override readonly name = "DaemonRequestError";
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status; absent when the daemon was not reached. */
    readonly status?: number,
  ) {
    super(message);
  }
}

interface ResponseBody {
  readonly type?: string;
  readonly metadata?: unknown;
  readonly error?: string;
  readonly error_code?: number;
  readonly code?: string;
}

/** How a {@link DaemonClient} connects. */
export interface DaemonClientOptions {
  /**
   * The HTTP agent of its requests, as `http.request` takes it: default
   * Node's global agent (which keeps idle connections open for reuse);
   * `false` for one connection per request, closed after the answer.
   */
  readonly agent?: Agent | boolean;
}

/**
 * Talks to `incusx daemon` over its unix socket.
 *
 * @example
 * const client = new DaemonClient("/run/incusx/daemon.sock");
 * await client.attach({ instance: "c1", device: "eth0", netns: "c1", interface: "eth0" });
 */
export class DaemonClient {
  private readonly agent: Agent | boolean | undefined;

  constructor(
    /** The daemon's socket. */
    readonly socket: string,
    options: DaemonClientOptions = {},
  ) {
    this.agent = options.agent;
  }

  /** Server information (`GET /1.0`). */
  server(): Promise<Record<string, unknown>> {
    return this.call("GET", "/1.0") as Promise<Record<string, unknown>>;
  }

  /** The host's network state in the state-file format (`GET /1.0/state`), as `incusx state dump` prints it. */
  state(): Promise<HostState> {
    return this.call("GET", "/1.0/state") as Promise<HostState>;
  }

  /** Every attached NIC (`GET /1.0/nics`). */
  list(): Promise<DaemonNic[]> {
    return this.call("GET", "/1.0/nics") as Promise<DaemonNic[]>;
  }

  /** One attached NIC (`GET /1.0/nics/INSTANCE/DEVICE`); `NOT_FOUND` when it is not. */
  nic(instance: string, device: string): Promise<DaemonNic> {
    return this.call("GET", nicPath(instance, device)) as Promise<DaemonNic>;
  }

  /** Attaches a NIC (`POST /1.0/nics`) and resolves to it once its runners started. */
  attach(nic: DaemonNicAttach): Promise<DaemonNic> {
    return this.call("POST", "/1.0/nics", nic) as Promise<DaemonNic>;
  }

  /** Detaches a NIC (`DELETE /1.0/nics/INSTANCE/DEVICE`), releasing its leases when `release` says so. */
  async detach(instance: string, device: string, options: { readonly release?: boolean } = {}): Promise<void> {
    const query = options.release === undefined ? "" : `?release=${options.release ? 1 : 0}`;
    await this.call("DELETE", nicPath(instance, device) + query);
  }

  /**
   * Opens `GET /1.0/events` and calls `listener` with every event until
   * the returned `close()`; resolves once the stream is open, so nothing
   * that happens afterwards is missed. `ended` settles when the stream ends.
   */
  events(
    listener: (event: DaemonEvent) => void,
    types?: readonly DaemonEventType[],
  ): Promise<{ close(): void; readonly ended: Promise<void> }> {
    const path = `/1.0/events${types === undefined ? "" : `?type=${types.join(",")}`}`;
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socket, path, method: "GET", ...this.agentOption() }, (res) => {
        if (res.statusCode !== 200) {
          readBody(res).then((body) => reject(refusal(res.statusCode ?? 0, body)), reject);
          return;
        }
        let pending = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          pending += chunk;
          let end: number;
          while ((end = pending.indexOf("\n")) >= 0) {
            const line = pending.slice(0, end);
            pending = pending.slice(end + 1);
            if (line.trim() !== "") listener(JSON.parse(line) as DaemonEvent);
          }
        });
        const ended = new Promise<void>((done) => {
          res.once("end", done);
          res.once("close", done);
        });
        resolve({ close: () => req.destroy(), ended });
      });
      req.once("error", (error) => reject(unreachable(this.socket, error)));
      req.end();
    });
  }

  private agentOption(): { agent?: Agent | boolean } {
    return this.agent === undefined ? {} : { agent: this.agent };
  }

  private call(method: string, path: string, body?: unknown): Promise<unknown> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socket,
          path,
          method,
          ...this.agentOption(),
          headers: text === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) },
        },
        (res) => {
          readBody(res).then((answer) => {
            if (res.statusCode === 200 && answer.type === "sync") resolve(answer.metadata);
            else reject(refusal(res.statusCode ?? 0, answer));
          }, reject);
        },
      );
      req.once("error", (error) => reject(unreachable(this.socket, error)));
      req.end(text);
    });
  }
}

function nicPath(instance: string, device: string): string {
  return `/1.0/nics/${encodeURIComponent(instance)}/${encodeURIComponent(device)}`;
}

async function readBody(res: AsyncIterable<Buffer>): Promise<ResponseBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text) as ResponseBody;
  } catch {
    return { error: `The daemon answered something that is not JSON: ${JSON.stringify(text.slice(0, 200))}` };
  }
}

function refusal(status: number, body: ResponseBody): DaemonRequestError {
  return new DaemonRequestError(body.code ?? `HTTP_${status}`, body.error ?? `The daemon answered HTTP ${status}`, status);
}

function unreachable(socket: string, error: Error): DaemonRequestError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === "EACCES" ? "permission denied (the socket is root's only)" : code === "ENOENT" ? "no such socket (is the daemon running?)" : error.message;
  return new DaemonRequestError("DAEMON_UNREACHABLE", `Cannot reach the daemon on "${socket}": ${why}`);
}
