import type { Clock, DhcpRunOptions, IpFamily, Logger } from "@incusx/sdk";

/**
 * A runner's config: the plugin's defaults with what the host passed on top
 * (the host has validated it against the manifest's schema already).
 *
 * @example
 * this.#config = runnerConfig(DEFAULT_DHCPV4_CONFIG, config); // config: the injected PluginConfigToken value
 */
export function runnerConfig<C extends object>(defaults: C, config: unknown): C {
  return { ...defaults, ...((config ?? {}) as Partial<C>) };
}

/** Who failed to start, for {@link reportStartFailure}. */
export interface StartFailure {
  /** The runner's family. */
  readonly family: IpFamily;
  /** The interface it was started on. */
  readonly interface: string;
  /** The protocol's name in the log message (`"DHCPv4"`). */
  readonly protocol: string;
  /** The code for an error without a string `code` of its own (`"DHCPV4_FAILED"`). */
  readonly fallbackCode: string;
  /** For the event's time. */
  readonly clock: Clock;
  /** The runner's logger for this run. */
  readonly log: Logger;
  /** The run's `emit`. */
  readonly emit: DhcpRunOptions["emit"];
}

/**
 * Tells that a runner failed to start: logs the error and emits a `failed`
 * lease event with its code (the error's own string `code`, else
 * `fallbackCode`) and message. The caller rethrows.
 *
 * @example
 * } catch (error) {
 *   if (signal.aborted) return;
 *   reportStartFailure(error, { family: "ipv4", interface: iface, protocol: "DHCPv4", fallbackCode: "DHCPV4_FAILED", clock, log, emit: options.emit });
 *   throw error;
 * }
 */
export function reportStartFailure(error: unknown, failure: StartFailure): void {
  const code = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : failure.fallbackCode;
  const message = error instanceof Error ? error.message : String(error);
  failure.log.error(`${failure.protocol} runner failed to start`, { code, error: message });
  failure.emit({ kind: "failed", family: failure.family, interface: failure.interface, at: failure.clock.now(), error: { code, message } });
}

/**
 * Closes a runner's socket when its client has stopped; a failure to close
 * is only logged (as a warning naming `what`), never thrown.
 *
 * @example
 * await closeQuietly(socket, log, "DHCPv4 socket"); // warns "Failed to close the DHCPv4 socket" on failure
 */
export async function closeQuietly(socket: { close(): Promise<void> }, log: Logger, what: string): Promise<void> {
  await socket.close().catch((error: unknown) => log.warn(`Failed to close the ${what}`, { error: String(error) }));
}
