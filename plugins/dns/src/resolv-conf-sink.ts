import type { DnsSink, Logger, ResolverConfig } from "@incusx/sdk";
import type { WriteMode } from "./config.js";
import { parseResolvConf, renderResolvConf } from "./resolv-conf.js";
import { isMountPoint, readTarget, writeByRename, writeInPlace } from "./safe-write.js";

/** Where and how a {@link ResolvConfSink} writes. */
export interface ResolvConfSinkOptions {
  /** Absolute path of the resolv.conf. */
  readonly path: string;
  /** `auto` (default): `in-place` when `path` is a mount point, else `rename`. */
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

  constructor(
    private readonly options: ResolvConfSinkOptions,
    private readonly logger: Logger,
  ) {
    this.name = `resolv.conf ${options.path}`;
  }

  /** Writes `config` to the file, when it is ours (or `takeOver`) and differs. */
  async apply(config: ResolverConfig): Promise<void> {
    const { path } = this.options;
    const content = renderResolvConf(config);
    const current = await readTarget(path);
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
    await (mode === "in-place" ? writeInPlace(path, content) : writeByRename(path, content));
    this.logger.debug(`Wrote "${path}"`, { path, mode, nameservers: config.nameservers, search: config.search });
    this.lastOutcome = "written";
  }

  private async mode(): Promise<"rename" | "in-place"> {
    const mode = this.options.writeMode ?? "auto";
    if (mode !== "auto") return mode;
    return (await isMountPoint(this.options.path, this.options.mountinfo)) ? "in-place" : "rename";
  }
}
