// The public API of @incusx/testkit: fakes, a test host and contract suites
// for testing incusx plugins.

// The fakes live in @incusx/sdk/testing (they need only SDK interfaces);
// re-exported here so tests that import them from the testkit keep working.
export {
  FakeClock,
  MemoryHostMetrics,
  MemoryLeaseEventStream,
  MemoryLogSink,
  MemoryNetworkState,
  MemoryStateStore,
  RecordingLinkConfigurator,
} from "@incusx/sdk/testing";
export type {
  LinkCall,
  LinkOp,
  LogQuery,
  MemoryLogSinkOptions,
  NetworkStateData,
  RecordingLinkConfiguratorOptions,
  WaitForOptions,
} from "@incusx/sdk/testing";

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
