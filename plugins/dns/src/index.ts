// @incusx/plugin-dns: one resolv.conf from the leases of every DHCP runner.
import {
  DnsSinkExtension,
  DnsSinkToken,
  LeaseEventStreamToken,
  LoggerToken,
  definePlugin,
  type Disposable,
  type PluginContext,
} from "@incusx/sdk";
import { staticDnsFromConfig, type DnsPluginConfig, type DnsPluginConfigInput } from "./config.js";
import { DEFAULT_TARGET_PATH, DnsCoordinator } from "./coordinator.js";
import { ResolvConfSink } from "./resolv-conf-sink.js";

export type { DnsPluginConfig, DnsPluginConfigInput, WriteMode } from "./config.js";
export { UnsafeTargetError } from "./errors.js";
export type { UnsafeTargetReason } from "./errors.js";
export { mergeDns } from "./merge.js";
export type { LeaseDnsInput, MergeResult, MergeWarning } from "./merge.js";
export { MARKER, parseResolvConf } from "./resolv-conf.js";
export type { ParsedResolvConf } from "./resolv-conf.js";
export { ResolvConfSink } from "./resolv-conf-sink.js";
export type { ResolvConfOutcome, ResolvConfSinkOptions } from "./resolv-conf-sink.js";

/** Package name of this plugin, for hosts that load it as a module (`{ module: DNS_PLUGIN_MODULE, config }`). */
export const DNS_PLUGIN_MODULE = "@incusx/plugin-dns";

/**
 * The plugin config that makes the plugin manage `path` as resolv.conf
 * (what `incusx forknet dhcp --resolv-conf FILE` passes), with `extra`
 * settings on top.
 *
 * @example
 * plugins.push({ module: DNS_PLUGIN_MODULE, config: resolvConfConfig("/etc/resolv.conf") });
 */
export function resolvConfConfig(path: string, extra: Omit<DnsPluginConfigInput, "resolvConf"> = {}): DnsPluginConfigInput {
  return { ...extra, resolvConf: path };
}

/** What the DNS plugin's `start` hands its `stop`. */
interface DnsRunning {
  readonly coordinator: DnsCoordinator;
  readonly subscription: Disposable;
}

/**
 * The DNS plugin: a coordinator subscribed to the lease-event stream from
 * `start` to `stop`, and, when `resolvConf` is configured, the built-in
 * resolv.conf sink contributed to the `dns-sink` point.
 */
export default definePlugin<DnsPluginConfig, DnsRunning>({
  id: "incusx.dns",
  register(registrar) {
    // Bad static settings fail the plugin here, before anything runs.
    staticDnsFromConfig(registrar.config ?? {}, registrar.pluginId);
    const { resolvConf, writeMode, takeOver } = registrar.config ?? {};
    if (resolvConf !== undefined) {
      registrar.contribute(DnsSinkExtension, {
        deps: { logger: LoggerToken },
        create: ({ logger }) =>
          new ResolvConfSink(
            { path: resolvConf, ...(writeMode === undefined ? {} : { writeMode }), ...(takeOver === undefined ? {} : { takeOver }) },
            logger,
          ),
      });
    }
  },
  start(context: PluginContext<DnsPluginConfig>): DnsRunning {
    const { writeMode, takeOver } = context.config ?? {};
    const coordinator = new DnsCoordinator({
      statics: staticDnsFromConfig(context.config ?? {}, context.pluginId),
      sinks: () => context.resolveAll(DnsSinkToken),
      // A NIC's own resolv.conf, inside its container's root, with the plugin's write rules.
      targetSink: (target) =>
        new ResolvConfSink(
          {
            root: target.root,
            path: target.path ?? DEFAULT_TARGET_PATH,
            ...(writeMode === undefined ? {} : { writeMode }),
            ...(takeOver === undefined ? {} : { takeOver }),
          },
          context.logger,
        ),
      logger: context.logger,
    });
    const subscription = coordinator.subscribe(context.resolve(LeaseEventStreamToken));
    context.signal.addEventListener("abort", () => subscription.dispose(), { once: true });
    return { coordinator, subscription };
  },
  async stop(_context, { coordinator, subscription }) {
    subscription.dispose();
    await coordinator.idle();
  },
});
