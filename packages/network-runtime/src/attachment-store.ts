import { fstatSync, statSync } from "node:fs";
import type { IpFamily, JsonValue, Logger, StateStore } from "@incusx/sdk";
import type { NicKey, NicSpec } from "./network-runtime.js";

/** Prefix of the state keys under which a runtime keeps its attached NICs. */
export const ATTACHED_KEY_PREFIX = "attached.";

/**
 * Which namespace a NIC was attached in (device and inode of its nsfs
 * file, from the fd the runtime holds, else from the path), so a restart
 * never follows `/proc/PID/ns/net` of a reused PID, or a name given to
 * another namespace, into the wrong container; `undefined` when it cannot
 * be read.
 */
export function namespaceIdentity(from: { readonly fd: number } | string): string | undefined {
  try {
    const { dev, ino } = typeof from === "string" ? statSync(from) : fstatSync(from.fd);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

/** One attached NIC as saved: its spec (the DUID as hex) and the identity of its namespace then. */
interface SavedNic {
  readonly spec: NicSpec;
  readonly netnsId?: string;
}

const MAX_NAME = 255;
const FAMILIES: ReadonlySet<string> = new Set(["ipv4", "ipv6"]);

/** The JSON saved for `nic`. */
export function savedNicOf(nic: NicSpec, netnsId: string | undefined): JsonValue {
  const { duid, ...rest } = nic;
  const spec: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) spec[key] = value as JsonValue;
  if (duid !== undefined) spec["duid"] = Buffer.from(duid).toString("hex");
  return netnsId === undefined ? { spec } : { spec, netnsId };
}

/**
 * The NIC saved under a key, checked as untrusted input (the state
 * directory may have been edited): names non-empty strings of at most 255
 * characters (the namespace's path or name too), known families, a boolean
 * `releaseOnStop`, a DUID in hex, a `resolvConf` root and path, a boolean
 * `optimisticDad`. A string says why it is unreadable.
 */
export function savedNicFrom(stored: unknown): SavedNic | string {
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return "it is not an object";
  const { spec, netnsId } = stored as { spec?: unknown; netnsId?: unknown };
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return "it has no NIC";
  const s = spec as Record<string, unknown>;
  const name = (value: unknown): value is string => typeof value === "string" && value !== "" && value.length <= MAX_NAME;
  for (const field of ["instance", "device", "interface"] as const) if (!name(s[field])) return `its ${field} name is not a name`;
  for (const field of ["hostname", "fqdn"] as const) if (s[field] !== undefined && !name(s[field])) return `its ${field} is not a name`;
  if (s["netns"] !== undefined && !name(s["netns"])) return "its network namespace is not a path or name";
  if (netnsId !== undefined && !(typeof netnsId === "string" && /^\d+:\d+$/.test(netnsId))) return "its namespace identity is not device:inode";
  const families = s["families"];
  if (families !== undefined && !(Array.isArray(families) && families.length <= 2 && families.every((f) => typeof f === "string" && FAMILIES.has(f)))) {
    return "its families are not ipv4 and ipv6";
  }
  if (s["releaseOnStop"] !== undefined && typeof s["releaseOnStop"] !== "boolean") return "its releaseOnStop is not a boolean";
  const duid = s["duid"];
  if (duid !== undefined && !(typeof duid === "string" && /^(?:[0-9a-f]{2}){3,130}$/.test(duid))) return "its DUID is not hex";
  const resolvConf = s["resolvConf"] as { root?: unknown; path?: unknown } | undefined;
  // The shape only, paths as long as PATH_MAX: attach checks the target itself, as for a new NIC.
  const path = (value: unknown): value is string => typeof value === "string" && value !== "" && value.length <= 4096;
  if (resolvConf !== undefined && !(typeof resolvConf === "object" && resolvConf !== null && path(resolvConf.root) && (resolvConf.path === undefined || path(resolvConf.path)))) {
    return "its resolvConf is not a root and path";
  }
  if (s["optimisticDad"] !== undefined && typeof s["optimisticDad"] !== "boolean") return "its optimisticDad is not a boolean";
  const nic: NicSpec = {
    instance: s["instance"] as string,
    device: s["device"] as string,
    interface: s["interface"] as string,
    ...(s["netns"] === undefined ? {} : { netns: s["netns"] as string }),
    ...(families === undefined ? {} : { families: families as IpFamily[] }),
    ...(s["hostname"] === undefined ? {} : { hostname: s["hostname"] as string }),
    ...(s["fqdn"] === undefined ? {} : { fqdn: s["fqdn"] as string }),
    ...(s["releaseOnStop"] === undefined ? {} : { releaseOnStop: s["releaseOnStop"] as boolean }),
    ...(duid === undefined ? {} : { duid: Uint8Array.from(Buffer.from(duid as string, "hex")) }),
    ...(resolvConf === undefined ? {} : { resolvConf: { root: resolvConf.root as string, ...(resolvConf.path === undefined ? {} : { path: resolvConf.path as string }) } }),
    ...(s["optimisticDad"] === undefined ? {} : { optimisticDad: s["optimisticDad"] as boolean }),
  };
  return netnsId === undefined ? { spec: nic } : { spec: nic, netnsId: netnsId as string };
}

/**
 * The attached set of a runtime in a {@link StateStore}, one key per NIC,
 * so attaching or detaching one NIC writes one small file. Writes of one
 * NIC run one after the other (a detach right after an attach never
 * leaves the NIC saved); a failed write is logged, never thrown: the NIC
 * runs on, it is only not restored after a restart.
 */
export class AttachmentStore {
  private readonly writes = new Map<string, Promise<void>>();

  /** @param keyOf The state key of a NIC; it starts with {@link ATTACHED_KEY_PREFIX}. */
  constructor(
    private readonly store: StateStore,
    private readonly keyOf: (nic: NicKey) => string,
    private readonly logger: Logger,
  ) {}

  /** Saves `nic` and the identity of its namespace ({@link namespaceIdentity}), when known. */
  remember(nic: NicSpec, netnsId: string | undefined): Promise<void> {
    return this.write(nic, "remember", () => this.store.set(this.keyOf(nic), savedNicOf(nic, netnsId)));
  }

  /** Deletes `nic`. */
  forget(nic: NicKey): Promise<void> {
    return this.write(nic, "forget", () => this.store.delete(this.keyOf(nic)));
  }

  /**
   * Every saved entry: its key and what it holds (a string: why it does
   * not read back), or the error reading it (maybe passing, so the entry
   * is kept).
   */
  async entries(): Promise<({ key: string; saved: SavedNic | string } | { key: string; readError: string })[]> {
    const keys = (await this.store.keys()).filter((k) => k.startsWith(ATTACHED_KEY_PREFIX));
    return Promise.all(
      keys.map(async (key) => {
        try {
          return { key, saved: savedNicFrom(await this.store.get(key)) };
        } catch (error) {
          return { key, readError: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  }

  /** Deletes an entry by its key (one that cannot be restored). */
  async drop(key: string): Promise<void> {
    try {
      await this.store.delete(key);
    } catch (error) {
      this.logger.warn(`Could not delete the saved NIC "${key}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private write(nic: NicKey, what: string, work: () => Promise<void>): Promise<void> {
    const key = this.keyOf(nic);
    const next = (this.writes.get(key) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      this.logger.error(`Could not ${what} NIC "${nic.device}" of instance "${nic.instance}" in the saved attached set: ${error instanceof Error ? error.message : String(error)}`, {
        instance: nic.instance,
        device: nic.device,
      });
    });
    this.writes.set(key, next);
    void next.finally(() => {
      if (this.writes.get(key) === next) this.writes.delete(key);
    });
    return next;
  }
}
