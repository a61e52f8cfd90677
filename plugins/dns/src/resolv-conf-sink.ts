import type { DnsSink, Logger, ResolverConfig } from "@incusx/sdk";
import type { WriteMode } from "./config.js";
import { ContainerRoot } from "./container-root.js";
import { parseResolvConf, renderResolvConf } from "./resolv-conf.js";
import { isMountedOver, isMountPoint, readTarget, writeByRename, writeInPlace } from "./safe-write.js";

/** Where and how a {@link ResolvConfSink} writes. */
export interface ResolvConfSinkOptions {
  /** Absolute path of the resolv.conf (inside `root` when given). */
  readonly path: string;
  /**
   * The container root `path` lies in (`/proc/PID/root`, a rootfs
   * directory): every component of `path` below it is opened without
   * following links, and a root that becomes another directory is refused
   * (see {@link ContainerRoot}).
   */
  readonly root?: string;
  /**
   * `auto` (default): `in-place` when `path` is a mount point, else
   * `rename`; inside a `root`, a mount point as the container sees it
   * (its own mount namespace, {@link isMountedOver}).
   */
  readonly writeMode?: WriteMode;
  /** Replace an existing file this plugin did not write (default `false`). */
  readonly takeOver?: boolean;
  /** mountinfo to read for `auto` (default `/proc/self/mountinfo`; tests). */
  readonly mountinfo?: string;
}

/** What the last {@link ResolvConfSink.apply} did. */
export type ResolvConfOutcome = "written" | "unchanged" | "left-alone";

/**
 * The built-in DNS sink: renders the config as resolv.conf and writes it
 * safely (see safe-write.ts). A file is rewritten only when its content
 * changes; an existing file without this plugin's marker line is left
 * alone, with one warning, unless `takeOver` is set.
 */
export class ResolvConfSink implements DnsSink {
  /** Name for logs. */
  readonly name: string;
  /** What the last apply did (for status and tests). */
  lastOutcome: ResolvConfOutcome | undefined;
  private warnedUnmarked = false;
  private readonly root: ContainerRoot | undefined;

  constructor(
    private readonly options: ResolvConfSinkOptions,
    private readonly logger: Logger,
  ) {
    this.root = options.root === undefined ? undefined : new ContainerRoot(options.root);
    this.name = `resolv.conf ${this.root?.label(options.path) ?? options.path}`;
  }

  /** Writes `config` to the file, when it is ours (or `takeOver`) and differs. */
  async apply(config: ResolverConfig): Promise<void> {
    const { root } = this;
    const path = root?.label(this.options.path) ?? this.options.path;
    const content = renderResolvConf(config);
    const current = await readTarget(this.options.path, root);
    if (current !== undefined && !parseResolvConf(current).marked && this.options.takeOver !== true) {
      if (!this.warnedUnmarked) {
        this.logger.warn(`Leaving "${path}" alone: it was not written by incusx (set "takeOver" to manage it)`, { path });
        this.warnedUnmarked = true;
      }
      this.lastOutcome = "left-alone";
      return;
    }
    this.warnedUnmarked = false;
    if (current === content) {
      this.lastOutcome = "unchanged";
      return;
    }
    const mode = await this.mode();
    await (mode === "in-place" ? writeInPlace(this.options.path, content, this.root) : writeByRename(this.options.path, content, this.root));
    this.logger.debug(`Wrote "${path}"`, { path, mode, nameservers: config.nameservers, search: config.search });
    this.lastOutcome = "written";
  }

  private async mode(): Promise<"rename" | "in-place"> {
    const mode = this.options.writeMode ?? "auto";
    if (mode !== "auto") return mode;
    if (this.root !== undefined) return (await isMountedOver(this.options.path, this.root)) ? "in-place" : "rename";
    return (await isMountPoint(this.options.path, this.options.mountinfo)) ? "in-place" : "rename";
  }
}
