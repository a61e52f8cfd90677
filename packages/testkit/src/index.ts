// The public API of @incusx/testkit: fakes, a test host and contract suites
// for testing incusx plugins.

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

export { ContractViolation, describeContract, runContract } from "./contracts/contract.js";
export type {
  Contract,
  ContractCheck,
  ContractFailure,
  DisposableFixture,
  FixtureFactory,
} from "./contracts/contract.js";

export {
  describeNicValidatorContract,
  hostileNicValues,
  nicValidatorContract,
  toNicValidatorFixture,
} from "./contracts/nic-validator-contract.js";
export type { NicValidatorFixture } from "./contracts/nic-validator-contract.js";

export { describeDhcpRunnerContract, dhcpRunnerContract } from "./contracts/dhcp-runner-contract.js";
export type { DhcpRunnerFixture } from "./contracts/dhcp-runner-contract.js";

export { describeNatBackendContract, natBackendContract } from "./contracts/nat-backend-contract.js";
export type { NatAddressPool, NatBackendFixture } from "./contracts/nat-backend-contract.js";

export { describeDnsSinkContract, dnsSinkContract } from "./contracts/dns-sink-contract.js";
export type { AppliedDns, DnsSinkFixture } from "./contracts/dns-sink-contract.js";

export { deriveManifest, startTestHost } from "./test-host.js";
export type { TestHost, TestHostOptions, TestHostServices, TestPluginEntry } from "./test-host.js";
