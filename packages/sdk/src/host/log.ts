import type { LogLevel } from "../services.js";

/** One structured log record. */
export interface LogRecord {
  /** Clock milliseconds. */
  readonly time: number;
  /** Severity. */
  readonly level: LogLevel;
  /** Human message. */
  readonly message: string;
  /** Plugin that logged it; absent for the host itself. */
  readonly pluginId?: string;
  /** Structured fields. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Receives every log record of the host and its plugins. */
export type LogSink = (record: LogRecord) => void;
