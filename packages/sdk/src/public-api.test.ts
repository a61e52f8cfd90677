// The SDK's entry points, name by name: every new export is a decision, and
// host plumbing stays out of the authors' barrel (issue 13).
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as root from "./index.js";
import * as hostApi from "./host/index.js";

const DEPRECATION = 'Import from "@incusx/sdk/host"; removed in the next minor.';

interface ExportedName {
  readonly name: string;
  readonly deprecated: string | undefined;
}

function exportsOf(...files: string[]): Map<string, ExportedName[]> {
  const paths = files.map((f) => fileURLToPath(new URL(f, import.meta.url)));
  const program = ts.createProgram(paths, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, ExportedName[]>();
  files.forEach((file, i) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(paths[i]!)!)!;
    const names = checker.getExportsOfModule(module).map((symbol) => {
      const tag = symbol.declarations?.flatMap((d) => ts.getJSDocTags(d)).find((t) => t.tagName.text === "deprecated");
      return { name: symbol.name, deprecated: tag === undefined ? undefined : ts.getTextOfJSDocComment(tag.comment) };
    });
    result.set(file, names.sort((a, b) => (a.name < b.name ? -1 : 1)));
  });
  return result;
}

const api = exportsOf("./index.ts", "./host/index.ts", "./testing/index.ts");
const rootNames = api.get("./index.ts")!;
const hostNames = api.get("./host/index.ts")!.map((e) => e.name);

describe("@incusx/sdk, the plugin authors' entry point", () => {
  it("exports exactly these names, none of them host plumbing", () => {
    expect(rootNames.filter((e) => e.deprecated === undefined).map((e) => e.name)).toMatchInlineSnapshot(`
      [
        "API_VERSION",
        "CheckRulesOptions",
        "Clock",
        "ClockToken",
        "Contribution",
        "DhcpRunOptions",
        "DhcpRunner",
        "DhcpRunnerExtension",
        "DhcpRunnerToken",
        "Disposable",
        "DnsSink",
        "DnsSinkExtension",
        "DnsSinkToken",
        "ErrorCode",
        "ExtensionPoint",
        "ForwardUse",
        "INFINITE_LIFETIME",
        "IncompatibleVersionError",
        "IncusxError",
        "IncusxErrorOptions",
        "Injectable",
        "InvalidConfigError",
        "InvalidManifestError",
        "IpFamily",
        "JsonValue",
        "Lease",
        "LeaseAddress",
        "LeaseDns",
        "LeaseEvent",
        "LeaseEventKind",
        "LeaseEventStream",
        "LeaseEventStreamToken",
        "LeaseRoute",
        "LinkAddress",
        "LinkConfigurator",
        "LinkConfiguratorToken",
        "LinkDns",
        "LinkRoute",
        "LinkSnapshot",
        "LogFields",
        "LogLevel",
        "Logger",
        "LoggerToken",
        "MissingRequirementError",
        "NatBackend",
        "NatBackendExtension",
        "NatBackendToken",
        "NatOwner",
        "NatPlan",
        "NatReconcileResult",
        "NatRule",
        "NatSkip",
        "Network",
        "NetworkForward",
        "NetworkState",
        "NetworkStateToken",
        "NicDevice",
        "NicProblem",
        "NicValidator",
        "NicValidatorExtension",
        "NicValidatorToken",
        "Plugin",
        "PluginConfigToken",
        "PluginContext",
        "PluginDefinition",
        "PluginFailedError",
        "PluginManifest",
        "PluginRegistrar",
        "RequirementCycleError",
        "Resolver",
        "ResolverConfig",
        "Rules",
        "StateStore",
        "StateStoreToken",
        "StaticDns",
        "TimeoutError",
        "Timer",
        "Token",
        "TokenType",
        "ValidationError",
        "ValidationIssue",
        "Validator",
        "addressFamily",
        "and",
        "canonicalAddress",
        "checkRules",
        "definePlugin",
        "defineToken",
        "inject",
        "injectAll",
        "invalidOption",
        "isAny",
        "isBool",
        "isInRange",
        "isIncusxError",
        "isInt64",
        "isInterfaceName",
        "isListOf",
        "isNetwork",
        "isNetworkAddress",
        "isNetworkAddressCIDR",
        "isNetworkAddressCIDRV4",
        "isNetworkAddressCIDRV6",
        "isNetworkAddressV4",
        "isNetworkAddressV6",
        "isNetworkMAC",
        "isNetworkMTU",
        "isNetworkV4",
        "isNetworkV6",
        "isNetworkVLAN",
        "isNotEmpty",
        "isOneOf",
        "isUint32",
        "isUint8",
        "isUserKey",
        "optional",
        "or",
        "quote",
        "required",
        "sortProblems",
        "tokenId",
        "unknownOption",
      ]
    `);
  });

  it("still exports what moved to @incusx/sdk/host, every name deprecated and pointing there", () => {
    const deprecated = rootNames.filter((e) => e.deprecated !== undefined);
    expect(deprecated.map((e) => e.name)).toEqual(hostNames.filter((n) => n !== "LogRecord" && n !== "LogSink"));
    for (const e of deprecated) expect(e.deprecated, e.name).toContain(DEPRECATION);
    for (const [name, value] of Object.entries(hostApi)) expect((root as Record<string, unknown>)[name], name).toBe(value);
  });
});

describe("@incusx/sdk/host and @incusx/sdk/testing", () => {
  it("export exactly these names", () => {
    expect(hostNames).toMatchInlineSnapshot(`
      [
        "BundleManifest",
        "BundlePlugin",
        "HostConfig",
        "HostDefaults",
        "HostPluginEntry",
        "HostState",
        "HostStateDevice",
        "HostStateForward",
        "HostStateForwardPort",
        "HostStateInstance",
        "HostStateLoadBalancer",
        "HostStateLoadBalancerBackend",
        "HostStateLoadBalancerPort",
        "HostStateNetwork",
        "LogRecord",
        "LogSink",
        "ParameterInjection",
        "PluginBrand",
        "describeInjection",
        "extensionPoints",
        "injectionPlan",
        "isPlugin",
        "pluginBrand",
        "toIncusxError",
      ]
    `);
    expect(api.get("./testing/index.ts")!.map((e) => e.name)).toMatchInlineSnapshot(`
      [
        "FakeClock",
        "LinkCall",
        "LinkOp",
        "LogQuery",
        "MemoryLeaseEventStream",
        "MemoryLogSink",
        "MemoryLogSinkOptions",
        "MemoryNetworkState",
        "MemoryStateStore",
        "NetworkStateData",
        "RecordingLinkConfigurator",
        "RecordingLinkConfiguratorOptions",
        "WaitForOptions",
      ]
    `);
  });
});
