import type { Clock, LogFields, LogLevel, Logger } from "@incusx/sdk";
import type { LogRecord, LogSink } from "../options.js";

/**
 * A {@link Logger} that hands structured records to `sink`. Records carry
 * `pluginId` when given, so every line says which plugin wrote it.
 */
export function createLogger(sink: LogSink, clock: Clock, pluginId?: string, fields: LogFields = {}): Logger {
  const write = (level: LogLevel, message: string, extra?: LogFields) => {
    const record: LogRecord = {
      time: clock.now(),
      level,
      message,
      ...(pluginId === undefined ? {} : { pluginId }),
      fields: extra === undefined ? fields : { ...fields, ...extra },
    };
    try {
      sink(record);
    } catch {
      // A broken sink must not turn logging into a failure of the caller.
    }
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (more) => createLogger(sink, clock, pluginId, { ...fields, ...more }),
  };
}

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A sink writing one JSON object per line to `stream` (stderr by default),
 * dropping records below `minLevel`.
 */
export function jsonLinesSink(
  stream: { write(chunk: string): unknown } = process.stderr,
  minLevel: LogLevel = "info",
): LogSink {
  return (record) => {
    if (LEVELS[record.level] < LEVELS[minLevel]) return;
    const { fields, ...rest } = record;
    stream.write(JSON.stringify({ ...rest, time: new Date(record.time).toISOString(), ...fields }) + "\n");
  };
}
