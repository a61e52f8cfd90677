import { readFile, stat } from "node:fs/promises";
import { watch as watchFs } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { formatIssues, toIssues, type PrecompiledValidator } from "@incusx/bundle";
import {
  ErrorCode,
  IncusxError,
  InvalidConfigError,
  type Network,
  type NetworkForward,
  type NetworkState,
  type NicDevice,
} from "@incusx/sdk";
import { hostStateModel, type HostState, type HostStateModel } from "@incusx/sdk/host";
import { validateHostStateDocument } from "../generated/document-validators.js";
import { nestsDeeperThan } from "../json-depth.js";
import { canonicalOrUndefined, checkHostState } from "./file-network-state-model.js";
import { writeFileAtomically } from "./atomic-write.js";

/** File name of the network state file in the host's state directory. */
export const NETWORK_STATE_FILE = "network-state.json";

/**
 * Deepest nesting of arrays and objects a host state file may have. The
 * schema needs 8 levels (networks, a load balancer, its ports, a port's
 * backends); anything deeper is refused before parsing, so nothing
 * recursive ever sees it.
 */
export const MAX_HOST_STATE_DEPTH = 64;

/** How a {@link FileNetworkState} treats its file. */
export interface FileNetworkStateOptions {
  /**
   * A missing file reads as an empty state instead of an error. The host
   * sets this for the default file in its state directory, so a host
   * without one behaves as before.
   */
  readonly optional?: boolean;
}

const EMPTY: HostStateModel = hostStateModel({});

// How close to the file's last change a read must be to count as racy:
// well above the coarse clock file times come from.
const RACY_MS = 100;

/** The last successful read of the file. */
interface CachedRead {
  readonly identity: string;
  /** Read so soon after the last change that the stamp alone cannot be trusted. */
  readonly racy: boolean;
  readonly text: string;
  readonly model: HostStateModel;
}

/**
 * The host's {@link NetworkState} read from a JSON file
 * (`schemas/host-state.schema.json`): Incus-shaped networks with their
 * forwards, and instances with their devices. Every call checks the file's
 * stamp (inode, size, change and modification times) and re-reads it when
 * it changed, so edits show up at the next call without a restart; right
 * after a change, when file times are too coarse to tell two writes
 * apart, it compares the text instead. A file that does not match the schema, or
 * names things that do not exist, fails every call with
 * {@link InvalidConfigError} listing each problem as
 * `file: /json/pointer: what was expected`.
 *
 * @example
 * const state = new FileNetworkState("/var/lib/incusx/network-state.json");
 * const forwards = await state.forwards("ovn0");
 */
export class FileNetworkState implements NetworkState {
  /** Absolute path of the file. */
  readonly file: string;
  readonly #optional: boolean;
  #cached: CachedRead | undefined;

  constructor(file: string, options: FileNetworkStateOptions = {}) {
    this.file = resolve(file);
    this.#optional = options.optional ?? false;
  }

