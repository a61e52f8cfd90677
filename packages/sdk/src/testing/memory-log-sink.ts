import type { LogRecord, LogSink } from "../host/log.js";
import type { Clock, LogFields, LogLevel, Logger } from "../services.js";

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Which records {@link MemoryLogSink.find} returns; every given condition must hold. */
export interface LogQuery {
  /** Exactly this level, or one of these levels. */
  readonly level?: LogLevel | readonly LogLevel[];
  /** This level or a more severe one (`warn` matches warn and error). */
  readonly minLevel?: LogLevel;
  /** Records of this plugin; `null` for records of the host itself. */
  readonly pluginId?: string | null;
  /** Message contains this text, or matches this pattern. */
  readonly message?: string | RegExp;
}

/** Options of a {@link MemoryLogSink}. */
export interface MemoryLogSinkOptions {
  /** Also pass every record to this sink (`console.error`-style debugging of a failing test). */
  readonly echo?: LogSink;
}

/**
 * Keeps every log record of a host and its plugins in memory, with helpers
 * to find them. Hand `sink` to a host (`startTestHost` does), or make a
 * plugin-scoped {@link Logger} with `logger()` to unit-test a class that
 * injects `LoggerToken`.
 *
 * @example
 * const logs = new MemoryLogSink();
 * const host = new Host({ plugins, services: { logSink: logs.sink } });
 * expect(logs.find({ pluginId: "example.mtu-limit", minLevel: "warn" })).toEqual([]);
 */
export class MemoryLogSink {
  /** Every record received, oldest first. */
  readonly records: LogRecord[] = [];
  /** The `LogSink` function (from `@incusx/sdk/host`) to hand to a host. */
  readonly sink: LogSink;

  constructor(options: MemoryLogSinkOptions = {}) {
    const echo = options.echo;
    this.sink = (record) => {
      this.records.push(record);
      echo?.(record);
    };
  }

  /** Records matching every condition of `query`, oldest first. */
  find(query: LogQuery = {}): LogRecord[] {
    return this.records.filter((r) => matches(r, query));
  }

  /** Records of exactly `level`. */
  byLevel(level: LogLevel): LogRecord[] {
    return this.find({ level });
  }

  /** Records logged by plugin `pluginId`. */
  byPlugin(pluginId: string): LogRecord[] {
    return this.find({ pluginId });
  }

  /** Messages of the records matching `query`, for compact assertions. */
  messages(query: LogQuery = {}): string[] {
    return this.find(query).map((r) => r.message);
  }

  /** Forgets every record. */
  clear(): void {
    this.records.length = 0;
  }

  /**
   * A {@link Logger} writing into this sink as `pluginId` (omit it for host
   * records), stamped with `clock` time (default: `Date.now`).
   *
   * @example
   * const validator = new MtuLimitValidator(state, logs.logger("example.mtu-limit"));
   */
  logger(pluginId?: string, clock?: Pick<Clock, "now">, fields: LogFields = {}): Logger {
    const write = (level: LogLevel, message: string, extra?: LogFields): void => {
      this.sink({
        time: clock === undefined ? Date.now() : clock.now(),
        level,
        message,
        ...(pluginId === undefined ? {} : { pluginId }),
        fields: extra === undefined ? fields : { ...fields, ...extra },
      });
    };
    return {
      debug: (m, f) => write("debug", m, f),
      info: (m, f) => write("info", m, f),
      warn: (m, f) => write("warn", m, f),
      error: (m, f) => write("error", m, f),
      child: (more) => this.logger(pluginId, clock, { ...fields, ...more }),
    };
  }
}

function matches(record: LogRecord, q: LogQuery): boolean {
  if (q.level !== undefined) {
    const levels: readonly LogLevel[] = typeof q.level === "string" ? [q.level] : q.level;
    if (!levels.includes(record.level)) return false;
  }
  if (q.minLevel !== undefined && LEVELS[record.level] < LEVELS[q.minLevel]) return false;
  if (q.pluginId !== undefined && (record.pluginId ?? null) !== q.pluginId) return false;
  if (q.message !== undefined) {
    if (typeof q.message === "string" ? !record.message.includes(q.message) : !q.message.test(record.message)) {
      return false;
    }
  }
  return true;
}
