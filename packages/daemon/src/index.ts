// The public API of @incusx/daemon: the host process serving one network
// runtime for every container (`incusx daemon`), and its client.

export { Daemon, DEFAULT_DAEMON_STATE_DIR } from "./daemon.js";
export type { DaemonInfo, DaemonOptions, DaemonSource, ReloadResult } from "./daemon.js";
export { DaemonServer, DEFAULT_DAEMON_SOCKET, MAX_EVENT_BACKLOG_BYTES, MAX_REQUEST_BODY_BYTES } from "./daemon-server.js";
export type { DaemonServerOptions } from "./daemon-server.js";
export { serveDaemon } from "./serve.js";
export type { DaemonSignals, ServeDaemonOptions } from "./serve.js";
export { DaemonClient, DaemonRequestError } from "./daemon-client.js";
export type { DaemonClientOptions, DaemonNic } from "./daemon-client.js";
export type { DaemonEvent, DaemonEventType } from "./event-hub.js";
export { DaemonMetrics, METRICS_CONTENT_TYPE, NAT_RECONCILE_BUCKETS } from "./metrics.js";
export type { MetricsSource, NatMetricsReport, ReconnectingClient } from "./metrics.js";
export { MAX_METRICS_CONNECTIONS, METRICS_PATH, METRICS_REQUEST_TIMEOUT_MS, MetricsServer, parseListenAddress } from "./metrics-server.js";
export type { ListenAddress, MetricsServerOptions } from "./metrics-server.js";