  /**
   * Calls `listener` when the file may have changed (written in place,
   * replaced by a rename, created or deleted): its directory is watched
   * (inotify), so an editor's rename-over is seen too. Returns the
   * function that stops watching. A directory that cannot be watched
   * (absent) gives a no-op watch: callers still read on demand.
   */
  watch(listener: () => void): () => void {
    const name = basename(this.file);
    try {
      const watcher = watchFs(dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) listener();
      });
      watcher.on("error", () => watcher.close());
      return () => watcher.close();
    } catch {
      return () => undefined;
    }
  }

  async networks(): Promise<readonly Network[]> {
    return (await this.model()).networks;
  }

  async network(name: string): Promise<Network | undefined> {
    return (await this.model()).networks.find((n) => n.name === name);
  }

  async forwards(network: string): Promise<readonly NetworkForward[]> {
    return (await this.model()).forwards.filter((f) => f.network === network);
  }

  async nics(): Promise<readonly NicDevice[]> {
    return (await this.model()).nics;
  }

  /**
   * The file as the host reads it, checked ({@link parseHostState}): what
   * `incusx state dump` and the daemon's `GET /1.0/state` show. An optional
   * file that is absent reads as the empty state `{}`.
   */
  async document(): Promise<HostState> {
    if ((await this.stamp()) === undefined) return {};
    return this.readDocument();
  }

  /**
   * Removes the forward of `network` whose listen address is `address`
   * (compared as addresses) from the file, atomically: the new document is
   * written to a temporary file in the same directory and renamed over the
   * old one. Returns the removed forward. Throws {@link IncusxError}
   * (`NOT_FOUND`) when there is no such forward. Whether a NIC still
   * uses the forward is the caller's check (`Host.checkForwardRemoval`).
   */
  async removeForward(network: string, address: string): Promise<NetworkForward> {
    const document = await this.readDocument();
    const wanted = canonicalOrUndefined(address);
    const net = (document.networks ?? []).find((n) => n.name === network);
    if (net === undefined) throw notFound(`Network "${network}" not found in ${this.file}`);
    const forwards = net.forwards ?? [];
    const index = forwards.findIndex((f) => wanted !== undefined && canonicalOrUndefined(f.listen_address) === wanted);
    if (index < 0) throw notFound(`Network forward "${address}" not found on network "${network}" in ${this.file}`);
    const [removed] = forwards.splice(index, 1);
    await writeAtomically(this.file, JSON.stringify(document, null, 2) + "\n");
    this.#cached = undefined;
    return {
      network,
      listenAddress: removed!.listen_address,
      ...(removed!.description === undefined ? {} : { description: removed!.description }),
    };
  }

  // The file's model: from the cache while the file's stamp is unchanged and
  // the cached read was not racy; else the text is read again and parsed
  // only when it differs. A failed parse is not cached: the next call retries.
  private async model(): Promise<HostStateModel> {
    // Never trusted from a watch event alone: a writer that renames the file and calls at once
    // (before inotify delivers the event) must read what it wrote.
    return this.readModel();
  }

  private async readModel(): Promise<HostStateModel> {
    const stamp = await this.stamp();
    if (stamp === undefined) {
      this.#cached = undefined;
      return EMPTY;
    }
    const cached = this.#cached;
    if (cached !== undefined && cached.identity === stamp.identity && !cached.racy) return cached.model;
    const text = await this.readText();
    const model = cached !== undefined && cached.text === text ? cached.model : hostStateModel(parseHostState(text, this.file));
    this.#cached = { identity: stamp.identity, racy: stamp.racy, text, model };
    return model;
  }

  // What changes whenever the file is rewritten in place or replaced by a
  // rename. File times come from a coarse clock (a few milliseconds), so a
  // second write soon after the one we read could keep the same stamp: a
  // read that close to the last change is "racy", and the next call
  // compares the text instead of trusting the stamp (as git does for its index).
  private async stamp(): Promise<{ readonly identity: string; readonly racy: boolean } | undefined> {
    try {
      const s = await stat(this.file, { bigint: true });
      const changedMs = Number((s.mtimeNs > s.ctimeNs ? s.mtimeNs : s.ctimeNs) / 1_000_000n);
      return {
        identity: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`,
        racy: Date.now() - changedMs < RACY_MS,
      };
    } catch (error) {
      if (this.#optional && (error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new InvalidConfigError(`${this.file}: cannot read: ${(error as Error).message}`, [], { cause: error });
    }
  }

  private async readText(): Promise<string> {
    try {
      return await readFile(this.file, "utf8");
    } catch (error) {
      throw new InvalidConfigError(`${this.file}: cannot read: ${(error as Error).message}`, [], { cause: error });
    }
  }

  private async readDocument(): Promise<HostState> {
    return parseHostState(await this.readText(), this.file);
  }
}

/**
 * Parses and checks the text of a host state file: its nesting (at most
 * {@link MAX_HOST_STATE_DEPTH} levels, checked before parsing), JSON, the schema, then
 * what the schema cannot say (unique names, addresses that are addresses,
 * NICs naming networks that exist, a router for every `ovn` network).
 * Throws {@link InvalidConfigError} with one issue per problem.
 *
 * @example
 * const state = parseHostState(await readFile(file, "utf8"), file);
 */
export function parseHostState(text: string, file: string): HostState {
  if (nestsDeeperThan(text, MAX_HOST_STATE_DEPTH)) {
    throw new InvalidConfigError(
      `${file}: nested deeper than ${MAX_HOST_STATE_DEPTH} levels of arrays and objects (a host state file needs at most 8)`,
      [],
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidConfigError(`${file}: not valid JSON: ${(error as Error).message}`, [], { cause: error });
  }
  const validate = validateHostStateDocument as PrecompiledValidator;
  if (!validate(value)) {
    const issues = toIssues(validate.errors, "");
    throw new InvalidConfigError(formatIssues(file, issues), issues);
  }
  const state = value as HostState;
  const issues = checkHostState(state);
  if (issues.length > 0) throw new InvalidConfigError(formatIssues(file, issues), issues);
  return state;
}

function notFound(message: string): IncusxError {
  return new IncusxError(ErrorCode.NotFound, message);
}

async function writeAtomically(file: string, contents: string): Promise<void> {
  try {
    // 0o666 less the umask: what a plain writeFile of the state file gives.
    await writeFileAtomically(file, contents, 0o666);
  } catch (error) {
    throw new IncusxError(ErrorCode.InvalidConfig, `${file}: cannot write: ${(error as Error).message}`, { cause: error });
  }
}
