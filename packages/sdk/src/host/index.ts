// The public API of @incusx/sdk/host: what a host (the process that loads
// and wires plugins) needs from the SDK and plugin authors do not.

export type { LogRecord, LogSink } from "./log.js";
