import { afterEach, describe, expect, it } from "vitest";
import { isIncusxError, type DhcpRunOptions, type DhcpRunner, type IpFamily, type NetworkNamespace } from "@incusx/sdk";
import { FakeClock, MemoryLeaseEventStream, MemoryLogSink, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { NetworkRuntime, OPTIMISTIC_DAD_SYSCTLS, type NetworkRuntimeOptions, type NicSpec } from "./network-runtime.js";
import { RuntimeRun } from "./runtime-run.test-support.js";

// What happened, in order: sysctl writes and runner starts.
type Step = { readonly kind: "sysctl"; readonly iface: string; readonly settings: Readonly<Record<string, number>>; readonly netns?: NetworkNamespace } | { readonly kind: "runner"; readonly family: IpFamily; readonly iface: string };

/** A runner that records its start in `steps` and runs until aborted. */
class RecordingRunner implements DhcpRunner {
  constructor(
    readonly family: IpFamily,
    private readonly steps: Step[],
  ) {}

  run(options: DhcpRunOptions): Promise<void> {
    this.steps.push({ kind: "runner", family: this.family, iface: options.interface });
    return new Promise((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
  }
}

let runtime: NetworkRuntime | undefined;
const run = new RuntimeRun(afterEach);
afterEach(async () => {
  for (const nic of runtime?.list() ?? []) await runtime!.detach(nic);
  runtime = undefined;
});

function setup(extra: Partial<NetworkRuntimeOptions> = {}, sysctls: "record" | "none" | Error = "record") {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const steps: Step[] = [];
  const logs = new MemoryLogSink();
  const opened: string[] = [];
  const closed: string[] = [];
  runtime = new NetworkRuntime({
    runners: [new RecordingRunner("ipv4", steps), new RecordingRunner("ipv6", steps)],
    link: new RecordingLinkConfigurator(),
    events: new MemoryLeaseEventStream(),
    clock,
    logger: logs.logger(undefined, clock),
    openNetns: (path) => {
      opened.push(path);
      return { path, fd: 7, close: () => closed.push(path) };
    },
    ...(sysctls === "none"
      ? {}
      : {
          setIpv6Sysctls: (iface, settings, options) => {
            if (sysctls instanceof Error) throw sysctls;
            steps.push({ kind: "sysctl", iface, settings, ...(options?.netns === undefined ? {} : { netns: options.netns }) });
          },
        }),
    ...extra,
  });
  const nic = (instance: string, more: Partial<NicSpec> = {}): NicSpec => ({ instance, device: "eth0", interface: "eth0", netns: `/run/netns/${instance}`, hostname: instance, ...more });
  return { runtime, steps, logs, clock, nic, opened, closed };
}

describe("NetworkRuntime optimistic DAD option", () => {
  it("sets optimistic_dad and use_optimistic on the NIC's interface, in its namespace, before any runner starts", async () => {
    const t = setup();
    await t.runtime.attach(t.nic("c1", { optimisticDad: true }));
    expect(OPTIMISTIC_DAD_SYSCTLS).toEqual({ optimistic_dad: 1, use_optimistic: 1 });
    expect(t.steps[0]).toEqual({ kind: "sysctl", iface: "eth0", settings: { optimistic_dad: 1, use_optimistic: 1 }, netns: expect.objectContaining({ path: "/run/netns/c1", fd: 7 }) });
    expect(t.steps.slice(1).map((s) => s.kind)).toEqual(["runner", "runner"]);
    // The namespace given is the runtime's view: no close().
    expect((t.steps[0] as { netns?: { close?: unknown } }).netns?.close).toBeUndefined();
  });

  it("is off by default: the interface's settings are not touched", async () => {
    const t = setup();
    await t.runtime.attach(t.nic("c1"));
    await t.runtime.attach(t.nic("c2", { optimisticDad: false }));
    expect(t.steps.filter((s) => s.kind === "sysctl")).toEqual([]);
    expect(t.steps.filter((s) => s.kind === "runner")).toHaveLength(4);
  });

  it("takes the runtime-wide default, which a NIC overrides", async () => {
    const t = setup({ optimisticDad: true });
    await t.runtime.attach(t.nic("c1"));
    await t.runtime.attach(t.nic("c2", { optimisticDad: false, interface: "eth1" }));
    expect(t.steps.filter((s) => s.kind === "sysctl").map((s) => s.iface)).toEqual(["eth0"]);
  });

  it("leaves a NIC that runs no IPv6 alone", async () => {
    const t = setup({ optimisticDad: true });
    await t.runtime.attach(t.nic("c1", { families: ["ipv4"] }));
    expect(t.steps).toEqual([{ kind: "runner", family: "ipv4", iface: "eth0" }]);
  });

  it("applies to run() too, in the process's own namespace", async () => {
    const t = setup({ optimisticDad: true });
    void run.start(t.runtime);
    await t.clock.flush();
    expect(t.steps[0]).toEqual({ kind: "sysctl", iface: "eth0", settings: OPTIMISTIC_DAD_SYSCTLS });
    expect(t.steps.slice(1).map((s) => s.kind)).toEqual(["runner", "runner"]);
  });

  it("logs a warning and starts the runners anyway when the settings cannot be set (the link-local address then goes through DAD as usual)", async () => {
    const t = setup({}, Object.assign(new Error('Cannot set IPv6 setting "optimistic_dad" of "eth0": No such device'), { code: "ENODEV" }));
    await t.runtime.attach(t.nic("c1", { optimisticDad: true }));
    expect(t.steps.map((s) => s.kind)).toEqual(["runner", "runner"]);
    const warning = t.logs.records.find((r) => r.level === "warn" && r.message.includes("optimistic DAD"));
    expect(warning?.message).toContain("No such device");
    expect(warning?.fields).toMatchObject({ instance: "c1", device: "eth0", interface: "eth0" });
  });

  it("refuses a NIC that asks for it when the runtime cannot set IPv6 settings, attaching nothing", async () => {
    const t = setup({}, "none");
    const error = await t.runtime.attach(t.nic("c1", { optimisticDad: true })).catch((e: unknown) => e);
    expect(isIncusxError(error) && error.code).toBe("INVALID_CONFIG");
    expect((error as Error).message).toContain("setIpv6Sysctls");
    expect(t.runtime.list()).toEqual([]);
    expect(t.steps).toEqual([]);
    expect(t.closed).toEqual(t.opened);
  });

  it("refuses a runtime-wide default it cannot apply at construction", () => {
    expect(() => setup({ optimisticDad: true }, "none")).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
  });
});
