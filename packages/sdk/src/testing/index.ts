// The public API of @incusx/sdk/testing: in-memory fakes of the services a
// plugin injects, for unit tests of plugins and of hosts. They depend on
// nothing but the SDK's interfaces, so any package can use them in its
// tests; @incusx/testkit re-exports them next to its test host and
// contract suites.

export { FakeClock } from "./fake-clock.js";

export { MemoryNetworkState } from "./memory-network-state.js";
export type { NetworkStateData } from "./memory-network-state.js";

export { RecordingLinkConfigurator } from "./recording-link-configurator.js";
export type { LinkCall, LinkOp, RecordingLinkConfiguratorOptions } from "./recording-link-configurator.js";

export { MemoryStateStore } from "./memory-state-store.js";

export { MemoryLogSink } from "./memory-log-sink.js";
export type { LogQuery, MemoryLogSinkOptions } from "./memory-log-sink.js";

export { MemoryLeaseEventStream } from "./memory-lease-event-stream.js";
export type { WaitForOptions } from "./memory-lease-event-stream.js";

export { MemoryHostMetrics } from "./memory-host-metrics.js";
